/**
 * The engine core: every decision both backends make the same way, made once here. A backend is then
 * only where the arithmetic runs (src/backends/cpu: TypeScript loops; src/backends/gpu: WebGPU kernels).
 *
 *   updatePlan(config)     algo → Ψ kind, loss, epochs, minibatches, normalisation, KL terms, critic λ
 *   lrAt(...)              the learning rate of an update (CleanRL's linear annealing when enabled)
 *   validateLiveHyper(...) the values Engine.setHyper / Trainer.setHyper take, checked against the config table
 *   assembleStats(...)     UpdateStats from the episode sums and the learner's statistics
 *   trustRegionStats(...)  approx KL and clip fraction: PPO's, NaN (not applicable) for the others
 *   validateSnapshot(...)  the portable engine state of a checkpoint, checked against this run
 *   exactReference(...)    the exact ∇J of the tiny MDPs (the reference of gradientEstimates)
 *   attachExact(...)       bias² of each estimator against it
 *   assembleTrajectory(...) one env's recorded steps as a Trajectory: π(·|s_t), Â_t, the states
 *
 * Layers: imports src/core, src/envs, src/policy, src/estimators, src/optim only.
 */
import type { Config } from '../core/config';
import { CheckpointError, UserError } from '../core/errors';
import { Purpose, uniform4 } from '../core/rng';
import type { EngineSnapshot, EnvDef, EstimatorKind, EstimatorStats, StepResult, Trajectory, TrajectoryDist, UpdateStats } from '../core/types';
import { tabularModelOf } from '../envs';
import { exactGradient } from '../estimators/exact';
import { gae, psiKindFor } from '../estimators/returns';
import type { Rollout } from '../estimators/rollout';
import { softmax } from '../policy/heads';
import type { NetLayout } from '../policy/layout';
import { actorForward, createWorkspace } from '../policy/mlp';
import { bias2, meanCosineTo, meanPairwiseCosine } from '../estimators/variance';
import { linearLr } from '../optim/schedule';
import { validateConfig } from '../core/config';
import { ConfigError, formatValue } from '../core/errors';
import { LIVE_HYPER_FIELDS, type LiveHyper, type LiveHyperField } from '../core/types';

/** What an update of this run does, whatever the backend. */
export interface UpdatePlan {
  /** the Ψ the actor trains with ('gae' for PPO) */
  psiKind: EstimatorKind;
  /** 'ppo': clipped surrogate; 'pg': −Ψ log π */
  loss: 'ppo' | 'pg';
  epochs: number;
  minibatches: number;
  /** normalise Ψ per minibatch */
  normAdv: boolean;
  /** β_KL of the k3 penalty (0 = off) */
  klCoef: number;
  /** target-KL early stop (0 = off) */
  targetKl: number;
  /**
   * critic target = GAE(γ, targetLambda) + V: λ for 'gae' (and PPO), 0 for actor-critic (δ + V), 1 for
   * the REINFORCE family (G_t)
   */
  targetLambda: number;
  /** 'reinforce-baseline': fold mean G_t into the running-mean baseline after each applied update */
  runningBaseline: boolean;
}

/**
 * PPO: the config's epochs, minibatches, normAdv, KL terms, GAE Ψ and λ-return targets. The plain
 * policy-gradient algorithms: one full-batch step (1 epoch, 1 minibatch), no normalisation, no KL terms,
 * loss −Ψ log π with their own Ψ, critic on λ-return targets with their λ (DESIGN.md: "target = G_t or
 * Â_t + V(s_t)"; docs/design-notes.md "Every algorithm trains the critic").
 */
export function updatePlan(config: Config): UpdatePlan {
  const ppo = config.algo === 'ppo';
  const psiKind = psiKindFor(config.algo);
  return {
    psiKind,
    loss: ppo ? 'ppo' : 'pg',
    epochs: ppo ? config.epochs : 1,
    minibatches: ppo ? Math.min(config.minibatches, config.numEnvs * config.numSteps) : 1,
    normAdv: ppo ? config.normAdv : false,
    klCoef: ppo ? config.klCoef : 0,
    targetKl: ppo ? config.targetKl : 0,
    targetLambda: psiKind === 'gae' ? config.lambda : psiKind === 'actor-critic' ? 0 : 1,
    runningBaseline: psiKind === 'reinforce-baseline',
  };
}

/** The permutation stream of an update's first epoch (epoch e uses stream + e): updates done · epochs. */
export function shuffleStreamOf(plan: UpdatePlan, updatesDone: number): number {
  return updatesDone * plan.epochs;
}

/**
 * The learning rate of the update after `updatesDone` (CleanRL's linear annealing when enabled). A live
 * lr change replaces the base: from its update u on, lr_u = lr_new · (1 − (u−1)/U) (the same line, rescaled).
 */
export function lrAt(config: Config, updatesDone: number, numUpdates: number): number {
  return config.annealLr ? linearLr(config.lr, updatesDone + 1, numUpdates) : config.lr;
}

/**
 * Check live hyperparameter values (Engine.setHyper, Trainer.setHyper, the page, the CLI's --set) with
 * the config field table: only LIVE_HYPER_FIELDS, each in its field's range, at least one. Throws one
 * ConfigError naming the field and the allowed range; returns the values (undefined entries dropped).
 */
export function validateLiveHyper(values: unknown): LiveHyper {
  const names = LIVE_HYPER_FIELDS.join(', ');
  if (values === null || typeof values !== 'object' || Array.isArray(values)) throw new ConfigError('values', values, `an object of ${names}`);
  const out: LiveHyper = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    if (!(LIVE_HYPER_FIELDS as readonly string[]).includes(k)) {
      throw new ConfigError(k, v, `one of ${names}`, `${formatValue(k)} cannot change while training (allowed: ${names})`);
    }
    // the field's own range (config.ts FIELDS), as any config file or flag is checked
    validateConfig({ [k]: v });
    out[k as LiveHyperField] = v as number;
  }
  if (Object.keys(out).length === 0) throw new ConfigError('values', values, `at least one of ${names}`);
  return out;
}

/** The episodes that finished in one rollout, as sums (both engines accumulate these). */
export interface EpisodeSums {
  sumReturn: number;
  sumLength: number;
  count: number;
  /** smallest / largest finished return (anything when count = 0) */
  min: number;
  max: number;
}

/** The losses and gradient norm of one minibatch (UpdateStats' fields of the same names). */
export type LossStats = Pick<UpdateStats, 'policyLoss' | 'valueLoss' | 'entropy' | 'approxKl' | 'clipFrac' | 'gradNorm'>;

/**
 * The learner's statistics of one update (CleanRL): the last minibatch run's losses, KL and gradient
 * norm; the clip fraction over every minibatch run; the critic's explained variance over the batch.
 */
export type LearnSummary = LossStats & Pick<UpdateStats, 'explainedVariance' | 'epochsRun' | 'nonFinite'>;

/**
 * approxKl and clipFrac are PPO's trust-region diagnostics. The plain policy-gradient algorithms take
 * one full-batch step and the statistics are measured before it (ratio 1 up to rounding), so they have
 * nothing to report: both engines give NaN, "not applicable" (null in the JSON line, an empty CSV cell,
 * a gap in the chart).
 */
export function trustRegionStats(loss: UpdatePlan['loss'], approxKl: number, clipFrac: number): Pick<UpdateStats, 'approxKl' | 'clipFrac'> {
  return loss === 'ppo' ? { approxKl, clipFrac } : { approxKl: NaN, clipFrac: NaN };
}

/** `inForce`: the config the update ran with (its live λ, β, ε go into the row; lr is the update's own). */
export function assembleStats(update: number, envSteps: number, ep: EpisodeSums, ls: LearnSummary, lr: number, inForce: Pick<Config, 'lambda' | 'entCoef' | 'clip'>): UpdateStats {
  const any = ep.count > 0;
  return {
    update,
    envSteps,
    episodicReturn: any ? ep.sumReturn / ep.count : NaN,
    episodicLength: any ? ep.sumLength / ep.count : NaN,
    episodicReturnMin: any ? ep.min : NaN,
    episodicReturnMax: any ? ep.max : NaN,
    episodes: ep.count,
    policyLoss: ls.policyLoss,
    valueLoss: ls.valueLoss,
    entropy: ls.entropy,
    approxKl: ls.approxKl,
    clipFrac: ls.clipFrac,
    explainedVariance: ls.explainedVariance,
    gradNorm: ls.gradNorm,
    lr,
    lambda: inForce.lambda,
    entCoef: inForce.entCoef,
    clip: inForce.clip,
    epochsRun: ls.epochsRun,
    nonFinite: ls.nonFinite,
  };
}

/** The portable engine state (EngineSnapshot.state) both engines write and read. */
export interface PortableState {
  /** [N][stateDim] */
  envState: Float32Array;
  /** [N] per-env step index k */
  envStep: Uint32Array;
  /** [N] running return of the episode in progress */
  epReturn: Float64Array;
  /** [N] its length */
  epLength: Uint32Array;
}

/**
 * Check a snapshot against this run (parameter count, env count, state size) and return its portable
 * state; a CheckpointError says what does not fit.
 */
export function validateSnapshot(s: EngineSnapshot, run: { paramCount: number; numEnvs: number; stateDim: number }): PortableState {
  const need = <T extends Float32Array | Float64Array | Uint32Array>(name: string, len: number, ctor: new (n: number) => T): T => {
    const a = s.state[name];
    if (!a || !(a instanceof ctor) || a.length !== len) {
      throw new CheckpointError(`checkpoint does not fit this run: state ${name} must be ${ctor.name}[${len}] (was it saved with another env count or backend?)`);
    }
    return a as T;
  };
  const N = run.numEnvs;
  if (s.params.length !== run.paramCount) throw new CheckpointError(`checkpoint has ${s.params.length} parameters, the network has ${run.paramCount}`);
  return {
    envState: need('envState', N * run.stateDim, Float32Array),
    envStep: need('envStep', N, Uint32Array),
    epReturn: need('epReturn', N, Float64Array),
    epLength: need('epLength', N, Uint32Array),
  };
}

/** The baseline scalars of a snapshot (absent ones: a fresh baseline). */
export function baselineScalars(s: EngineSnapshot): { baseline: number; baselineCount: number } {
  return { baseline: s.scalars.baseline ?? 0, baselineCount: s.scalars.baselineCount ?? 0 };
}

/** Whether `exactReference` knows ∇J for this env (the tiny MDPs). */
export function hasExactReference(env: EnvDef): boolean {
  return tabularModelOf(env) !== undefined;
}

/**
 * The exact ∇J w.r.t. the actor parameters θ[0 … actorSize) on the tiny envs (tabular actor = logits
 * table at offset 0); undefined elsewhere.
 */
export function exactReference(env: EnvDef, theta: Float32Array, actorSize: number, gamma: number): Float64Array | undefined {
  const model = tabularModelOf(env);
  return model ? Float64Array.from(exactGradient(model, theta.subarray(0, actorSize), gamma).grad) : undefined;
}

/** Set each estimator's bias² = ‖mean − reference‖² when a reference is known; returns the list. */
export function attachExact(estimators: EstimatorStats[], reference: Float64Array | undefined, actorSize: number): EstimatorStats[] {
  if (reference) for (const s of estimators) s.bias2 = bias2(s.mean, reference, actorSize);
  return estimators;
}

/**
 * GradientEstimateOptions.cosine: each estimator's pairwiseCosine over its G group estimates
 * (groupGrads[k], G·actorSize row-major) and, when a target gradient is known, cosineToReference.
 */
export function attachCosines(estimators: EstimatorStats[], groupGrads: readonly ArrayLike<number>[], G: number, actorSize: number, target: ArrayLike<number> | undefined): EstimatorStats[] {
  estimators.forEach((s, k) => {
    s.pairwiseCosine = meanPairwiseCosine(groupGrads[k], G, actorSize);
    if (target) s.cosineToReference = meanCosineTo(groupGrads[k], G, actorSize, target);
  });
  return estimators;
}

/** Throw a UserError unless `env` is an env index of a run with `numEnvs` envs. */
export function checkTrajectoryEnv(env: number, numEnvs: number): void {
  if (!(Number.isInteger(env) && env >= 0 && env < numEnvs)) {
    throw new UserError(`trajectory: env must be an integer in [0, ${numEnvs - 1}] (the run has ${numEnvs} envs), got ${env}`);
  }
}

/** One env's slice of the last rollout, as either backend reads it back (arrays [T] unless noted). */
/** What a backend reads back for `trajectory(env)`: the recorded fields of the Trajectory, plus where it began. */
export type TrajectorySlice = Pick<Trajectory, 'env' | 'k0' | 'obs' | 'actions' | 'logProb' | 'values' | 'nextValues' | 'rewards' | 'terminated' | 'truncated'> & {
  /** [stateDim] the env's state when the rollout began */
  state0: Float32Array;
  /** θ of the policy that collected the rollout */
  params: Float32Array;
};

/**
 * The Trajectory of one env from its rollout slice, the same on both backends:
 *  - π(·|s_t): the actor on the recorded observations with the collecting θ (softmax of the logits, or
 *    the Gaussian's μ and σ = exp(log σ));
 *  - Â_t: the project's GAE (estimators/returns.ts `gae`) with the run's γ and λ on this env alone
 *    (a one-env rollout: the scan never crosses envs), bootstrapped where the rollout cuts an episode;
 *  - the states: the env's own step function from `state0` with the recorded actions and the engine's
 *    RNG keys (Env at k, Reset at k+1 after a recorded done), as the engines step it.
 */
export function assembleTrajectory(env: EnvDef, layout: NetLayout, run: Pick<Config, 'seed' | 'gamma' | 'lambda'>, s: TrajectorySlice): Trajectory {
  const { gamma, lambda } = run;
  const T = s.rewards.length;
  const { obsDim, actDim, stateDim } = env;
  const hd = layout.headOutDim;
  const z = new Float32Array(T * hd);
  actorForward(layout, s.params, s.obs, T, createWorkspace(layout, T), z);
  let dist: TrajectoryDist;
  if (layout.spec.head.kind === 'gaussian') {
    const std = new Float32Array(actDim);
    for (let j = 0; j < actDim; j++) std[j] = Math.exp(s.params[layout.logStdOffset + j]);
    dist = { kind: 'gaussian', mean: z, std };
  } else {
    const probs = new Float32Array(T * hd);
    for (let t = 0; t < T; t++) softmax(z, t * hd, hd, probs, t * hd);
    dist = { kind: 'categorical', n: hd, probs };
  }
  const ro: Rollout = { T, N: 1, rewards: s.rewards, terminated: s.terminated, truncated: s.truncated, values: s.values, nextValues: s.nextValues };
  const advantages = gae(ro, gamma, lambda, new Float32Array(T));
  return {
    envName: env.name,
    env: s.env,
    T,
    obsDim,
    actDim,
    stateDim,
    k0: s.k0,
    gamma,
    lambda,
    obs: s.obs,
    actions: s.actions,
    states: replayStates(env, run.seed, s),
    dist,
    logProb: s.logProb,
    values: s.values,
    nextValues: s.nextValues,
    rewards: s.rewards,
    terminated: s.terminated,
    truncated: s.truncated,
    advantages,
  };
}

/**
 * The state before each recorded step [T][stateDim]: from `state0` at k0, step t takes action t with
 * uniform4(seed, Env, e, k); after a recorded done the env is reset with uniform4(seed, Reset, e, k+1)
 * (the engines' auto-reset). The recorded flags decide the resets, so a float drift of a continuous
 * env cannot shift the episodes.
 */
function replayStates(env: EnvDef, seed: number, s: TrajectorySlice): Float32Array {
  const T = s.rewards.length;
  const sd = env.stateDim;
  const states = new Float32Array(T * sd);
  const cur = Float32Array.from(s.state0);
  const u = new Float64Array(4);
  const out: StepResult = { reward: 0, terminated: false, truncated: false };
  let k = s.k0;
  for (let t = 0; t < T; t++) {
    states.set(cur, t * sd);
    uniform4(seed, Purpose.Env, s.env, k, 0, u);
    env.step(cur, 0, s.actions, t * env.actDim, u, out);
    k++;
    if (s.terminated[t] || s.truncated[t]) {
      uniform4(seed, Purpose.Reset, s.env, k, 0, u);
      env.reset(cur, 0, u);
    }
  }
  return states;
}
