/**
 * The Tiny-MDP lab's computations (tabular softmax policy), small enough to run on the main thread.
 * No UI here: the page calls these and renders the results. The worlds:
 *   bandit          Bernoulli arms 0.2 / 0.8 (envs/bandit.ts)
 *   scalar-bandit   the seed's bandit: arm 1 pays 1, arm 0 pays 0, one parameter θ with p = σ(θ) the
 *                   probability of arm 1, so J = p and dJ/dθ = p(1 − p). It is the tabular policy with
 *                   z₀ pinned at 0 and θ = z₁ (softmax(0, θ)₁ = σ(θ)): only θ is free (`free`).
 *   twostate        envs/twostate.ts
 *   corridor        envs/corridor.ts: three aliased states share one policy row; the best stochastic
 *                   policy (γ = 1) is p(right) = 2 − √2, found here by maximising the exact J (`optimum`)
 *
 * Policy: θ = logits [nObs][2] (the tabular actor layout), π(a|s) = softmax(θ[s])_a. A slider gives
 * p_s = π(1|s); we set θ[s] = (0, log(p_s/(1−p_s))). The 2-D parameter plane shown is
 *   one row (bandit, scalar-bandit, corridor): (θ[0][0], θ[0][1]) = (z₀, z₁)
 *   twostate: (θ[s0][1], θ[s1][1])  (the action-0 logits stay at 0)
 *
 * Score-function estimate of one trajectory τ (Spinning Up's "simplest policy gradient", with the
 * discount of J(θ) = E[Σ_t γ^t r_t]):
 *   ĝ(τ) = Σ_t γ^t ∇_θ log π(a_t|s_t) · Ψ_t,    ∇_θ[s][k] log π(a|s) = 1[k=a] − π(k|s) (row s only)
 *   Ψ_t = R(τ) (reinforce), G_t = Σ_{k≥t} γ^{k−t} r_k (reinforce-rtg), G_t − b with b = J(θ) (baseline)
 * E[ĝ] = ∇J exactly for every Ψ here, so the mean of n estimates converges to the exact gradient
 * (estimators/exact.ts) at rate 1/√n.
 *
 * Trajectory i draws its randomness from the counter-based RNG exactly like env i of the engine:
 * reset uniform4(seed, Reset, i, 0, 0), action at step k uniform4(seed, Action, i, k, 0), env noise
 * uniform4(seed, Env, i, k, 0); so adding samples never changes the earlier ones.
 *
 * The maths is the trainer's own: π, log π and the score from policy/heads.ts, R / G_t / G_t − b from
 * estimators/returns.ts (`computePsi` on a one-env rollout), the PPO-clip term from estimators/losses.ts.
 */
import { uniform4, sampleCategorical, Purpose } from '../../core/rng';
import type { EnvDef, StepResult } from '../../core/types';
import type { TabularModel } from '../../envs/tabular';
import { makeBandit, banditModel } from '../../envs/bandit';
import { makeTwoState, twoStateModel } from '../../envs/twostate';
import { makeCorridor, corridorModel } from '../../envs/corridor';
import { exactGradient, type ExactResult } from '../../estimators/exact';
import { createRollout } from '../../estimators/rollout';
import { computePsi, rewardToGo } from '../../estimators/returns';
import { ppoClipLoss, ppoTerm } from '../../estimators/losses';
import { categoricalLogProb, categoricalLogProbGrad, softmax } from '../../policy/heads';

/**
 * The expected discounted episode length Σ_s d(s) beyond which the exact solve is not trusted: a
 * policy that almost never ends (corridor, γ = 1, p(right) ≈ 1e−39 after a huge step) makes I − γP_π
 * singular to double precision, and the solve returns garbage, even J = 0 or J > 0. Σ_s d(s) ≥ 1 holds
 * exactly, so a failed solve also shows as Σ_s d(s) < 1 (it comes out negative there). Up to 10⁸ the
 * relative error of J stays near 10⁻⁸.
 */
export const LENGTH_LIMIT = 1e8;

/** The exact solve (estimators/exact.ts), or undefined where it cannot be trusted (`LENGTH_LIMIT`). */
function solved(model: TabularModel, theta: ArrayLike<number>, gamma: number): ExactResult | undefined {
  const r = exactGradient(model, theta, gamma);
  const length = r.d.reduce((a, v) => a + v, 0);
  return length >= 1 - 1e-9 && length <= LENGTH_LIMIT ? r : undefined;
}

/** J(θ) from estimators/exact.ts; NaN (shown as "—") where the solve is not trusted. */
export function exactJ(model: TabularModel, theta: ArrayLike<number>, gamma: number): number {
  return solved(model, theta, gamma)?.J ?? NaN;
}
/** ∇J from estimators/exact.ts (laid out like θ); NaN where the solve is not trusted. */
export function exactGrad(model: TabularModel, theta: ArrayLike<number>, gamma: number): Float64Array {
  return solved(model, theta, gamma)?.grad ?? new Float64Array(model.nObs * model.nActions).fill(NaN);
}

export const TINY_ENVS = ['bandit', 'scalar-bandit', 'twostate', 'corridor'] as const;
export type TinyEnv = (typeof TINY_ENVS)[number];
/**
 * The most trajectories the lab samples per world (on the main thread, on every change): corridor
 * episodes run up to 200 steps where the policy rarely reaches the goal, the others a few steps.
 */
export const TINY_MAX_SAMPLES: Readonly<Record<TinyEnv, number>> = { bandit: 5000, 'scalar-bandit': 5000, twostate: 5000, corridor: 1000 };

export const TINY_PSI = ['reinforce', 'reinforce-rtg', 'reinforce-baseline'] as const;
export type TinyPsi = (typeof TINY_PSI)[number];

export interface TinyWorld {
  name: TinyEnv;
  env: EnvDef;
  model: TabularModel;
  /** policy rows (= env.tabular.nStates) */
  nObs: number;
  /** parameter count = nObs · 2 */
  P: number;
  /** the parameter indices that are parameters (the others stay where `thetaFromProbs` put them) */
  free: number[];
  /** the parameter indices of the plane's x and y axes */
  plane: [number, number];
  planeLabels: [string, string];
  /** the name of each parameter (readout columns) */
  paramNames: string[];
  /** the name of each policy row (what the agent observes) */
  rowNames: string[];
  /** the MDP state of an env state (for the trajectory list; corridor's position is not in the obs) */
  stateOf(envState: Float32Array): number;
}

export function makeWorld(name: TinyEnv): TinyWorld {
  const oneRow = { nObs: 1, P: 2, free: [0, 1], plane: [0, 1] as [number, number], stateOf: () => 0 };
  switch (name) {
    case 'bandit':
      return { name, ...oneRow, env: makeBandit() as unknown as EnvDef, model: banditModel(), planeLabels: ['z₀ (arm 0 logit)', 'z₁ (arm 1 logit)'], paramNames: ['θ[s][0]', 'θ[s][1]'], rowNames: ['s'] };
    case 'scalar-bandit': {
      const params = { p0: 0, p1: 1 };
      return {
        name,
        ...oneRow,
        free: [1],
        env: makeBandit(params) as unknown as EnvDef,
        model: banditModel(params),
        planeLabels: ['z₀ (pinned at 0)', 'θ = z₁'],
        paramNames: ['z₀ (pinned)', 'θ'],
        rowNames: ['s'],
      };
    }
    case 'corridor':
      return {
        name,
        ...oneRow,
        env: makeCorridor() as unknown as EnvDef,
        model: corridorModel(),
        planeLabels: ['z_left', 'z_right'],
        paramNames: ['θ[left]', 'θ[right]'],
        rowNames: ['(aliased)'],
        stateOf: (st) => Math.round(st[0]),
      };
    case 'twostate':
      return {
        name,
        env: makeTwoState() as unknown as EnvDef,
        model: twoStateModel(),
        nObs: 2,
        P: 4,
        free: [0, 1, 2, 3],
        plane: [1, 3],
        planeLabels: ['θ[s0][1]', 'θ[s1][1]'],
        paramNames: ['θ[s0][0]', 'θ[s0][1]', 'θ[s1][0]', 'θ[s1][1]'],
        rowNames: ['s0', 's1'],
        stateOf: (st) => (st[0] > 0.5 ? 1 : 0),
      };
  }
}

/** v with the entries of the world's pinned (non-free) parameters set to 0: a direction θ may move in. */
export function freeOnly(world: TinyWorld, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(world.P);
  for (const j of world.free) out[j] = v[j];
  return out;
}

/** θ from the sliders: θ[s] = (0, logit p_s). */
export function thetaFromProbs(probs: readonly number[]): Float64Array {
  const th = new Float64Array(probs.length * 2);
  for (let s = 0; s < probs.length; s++) th[2 * s + 1] = Math.log(probs[s] / (1 - probs[s]));
  return th;
}

/** π(·|row s) = softmax(θ[s]) (policy/heads.ts). */
export function policyRow(theta: ArrayLike<number>, s: number, out: Float64Array = new Float64Array(2)): Float64Array {
  softmax(theta, 2 * s, 2, out, 0);
  return out;
}

export interface TrajStep {
  t: number;
  /** policy row (observation index) */
  s: number;
  /** the MDP state (differs from the policy row where states are aliased: corridor) */
  state: number;
  a: number;
  r: number;
  /** π(a_t|s_t) */
  pa: number;
  /** γ^t */
  disc: number;
  /** ∇_{θ[s]} log π(a|s) = (1[a=0] − π(0|s), 1[a=1] − π(1|s)) — the only nonzero row of the score */
  score: [number, number];
  /** Ψ_t */
  psi: number;
  /** γ^t · score · Ψ_t */
  prod: [number, number];
}

export interface Trajectory {
  index: number;
  steps: TrajStep[];
  /** R(τ) = Σ γ^t r_t */
  ret: number;
  /** ĝ(τ), length P */
  grad: Float64Array;
}

/**
 * Sample trajectories [from, from+count) of the policy θ on `world`, with Ψ of kind `psi`
 * (`baseline` is the constant b of 'reinforce-baseline').
 */
export function sampleTrajectories(
  world: TinyWorld,
  theta: ArrayLike<number>,
  from: number,
  count: number,
  seed: number,
  gamma: number,
  psi: TinyPsi,
  baseline: number,
): Trajectory[] {
  const env = world.env;
  const state = new Float32Array(env.stateDim);
  const obs = new Float32Array(env.obsDim);
  const act = new Float32Array(1);
  const u = new Float64Array(4);
  const pi = new Float64Array(2);
  const res: StepResult = { reward: 0, terminated: false, truncated: false };
  const out: Trajectory[] = [];
  for (let i = from; i < from + count; i++) {
    env.reset(state, 0, uniform4(seed, Purpose.Reset, i, 0, 0, u));
    const steps: TrajStep[] = [];
    for (let k = 0; k < env.horizon; k++) {
      env.observe(state, 0, obs, 0);
      const s = world.nObs === 1 ? 0 : obs[0] > 0.5 ? 0 : 1;
      const mdp = world.stateOf(state);
      policyRow(theta, s, pi);
      const a = sampleCategorical(pi, 0, 2, uniform4(seed, Purpose.Action, i, k, 0, u)[0]);
      act[0] = a;
      env.step(state, 0, act, 0, uniform4(seed, Purpose.Env, i, k, 0, u), res);
      // the score ∇_{θ[s]} log π(a|s) = 1[k=a] − π_k
      const score: [number, number] = [0, 0];
      categoricalLogProbGrad(theta, 2 * s, 2, a, 1, score, 0);
      steps.push({ t: k, s, state: mdp, a, r: res.reward, pa: pi[a], disc: gamma ** k, score, psi: 0, prod: [0, 0] });
      if (res.terminated || res.truncated) break;
    }
    // the trajectory as a one-env rollout: G_t = r_t + γ G_{t+1} (reward-to-go) and Ψ_t of the estimator
    const T = steps.length;
    const ro = createRollout(T, 1);
    for (let t = 0; t < T; t++) ro.rewards[t] = steps[t].r;
    ro.terminated[T - 1] = res.terminated ? 1 : 0;
    ro.truncated[T - 1] = res.truncated ? 1 : 0;
    const G = rewardToGo(ro, gamma, new Float64Array(T));
    const Psi = computePsi(psi, ro, gamma, 0, baseline, new Float64Array(T));
    const grad = new Float64Array(world.P);
    for (const st of steps) {
      st.psi = Psi[st.t];
      const w = st.disc * st.psi;
      st.prod = [w * st.score[0], w * st.score[1]];
      grad[2 * st.s] += st.prod[0];
      grad[2 * st.s + 1] += st.prod[1];
    }
    out.push({ index: i, steps, ret: G[0], grad });
  }
  return out;
}

/** Mean of the trajectories' estimates. */
export function meanGrad(trajs: readonly Trajectory[], P: number): Float64Array {
  const m = new Float64Array(P);
  for (const tr of trajs) for (let j = 0; j < P; j++) m[j] += tr.grad[j];
  if (trajs.length > 0) for (let j = 0; j < P; j++) m[j] /= trajs.length;
  return m;
}

/**
 * Convergence curve: for n = 1 … trajs.length (on a log grid), ‖mean of the first n estimates − ∇J‖
 * over the parameter indices `free` (default all P). Returns columns [n, error].
 */
export function convergence(trajs: readonly Trajectory[], exact: ArrayLike<number>, P: number, free: readonly number[] = Array.from({ length: P }, (_, j) => j)): [number[], number[]] {
  const ns: number[] = [];
  const errs: number[] = [];
  const sum = new Float64Array(P);
  let next = 1;
  for (let n = 1; n <= trajs.length; n++) {
    for (let j = 0; j < P; j++) sum[j] += trajs[n - 1].grad[j];
    if (n === next || n === trajs.length) {
      let e2 = 0;
      for (const j of free) e2 += (sum[j] / n - exact[j]) ** 2;
      ns.push(n);
      errs.push(Math.sqrt(e2));
      next = Math.max(n + 1, Math.ceil(n * 1.25));
    }
  }
  return [ns, errs];
}

/** J on a grid over the plane (other parameters as in θ); rows = y, columns = x. */
export function landscape(world: TinyWorld, theta: ArrayLike<number>, gamma: number, xs: readonly number[], ys: readonly number[]): Float64Array {
  const th = Float64Array.from(theta);
  const out = new Float64Array(xs.length * ys.length);
  const [ix, iy] = world.plane;
  for (let r = 0; r < ys.length; r++) {
    for (let c = 0; c < xs.length; c++) {
      th[ix] = xs[c];
      th[iy] = ys[r];
      out[r * xs.length + c] = exactJ(world.model, th, gamma);
    }
  }
  return out;
}


/**
 * KL(π_θ ‖ π_θ') averaged over the policy rows visited in `trajs` (each visit weighted equally):
 *   KL = mean_visits Σ_a π_θ(a|s) (log π_θ(a|s) − log π_θ'(a|s))   (log π from policy/heads.ts).
 */
export function visitKl(trajs: readonly Trajectory[], theta: ArrayLike<number>, theta2: ArrayLike<number>): number {
  return rowKl(rowVisits(trajs), theta, theta2);
}

/** How often the trajectories visit each policy row (visits of one row share their KL term). */
function rowVisits(trajs: readonly Trajectory[]): Map<number, number> {
  const visits = new Map<number, number>();
  for (const tr of trajs) for (const st of tr.steps) visits.set(st.s, (visits.get(st.s) ?? 0) + 1);
  return visits;
}

/** `visitKl` from the visit counts: Σ_s count_s · KL_s / Σ_s count_s. */
function rowKl(visits: Map<number, number>, theta: ArrayLike<number>, theta2: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (const [s, count] of visits) {
    for (let a = 0; a < 2; a++) {
      const lp = categoricalLogProb(theta, 2 * s, 2, a);
      sum += count * Math.exp(lp) * (lp - categoricalLogProb(theta2, 2 * s, 2, a));
    }
    n += count;
  }
  return n > 0 ? sum / n : 0;
}

export interface StepResultLab {
  /** end point in parameter space */
  theta: Float64Array;
  jAfter: number;
  /** KL(π_θ ‖ π_θ') over the sampled visits */
  kl: number;
  /** what limited the step, in words */
  note: string;
}

/** The unconstrained policy-gradient step θ' = θ + α ĝ (free parameters only). */
export function plainStep(world: TinyWorld, theta: ArrayLike<number>, g: ArrayLike<number>, alpha: number, gamma: number, trajs: readonly Trajectory[]): StepResultLab {
  const th = Float64Array.from(theta);
  for (const j of world.free) th[j] += alpha * g[j];
  return { theta: th, jAfter: exactJ(world.model, th, gamma), kl: visitKl(trajs, theta, th), note: `θ + α·ĝ with α = ${alpha}` };
}

/**
 * KL-limited step along the same direction: θ' = θ + t·α ĝ with the largest t ∈ [0, 1] such that
 * KL(π_θ ‖ π_θ') ≤ δ on the sampled visits (bisection; KL grows monotonically along the ray here).
 */
export function klLimitedStep(world: TinyWorld, theta: ArrayLike<number>, g: ArrayLike<number>, alpha: number, delta: number, gamma: number, trajs: readonly Trajectory[]): StepResultLab {
  const at = (t: number) => {
    const th = Float64Array.from(theta);
    for (const j of world.free) th[j] += t * alpha * g[j];
    return th;
  };
  const visits = rowVisits(trajs);
  let lo = 0;
  let hi = 1;
  if (rowKl(visits, theta, at(1)) <= delta) lo = 1;
  else for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (rowKl(visits, theta, at(mid)) <= delta) lo = mid;
    else hi = mid;
  }
  const th = at(lo);
  return { theta: th, jAfter: exactJ(world.model, th, gamma), kl: visitKl(trajs, theta, th), note: `step scaled by ${lo.toFixed(3)} so that KL ≤ ${delta}` };
}

/**
 * PPO-clip: K ascent steps of size α/K on the clipped surrogate over the same samples,
 *   L(θ') = mean_{τ,t} γ^t min(ρ_t Ψ_t, clip(ρ_t, 1−ε, 1+ε) Ψ_t),   ρ_t = π_θ'(a_t|s_t) / π_θ(a_t|s_t),
 *   ∇L = mean γ^t ρ_t ∇log π_θ'(a_t|s_t) Ψ_t over the samples whose term is not clipped (else 0).
 * The first step equals the plain gradient ĝ; the step stalls once the ratios leave [1−ε, 1+ε].
 */
export function ppoClipStep(world: TinyWorld, theta: ArrayLike<number>, alpha: number, eps: number, gamma: number, trajs: readonly Trajectory[], K = 200): StepResultLab {
  const th = Float64Array.from(theta);
  const grad = new Float64Array(world.P);
  const n = Math.max(1, trajs.length);
  const term = ppoTerm();
  // ρ depends on the sample only through (row, action), and ℓ is linear in Â on each branch, the branch
  // set by the sign of Â: the samples of one (row, action, sign Â) add up to one term with ΣÂ (so a
  // step costs a handful of terms however long the trajectories; corridor's run to 200 steps)
  const samples = new Map<string, { s: number; a: number; logpOld: number; adv: number }>();
  for (const tr of trajs) {
    for (const st of tr.steps) {
      const adv = st.disc * st.psi;
      if (adv === 0) continue;
      const key = `${st.s},${st.a},${adv > 0}`;
      const x = samples.get(key);
      if (x) x.adv += adv;
      else samples.set(key, { s: st.s, a: st.a, logpOld: Math.log(st.pa), adv });
    }
  }
  let maxDev = 0;
  for (let it = 0; it < K; it++) {
    grad.fill(0);
    maxDev = 0;
    for (const x of samples.values()) {
      // the trainer's PPO-clip term with Â = γ^t Ψ_t: ∂ℓ/∂log π_new = −ρ Â, 0 on the clipped branch
      const logpNew = categoricalLogProb(th, 2 * x.s, 2, x.a);
      ppoClipLoss(logpNew, x.logpOld, x.adv, eps, term);
      maxDev = Math.max(maxDev, Math.abs(Math.exp(logpNew - x.logpOld) - 1));
      // ascent on L = −ℓ: θ[s] += (−∂ℓ/∂log π)/n · ∂log π/∂θ[s]
      if (!term.clipped) categoricalLogProbGrad(th, 2 * x.s, 2, x.a, -term.grad / n, grad, 2 * x.s);
    }
    for (const j of world.free) th[j] += (alpha / K) * grad[j];
  }
  return { theta: th, jAfter: exactJ(world.model, th, gamma), kl: visitKl(trajs, theta, th), note: `${K} surrogate steps of α/${K}; max |ρ−1| = ${maxDev.toFixed(3)} (ε = ${eps})` };
}

/** J at π(1|row 0) = p for each p of `ps` (one-row worlds; θ = (0, logit p) as the slider sets it). */
export function jCurve(world: TinyWorld, gamma: number, ps: readonly number[]): number[] {
  return ps.map((p) => exactJ(world.model, thetaFromProbs([p]), gamma));
}

/**
 * The best p = π(1|row 0) of a one-row world in [lo, hi], by golden-section search on the exact
 * J(p) (estimators/exact.ts; J is unimodal in p for these worlds), or null when the best p is an end
 * of the range (the bandits: always the better arm) or the world has more than one row. For the
 * corridor with γ = 1 it is 2 − √2 (Sutton & Barto, Example 13.1).
 */
export function optimum(world: TinyWorld, gamma: number, lo = 0.01, hi = 0.99): { p: number; J: number } | null {
  if (world.nObs !== 1) return null;
  const J = (p: number) => exactJ(world.model, thetaFromProbs([p]), gamma);
  const r = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - r * (b - a);
  let d = a + r * (b - a);
  let fc = J(c);
  let fd = J(d);
  while (b - a > 1e-10) {
    if (fc >= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - r * (b - a);
      fc = J(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + r * (b - a);
      fd = J(d);
    }
  }
  const p = (a + b) / 2;
  if (p - lo < 1e-6 || hi - p < 1e-6) return null;
  return { p, J: J(p) };
}
