/**
 * Tuned defaults per environment and algorithm (issue #12), as rl-baselines3-zoo keeps them per env:
 * ONE table of rows, each an env-wide row (`algo: '*'`) or an env × algo override, with where its
 * numbers come from. A run's config is
 *
 *   config.ts defaults  ←  env-wide row  ←  env × algo row  ←  what the user gave (flags, form, file)
 *
 * so a given value always wins. The CLI's `train`, `variance` and `bench` and the page's presets read
 * this table; config.ts's defaults stay the base row under it. `--resume` is not affected: a resumed
 * run keeps its checkpoint's config and only the flags given override it (src/cli/main.ts).
 */
import { validateConfig, type Config } from './config';
import type { Algo, EnvName } from './types';

export interface PresetRow {
  env: EnvName;
  /** '*': every algorithm on this env (the env-wide row); an algo: its override on top */
  algo: Algo | '*';
  /** config values over config.ts's defaults (never env or algo) */
  values: Partial<Config>;
  /** where the numbers come from and how they were checked here */
  source: string;
}

/** The tiny MDPs' tabular policy: no network to size, a large step size, no entropy bonus. */
const TABULAR: Partial<Config> = { lr: 0.05, entCoef: 0 };

export const PRESETS: readonly PresetRow[] = [
  // ── bandit: one-step episodes, optimum J = max p_a ─────────────────────────────────────────
  {
    env: 'bandit',
    algo: '*',
    values: { ...TABULAR, numEnvs: 64, numSteps: 4, totalSteps: 25_600, gamma: 1 },
    source:
      'here: tabular softmax, Adam lr 0.05 annealed, 100 updates of 256 one-step episodes; verified (seed 1, CPU): every algo ends within 0.02 of the exact optimum J = 0.8 (ppo 0.0004), < 1 s',
  },
  // ── twostate: 2 states, episodes of ~4 steps ───────────────────────────────────────────────
  {
    env: 'twostate',
    algo: '*',
    values: { ...TABULAR, lr: 0.2, numEnvs: 64, numSteps: 64, totalSteps: 409_600, gamma: 1 },
    source:
      'here: tabular softmax, lr 0.2 annealed (0.05 left the Monte-Carlo algos 0.6 below the optimum), γ = 1, 100 updates of 64 × 64; verified (seed 1, CPU): exact J within 0.05 of the optimum 5.4 for reinforce (0.048), reinforce-rtg, reinforce-baseline, gae, ppo (0.004); actor-critic settles in the s0→0 corner (J 4.75), where its early TD(0) critic sent it and the softmax gradient vanishes',
  },
  // ── corridor: aliased states, the optimum is stochastic (p(right) = 2 − √2 at γ = 1) ──────
  {
    env: 'corridor',
    algo: '*',
    values: { ...TABULAR, lr: 0.02, numEnvs: 64, numSteps: 64, totalSteps: 491_520, gamma: 1, lambda: 1 },
    source:
      'here: lr 0.02 annealed, no entropy bonus, γ = 1 (the optimum of Sutton & Barto Ex. 13.1), 120 updates of 64 × 64; λ = 1: a critic that sees one aliased observation cannot bootstrap, so GAE/PPO advantages are Monte-Carlo. Verified (seeds 1,2,3, CPU, ~5 s each): exact J within 0.013 of the optimum −11.657 for reinforce, reinforce-rtg, reinforce-baseline, gae and ppo; actor-critic (TD(0) through the aliased critic) drifts to p(right) ≈ 0.85–0.87, J ≈ −18 to −20: its bias',
  },
  // ── CartPole-v1 ─────────────────────────────────────────────────────────────────────────
  {
    env: 'cartpole',
    algo: '*',
    values: { numEnvs: 8, numSteps: 32, totalSteps: 500_000, gamma: 0.98, lambda: 0.8, lr: 3e-3, entCoef: 0 },
    source:
      'rl-zoo ppo.yml CartPole-v1 rollout (n_envs 8, n_steps 32, γ 0.98, λ 0.8, ent 0); for the one-step-per-rollout algos lr 3e-3 annealed over 5e5 steps (the PPO row\'s lr 1e-3 and 2e5 steps left reinforce-baseline at 216, gae at 104, actor-critic at 85). Verified (CPU, seeds 1,2,3, ~22 s each): gae 500, 500, 500; reinforce-rtg 247, 500, 500 (lr 1e-3: 153, 302, 303); actor-critic 500, 493, 9 (seed 3 collapses; lr 1e-3: 107, 20, 500)',
  },
  {
    env: 'cartpole',
    algo: 'reinforce',
    values: { lr: 1e-3 },
    source: 'here: plain REINFORCE is the noisiest estimator (the variance lab\'s point): lr 1e-3 gives 308, 186, 367 (seeds 1,2,3, CPU), lr 3e-3 gave 286, 117, 281; it does not reach 475 in 5e5 steps',
  },
  {
    env: 'cartpole',
    algo: 'reinforce-baseline',
    values: { lr: 1e-3 },
    source: 'here: lr 1e-3 gives 500, 498.6, 500 (seeds 1,2,3, CPU, ~22 s each); lr 3e-3 gave 500, 160, 500',
  },
  {
    env: 'cartpole',
    algo: 'ppo',
    values: { numSteps: 128, gamma: 0.99, lambda: 0.95, entCoef: 0.01, lr: 2.5e-3, epochs: 4, minibatches: 4, totalSteps: 200_000 },
    source:
      'CleanRL ppo.py CartPole-v1 (8 envs × 128 steps, γ 0.99, λ 0.95, 4 epochs × 4 minibatches, ent 0.01) with lr 2.5e-3 (10× CleanRL\'s, which ends at ~359 in 2e5 steps); verified (CPU, seeds 1,2,3): final_return 500, 500, 500 in 27.3, 26.4, 26.6 s; the last-100 mean first ≥ 475 at 91k, 109k, 127k steps. rl-zoo\'s row (8 × 32, γ 0.98, λ 0.8, lr 1e-3, 20 epochs of 1 minibatch) also gave 500, 500, 500 but takes ~5× the learner work per env step (127 s here)',
  },
  // ── Pendulum-v1 ─────────────────────────────────────────────────────────────────────────
  {
    env: 'pendulum',
    algo: '*',
    values: { numEnvs: 4, numSteps: 1024, totalSteps: 100_000, gamma: 0.9, lambda: 0.95, lr: 1e-3, entCoef: 0 },
    source:
      'rl-zoo ppo.yml Pendulum-v1 (n_envs 4, n_steps 1024, γ 0.9, λ 0.95, lr 1e-3 (annealed here), ent 0, 1e5 steps) without its gSDE; the non-PPO algos take it unverified',
  },
  {
    env: 'pendulum',
    algo: 'ppo',
    values: { epochs: 10, minibatches: 64 },
    source: 'rl-zoo ppo.yml Pendulum-v1 (n_epochs 10, batch_size 64 = 4096 / 64 minibatches); verified (CPU, seeds 1,2,3): final_return −189.0, −192.7, −191.2, the last-100 mean first ≥ −250 at 66k, 61k, 61k steps, 34–89 s each (3e5 steps: −189.0, −172.6, −177.4)',
  },
  // ── limit-order selling: 10-step episodes, Gaussian actions ──────────────────────────────
  {
    env: 'limitorder',
    algo: '*',
    values: { numEnvs: 64, numSteps: 10, totalSteps: 200_000, gamma: 1, lr: 1e-3, entCoef: 0 },
    source:
      'here: γ = 1 (the episode return is the cash received), one 10-step episode per env per update, lr 1e-3 annealed; not tuned: seed 1 on the CPU ends at final_return 1.1 (ppo) and 1.0 (reinforce-baseline)',
  },
];

/** The env-wide row, then the env + algo row, merged (never includes env/algo themselves). */
export function presetFor(env: EnvName, algo: Algo): Partial<Config> {
  const out: Partial<Config> = {};
  for (const which of ['*', algo] as const) {
    for (const row of PRESETS) {
      if (row.env !== env || row.algo !== which) continue;
      for (const [k, v] of Object.entries(row.values)) {
        if (k === 'env' || k === 'algo') continue;
        (out as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
      }
    }
  }
  return out;
}

/**
 * defaults ← presetFor(env, algo) ← given (given wins), validated (`ConfigError` names the first bad
 * field); env and algo are taken from `given`, else config.ts's defaults. Undefined values in `given`
 * count as not given.
 */
export function configWithPreset(given: Record<string, unknown>): Config {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return validateConfig(given);
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  // env and algo alone first: a bad one is reported as itself, before any preset is looked up
  const { env, algo } = validateConfig(Object.fromEntries(Object.entries(set).filter(([k]) => k === 'env' || k === 'algo')));
  return validateConfig({ ...presetFor(env, algo), ...set });
}

/** One of the page's named presets: an env, the estimators side by side, env counts per engine. */
export interface PagePreset {
  id: string;
  label: string;
  env: EnvName;
  estimators: Algo[];
  /** parallel envs on WebGPU */
  gpuEnvs: number;
  /** parallel envs on the CPU engine */
  cpuEnvs: number;
  /** config values over config.ts's defaults: `presetFor(env, estimators[0])` plus what differs on the page */
  config: Partial<Config>;
}

export const PAGE_PRESETS: readonly PagePreset[] = [
  {
    id: 'cartpole-ppo',
    label: 'CartPole · PPO · 4096 envs',
    env: 'cartpole',
    estimators: ['ppo'],
    gpuEnvs: 4096,
    cpuEnvs: 256,
    // 4096 × 16 steps per update, 50 updates; 4 epochs of 16 minibatches instead of 20 of 1. Verified with
    // `--backend gpu --adapter lavapipe --envs 4096` (seed 1): final_return 500 in 303 s. The CPU engine's
    // 256 envs (800 updates of 4096): the last-100 mean reached 475 at update 41 (168k steps, 27 s; run
    // stopped there by --target-return, so the rest of the 3.3M steps is not verified).
    // (verified with rl-zoo's rollout settings, which this preset keeps: γ 0.98, λ 0.8, lr 1e-3, no entropy bonus)
    config: { ...presetFor('cartpole', 'ppo'), numSteps: 16, gamma: 0.98, lambda: 0.8, lr: 1e-3, entCoef: 0, epochs: 4, minibatches: 16, totalSteps: 3_276_800 },
  },
  {
    id: 'pendulum-ppo',
    label: 'Pendulum · PPO',
    env: 'pendulum',
    estimators: ['ppo'],
    // the table's 4 envs × 1024 steps on both engines: more envs would change the verified batch
    gpuEnvs: 4,
    cpuEnvs: 4,
    config: { ...presetFor('pendulum', 'ppo') },
  },
  {
    id: 'corridor-reinforce',
    label: 'Corridor · REINFORCE vs baseline',
    env: 'corridor',
    estimators: ['reinforce', 'reinforce-baseline'],
    gpuEnvs: 64,
    cpuEnvs: 64,
    config: { ...presetFor('corridor', 'reinforce') },
  },
  {
    id: 'bandit',
    label: 'Bandit',
    env: 'bandit',
    estimators: ['reinforce'],
    gpuEnvs: 64,
    cpuEnvs: 64,
    config: { ...presetFor('bandit', 'reinforce') },
  },
];
