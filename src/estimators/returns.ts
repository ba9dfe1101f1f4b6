/**
 * Returns, TD errors and GAE on a time-major rollout [T×N] (see rollout.ts for the layout and for
 * terminated / truncated / cut / mask). These are the Ψ_t of the score-function gradient
 *   ∇J = E[ Σ_t ∇log π(a_t|s_t) · Ψ_t ]                                   (DESIGN.md "The theory")
 * and the critic's targets. Every function is allocation-free: the caller passes `out` (length ≥ T·N,
 * f32 like the GPU kernels, or f64); reverse scans read the carry back from `out[i + N]`, so an f32
 * `out` rounds the carry exactly as an f32 kernel does. Masked samples get 0. Valid for any γ, λ ∈ [0, 1].
 *
 * Notation: i = t·N + e; term_t = terminated_i; V_t = values_i; V'_t = nextValues_i;
 * linked_t = 1 if the episode segment goes on from t to t+1 (rollout.ts `linked`), else the segment
 * ends at t: after a termination with V = 0, otherwise cut and bootstrapped with V'_t.
 */
import type { EstimatorKind, Algo } from '../core/types';
import { checkRollout, linked, valid, type FloatArray, type Rollout } from './rollout';

/**
 * One-step TD error of sample i:
 *   δ_t = r_t + γ (1 − term_t) V'_t − V_t
 * (V'_t is V of the real next observation, so after a truncation it is the bootstrap, never the value
 * of the auto-reset state).
 */
export function tdError(r: Rollout, i: number, gamma: number): number {
  const next = r.terminated[i] !== 0 ? 0 : r.nextValues[i];
  return r.rewards[i] + gamma * next - r.values[i];
}

/** Actor-critic TD(0): Ψ_t = δ_t = r_t + γ (1 − term_t) V'_t − V_t, for every sample. */
export function tdErrors<A extends FloatArray>(r: Rollout, gamma: number, out: A): A {
  checkRollout(r, out);
  const n = r.T * r.N;
  for (let i = 0; i < n; i++) out[i] = valid(r, i) ? tdError(r, i, gamma) : 0;
  return out;
}

/**
 * Reward-to-go with bootstrapping at the end of a cut segment, by a reverse scan:
 *   G_t = r_t + γ · ( linked_t ? G_{t+1} : (1 − term_t) V'_t )
 * i.e. G_t = Σ_{k=t}^{end} γ^{k−t} r_k + γ^{end−t+1} (1 − term_end) V'_end.
 */
export function rewardToGo<A extends FloatArray>(r: Rollout, gamma: number, out: A): A {
  checkRollout(r, out);
  const { T, N } = r;
  for (let t = T - 1; t >= 0; t--) {
    for (let e = 0; e < N; e++) {
      const i = t * N + e;
      if (!valid(r, i)) {
        out[i] = 0;
        continue;
      }
      const tail = linked(r, t, i) ? out[i + N] : r.terminated[i] !== 0 ? 0 : r.nextValues[i];
      out[i] = r.rewards[i] + gamma * tail;
    }
  }
  return out;
}

/**
 * Full-return REINFORCE: Ψ_t = R of the episode segment containing t, counted from the segment's first
 * step in this rollout (t₀) and bootstrapped if the segment was cut:
 *   R = Σ_{k=0}^{len−1} γ^k r_{t₀+k} + γ^len (1 − term_end) V'_end  = G_{t₀}
 * Computed as the reward-to-go, then G_{t₀} copied forward along the segment.
 */
export function episodeReturn<A extends FloatArray>(r: Rollout, gamma: number, out: A): A {
  rewardToGo(r, gamma, out);
  const { T, N } = r;
  for (let t = 1; t < T; t++) {
    for (let e = 0; e < N; e++) {
      const i = t * N + e;
      if (linked(r, t - 1, i - N)) out[i] = out[i - N];
    }
  }
  return out;
}

/**
 * Generalised advantage estimation (Schulman et al. 2016), by a reverse scan:
 *   Â_t = δ_t + γλ · linked_t · Â_{t+1}      ⇔      Â_t = Σ_{l=0}^{end−t} (γλ)^l δ_{t+l}
 * λ = 0 gives TD(0) (Â_t = δ_t); λ = 1 gives G_t − V_t (the bootstrapped reward-to-go minus V).
 */
export function gae<A extends FloatArray>(r: Rollout, gamma: number, lambda: number, out: A): A {
  checkRollout(r, out);
  const { T, N } = r;
  const gl = gamma * lambda;
  for (let t = T - 1; t >= 0; t--) {
    for (let e = 0; e < N; e++) {
      const i = t * N + e;
      if (!valid(r, i)) {
        out[i] = 0;
        continue;
      }
      const carry = linked(r, t, i) ? gl * out[i + N] : 0;
      out[i] = tdError(r, i, gamma) + carry;
    }
  }
  return out;
}

/**
 * Critic targets from advantages (the λ-return, CleanRL's `returns = advantages + values`):
 *   target_t = Â_t + V_t
 * With Â from `gae` at λ = 1 this is G_t; for the other choice of the theory, target = G_t, use
 * `rewardToGo` directly. A masked sample (Â = 0) gets target = V_t, i.e. zero critic gradient.
 * `out` may alias `adv`.
 */
export function criticTargets<A extends FloatArray>(r: Rollout, adv: ArrayLike<number>, out: A): A {
  checkRollout(r, out);
  const n = r.T * r.N;
  for (let i = 0; i < n; i++) out[i] = adv[i] + r.values[i];
  return out;
}

/**
 * Ψ_t for each estimator of the theory, into `out` (length ≥ T·N):
 *   'reinforce'          Ψ_t = R (episode segment return, `episodeReturn`)
 *   'reinforce-rtg'      Ψ_t = G_t (`rewardToGo`)
 *   'reinforce-baseline' Ψ_t = G_t − b (b = `baseline`, a constant, e.g. a running mean of G)
 *   'actor-critic'       Ψ_t = δ_t (`tdErrors`)
 *   'gae'                Ψ_t = Â_t(γ, λ) (`gae`)
 * `lambda` is read only by 'gae' and `baseline` only by 'reinforce-baseline'.
 */
export function computePsi<A extends FloatArray>(
  kind: EstimatorKind,
  rollout: Rollout,
  gamma: number,
  lambda: number,
  baseline: number,
  out: A,
): A {
  switch (kind) {
    case 'reinforce':
      return episodeReturn(rollout, gamma, out);
    case 'reinforce-rtg':
      return rewardToGo(rollout, gamma, out);
    case 'reinforce-baseline':
      return subtractBaseline(rollout, rewardToGo(rollout, gamma, out), baseline);
    case 'actor-critic':
      return tdErrors(rollout, gamma, out);
    case 'gae':
      return gae(rollout, gamma, lambda, out);
  }
}

/** Ψ_t ← Ψ_t − b on the valid samples (masked ones stay 0). */
export function subtractBaseline<A extends FloatArray>(r: Rollout, psi: A, b: number): A {
  const n = r.T * r.N;
  for (let i = 0; i < n; i++) if (valid(r, i)) psi[i] -= b;
  return psi;
}

/** The Ψ an algorithm trains with: PPO uses GAE advantages, the others are their own estimator. */
export function psiKindFor(algo: Algo): EstimatorKind {
  return algo === 'ppo' ? 'gae' : algo;
}
