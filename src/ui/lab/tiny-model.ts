/**
 * The Tiny-MDP lab's computations (bandit and twostate, tabular softmax policy), small enough to run
 * on the main thread. No UI here: the page calls these and renders the results.
 *
 * Policy: θ = logits [nObs][2] (the tabular actor layout), π(a|s) = softmax(θ[s])_a. A slider gives
 * p_s = π(1|s); we set θ[s] = (0, log(p_s/(1−p_s))). The 2-D parameter plane shown is
 *   bandit:   (θ[0][0], θ[0][1]) = (z₀, z₁)
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
 */
import { uniform4, sampleCategorical, Purpose } from '../../core/rng';
import type { EnvDef, StepResult } from '../../core/types';
import type { TabularModel } from '../../envs/tabular';
import { makeBandit, banditModel } from '../../envs/bandit';
import { makeTwoState, twoStateModel } from '../../envs/twostate';
import { exactGradient, exactObjective } from '../../estimators/exact';

/** J(θ) from estimators/exact.ts. */
export function exactJ(model: TabularModel, theta: ArrayLike<number>, gamma: number): number {
  return exactObjective(model, theta, gamma);
}
/** ∇J from estimators/exact.ts (laid out like θ). */
export function exactGrad(model: TabularModel, theta: ArrayLike<number>, gamma: number): Float64Array {
  return exactGradient(model, theta, gamma).grad;
}

export const TINY_ENVS = ['bandit', 'twostate'] as const;
export type TinyEnv = (typeof TINY_ENVS)[number];
export const TINY_PSI = ['reinforce', 'reinforce-rtg', 'reinforce-baseline'] as const;
export type TinyPsi = (typeof TINY_PSI)[number];

export interface TinyWorld {
  env: EnvDef;
  model: TabularModel;
  /** policy rows (= env.tabular.nStates) */
  nObs: number;
  /** parameter count = nObs · 2 */
  P: number;
  /** the parameter indices of the plane's x and y axes */
  plane: [number, number];
  planeLabels: [string, string];
}

export function makeWorld(name: TinyEnv): TinyWorld {
  if (name === 'bandit') {
    return { env: makeBandit() as unknown as EnvDef, model: banditModel(), nObs: 1, P: 2, plane: [0, 1], planeLabels: ['z₀ (arm 0 logit)', 'z₁ (arm 1 logit)'] };
  }
  return { env: makeTwoState() as unknown as EnvDef, model: twoStateModel(), nObs: 2, P: 4, plane: [1, 3], planeLabels: ['θ[s0][1]', 'θ[s1][1]'] };
}

/** θ from the sliders: θ[s] = (0, logit p_s). */
export function thetaFromProbs(probs: readonly number[]): Float64Array {
  const th = new Float64Array(probs.length * 2);
  for (let s = 0; s < probs.length; s++) th[2 * s + 1] = Math.log(probs[s] / (1 - probs[s]));
  return th;
}

/** π(·|row s) = softmax(θ[s]). */
export function policyRow(theta: ArrayLike<number>, s: number, out: Float64Array = new Float64Array(2)): Float64Array {
  const z0 = theta[2 * s];
  const z1 = theta[2 * s + 1];
  const m = Math.max(z0, z1);
  const e0 = Math.exp(z0 - m);
  const e1 = Math.exp(z1 - m);
  out[0] = e0 / (e0 + e1);
  out[1] = e1 / (e0 + e1);
  return out;
}

export interface TrajStep {
  t: number;
  /** policy row (observation index) */
  s: number;
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
      policyRow(theta, s, pi);
      const a = sampleCategorical(pi, 0, 2, uniform4(seed, Purpose.Action, i, k, 0, u)[0]);
      act[0] = a;
      env.step(state, 0, act, 0, uniform4(seed, Purpose.Env, i, k, 0, u), res);
      steps.push({ t: k, s, a, r: res.reward, pa: pi[a], disc: gamma ** k, score: [(a === 0 ? 1 : 0) - pi[0], (a === 1 ? 1 : 0) - pi[1]], psi: 0, prod: [0, 0] });
      if (res.terminated || res.truncated) break;
    }
    // Reward-to-go by a reverse scan: G_t = r_t + γ G_{t+1}.
    const G = new Float64Array(steps.length + 1);
    for (let t = steps.length - 1; t >= 0; t--) G[t] = steps[t].r + gamma * G[t + 1];
    const grad = new Float64Array(world.P);
    for (const st of steps) {
      st.psi = psi === 'reinforce' ? G[0] : psi === 'reinforce-rtg' ? G[st.t] : G[st.t] - baseline;
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
 * Convergence curve: for n = 1 … trajs.length (on a log grid), ‖mean of the first n estimates − ∇J‖.
 * Returns columns [n, error].
 */
export function convergence(trajs: readonly Trajectory[], exact: ArrayLike<number>, P: number): [number[], number[]] {
  const ns: number[] = [];
  const errs: number[] = [];
  const sum = new Float64Array(P);
  let next = 1;
  for (let n = 1; n <= trajs.length; n++) {
    for (let j = 0; j < P; j++) sum[j] += trajs[n - 1].grad[j];
    if (n === next || n === trajs.length) {
      let e2 = 0;
      for (let j = 0; j < P; j++) e2 += (sum[j] / n - exact[j]) ** 2;
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
 *   KL = mean_visits Σ_a π_θ(a|s) log(π_θ(a|s)/π_θ'(a|s)).
 */
export function visitKl(trajs: readonly Trajectory[], theta: ArrayLike<number>, theta2: ArrayLike<number>): number {
  const p = new Float64Array(2);
  const q = new Float64Array(2);
  let sum = 0;
  let n = 0;
  for (const tr of trajs) {
    for (const st of tr.steps) {
      policyRow(theta, st.s, p);
      policyRow(theta2, st.s, q);
      sum += p[0] * Math.log(p[0] / q[0]) + p[1] * Math.log(p[1] / q[1]);
      n++;
    }
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

/** The unconstrained policy-gradient step θ' = θ + α ĝ. */
export function plainStep(world: TinyWorld, theta: ArrayLike<number>, g: ArrayLike<number>, alpha: number, gamma: number, trajs: readonly Trajectory[]): StepResultLab {
  const th = Float64Array.from(theta);
  for (let j = 0; j < world.P; j++) th[j] += alpha * g[j];
  return { theta: th, jAfter: exactJ(world.model, th, gamma), kl: visitKl(trajs, theta, th), note: `θ + α·ĝ with α = ${alpha}` };
}

/**
 * KL-limited step along the same direction: θ' = θ + t·α ĝ with the largest t ∈ [0, 1] such that
 * KL(π_θ ‖ π_θ') ≤ δ on the sampled visits (bisection; KL grows monotonically along the ray here).
 */
export function klLimitedStep(world: TinyWorld, theta: ArrayLike<number>, g: ArrayLike<number>, alpha: number, delta: number, gamma: number, trajs: readonly Trajectory[]): StepResultLab {
  const at = (t: number) => {
    const th = Float64Array.from(theta);
    for (let j = 0; j < world.P; j++) th[j] += t * alpha * g[j];
    return th;
  };
  let lo = 0;
  let hi = 1;
  if (visitKl(trajs, theta, at(1)) <= delta) lo = 1;
  else for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (visitKl(trajs, theta, at(mid)) <= delta) lo = mid;
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
  const q = new Float64Array(2);
  const grad = new Float64Array(world.P);
  const n = Math.max(1, trajs.length);
  let maxDev = 0;
  for (let it = 0; it < K; it++) {
    grad.fill(0);
    maxDev = 0;
    for (const tr of trajs) {
      for (const st of tr.steps) {
        policyRow(th, st.s, q);
        const rho = q[st.a] / st.pa;
        const w = st.disc * st.psi;
        maxDev = Math.max(maxDev, Math.abs(rho - 1));
        // min(ρΨ, clip(ρ)Ψ) is the clipped branch (zero gradient) when Ψ>0, ρ>1+ε or Ψ<0, ρ<1−ε.
        if ((w > 0 && rho > 1 + eps) || (w < 0 && rho < 1 - eps)) continue;
        const c = (rho * w) / n;
        grad[2 * st.s] += c * ((st.a === 0 ? 1 : 0) - q[0]);
        grad[2 * st.s + 1] += c * ((st.a === 1 ? 1 : 0) - q[1]);
      }
    }
    for (let j = 0; j < world.P; j++) th[j] += (alpha / K) * grad[j];
  }
  return { theta: th, jAfter: exactJ(world.model, th, gamma), kl: visitKl(trajs, theta, th), note: `${K} surrogate steps of α/${K}; max |ρ−1| = ${maxDev.toFixed(3)} (ε = ${eps})` };
}
