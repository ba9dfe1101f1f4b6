/**
 * Policy heads: the distribution π(·|s) the actor's outputs parameterise, with sampling, log-prob,
 * entropy and their derivatives. Allocation-free: every function reads from (array, offset) pairs and
 * derivative helpers ACCUMULATE `scale ·` derivative into an output array (so a caller builds
 * ∂L/∂z = Σ coefficient · ∂term/∂z in place, e.g. L = −Â·log π − β·H → scales −Â and −β).
 *
 * Categorical (softmax and tabular heads), logits z[0 … n−1]:
 *   π_k = exp(z_k − m) / Σ_j exp(z_j − m), m = max z          (stable softmax)
 *   log π(a) = z_a − m − log Σ_j exp(z_j − m)
 *   H = −Σ_k π_k log π_k
 *   ∂log π(a)/∂z_k = 1[k=a] − π_k
 *   ∂H/∂z_k = −π_k (log π_k + H)
 *   sample: a = sampleCategorical(π, u0) (inverse CDF, core/rng.ts), u0 from uniform4(seed, Action, env, k, 0)
 *
 * Diagonal Gaussian (state-independent log σ), dims j < dim ≤ 4:
 *   log π(a) = Σ_j [ −(a_j − μ_j)² / (2σ_j²) − log σ_j − ½ log 2π ]
 *   H = Σ_j (log σ_j + ½ log 2πe)
 *   ∂log π/∂μ_j = (a_j − μ_j)/σ_j²,  ∂log π/∂log σ_j = (a_j − μ_j)²/σ_j² − 1,  ∂H/∂log σ_j = 1,  ∂H/∂μ = 0
 *   sample: (z0,z1) = boxMuller(u0,u1), (z2,z3) = boxMuller(u2,u3); a_j = μ_j + σ_j z_j (raw, unclipped)
 */
import { boxMuller } from '../core/rng';

type Arr = ArrayLike<number>;
type Out = { [i: number]: number };

export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** ½ log(2πe): the entropy of a unit-variance normal */
export const HALF_LOG_2PIE = 0.5 * Math.log(2 * Math.PI * Math.E);

// ───────────────────────── categorical ─────────────────────────

/** log Σ_k exp(z_k), stably: m + log Σ exp(z_k − m). */
export function logSumExp(z: Arr, off: number, n: number): number {
  let m = z[off];
  for (let k = 1; k < n; k++) if (z[off + k] > m) m = z[off + k];
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.exp(z[off + k] - m);
  return m + Math.log(s);
}

/** π = softmax(z) written to p[pOff …]; returns log Σ exp z (so log π_k = z_k − return value). */
export function softmax(z: Arr, off: number, n: number, p: Out, pOff: number): number {
  const lse = logSumExp(z, off, n);
  for (let k = 0; k < n; k++) p[pOff + k] = Math.exp(z[off + k] - lse);
  return lse;
}

/** log π(a) = z_a − log Σ_k exp z_k. */
export function categoricalLogProb(z: Arr, off: number, n: number, a: number): number {
  return z[off + a] - logSumExp(z, off, n);
}

/** H(π) = −Σ_k π_k log π_k. */
export function categoricalEntropy(z: Arr, off: number, n: number): number {
  const lse = logSumExp(z, off, n);
  let h = 0;
  for (let k = 0; k < n; k++) {
    const lp = z[off + k] - lse;
    h -= Math.exp(lp) * lp;
  }
  return h;
}

/**
 * a ~ π = softmax(z) by inverse CDF with the uniform u: the first a with u < Σ_{k≤a} π_k (the last
 * category absorbs rounding). Identical to `sampleCategorical(softmax(z), 0, n, u)` without the array.
 */
export function categoricalSample(z: Arr, off: number, n: number, u: number): number {
  const lse = logSumExp(z, off, n);
  let c = 0;
  for (let k = 0; k < n - 1; k++) {
    c += Math.exp(z[off + k] - lse);
    if (u < c) return k;
  }
  return n - 1;
}

/** dz[dOff + k] += scale · ∂log π(a)/∂z_k = scale · (1[k=a] − π_k). */
export function categoricalLogProbGrad(z: Arr, off: number, n: number, a: number, scale: number, dz: Out, dOff: number): void {
  const lse = logSumExp(z, off, n);
  for (let k = 0; k < n; k++) dz[dOff + k] += scale * ((k === a ? 1 : 0) - Math.exp(z[off + k] - lse));
}

/** dz[dOff + k] += scale · ∂H/∂z_k = scale · (−π_k (log π_k + H)). */
export function categoricalEntropyGrad(z: Arr, off: number, n: number, scale: number, dz: Out, dOff: number): void {
  const lse = logSumExp(z, off, n);
  let h = 0;
  for (let k = 0; k < n; k++) {
    const lp = z[off + k] - lse;
    h -= Math.exp(lp) * lp;
  }
  for (let k = 0; k < n; k++) {
    const lp = z[off + k] - lse;
    dz[dOff + k] += scale * (-Math.exp(lp) * (lp + h));
  }
}

// ───────────────────────── diagonal Gaussian ─────────────────────────

/**
 * a[aOff + j] = μ_j + σ_j z_j, σ_j = exp(log σ_j), with (z0,z1) = boxMuller(u0,u1), (z2,z3) = boxMuller(u2,u3)
 * (u = uniform4(seed, Purpose.Action, env, k, 0)). dim ≤ 4.
 */
export function gaussianSample(mu: Arr, muOff: number, logStd: Arr, lsOff: number, dim: number, u: Arr, a: Out, aOff: number): void {
  for (let j = 0; j < dim; j++) {
    const p = j >> 1; // pair index: dims 0,1 ← (u0,u1); dims 2,3 ← (u2,u3)
    const z = boxMuller(u[2 * p], u[2 * p + 1], (j & 1) as 0 | 1);
    a[aOff + j] = mu[muOff + j] + Math.exp(logStd[lsOff + j]) * z;
  }
}

/** log π(a) = Σ_j [ −(a_j − μ_j)²/(2σ_j²) − log σ_j − ½ log 2π ]. */
export function gaussianLogProb(a: Arr, aOff: number, mu: Arr, muOff: number, logStd: Arr, lsOff: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const ls = logStd[lsOff + j];
    const d = (a[aOff + j] - mu[muOff + j]) * Math.exp(-ls); // (a−μ)/σ
    s += -0.5 * d * d - ls - HALF_LOG_2PI;
  }
  return s;
}

/** H = Σ_j (log σ_j + ½ log 2πe) (independent of μ and of the state). */
export function gaussianEntropy(logStd: Arr, lsOff: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += logStd[lsOff + j] + HALF_LOG_2PIE;
  return s;
}

/**
 * dMu[dMuOff + j] += scale · (a_j − μ_j)/σ_j²;  dLogStd[dLsOff + j] += scale · ((a_j − μ_j)²/σ_j² − 1).
 */
export function gaussianLogProbGrad(
  a: Arr,
  aOff: number,
  mu: Arr,
  muOff: number,
  logStd: Arr,
  lsOff: number,
  dim: number,
  scale: number,
  dMu: Out,
  dMuOff: number,
  dLogStd: Out,
  dLsOff: number,
): void {
  for (let j = 0; j < dim; j++) {
    const inv = Math.exp(-logStd[lsOff + j]); // 1/σ
    const d = (a[aOff + j] - mu[muOff + j]) * inv; // (a−μ)/σ
    dMu[dMuOff + j] += scale * d * inv;
    dLogStd[dLsOff + j] += scale * (d * d - 1);
  }
}

/** dLogStd[dLsOff + j] += scale · ∂H/∂log σ_j = scale (∂H/∂μ = 0). */
export function gaussianEntropyGrad(dim: number, scale: number, dLogStd: Out, dLsOff: number): void {
  for (let j = 0; j < dim; j++) dLogStd[dLsOff + j] += scale;
}
