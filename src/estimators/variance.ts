/**
 * Gradient statistics over G disjoint env groups (DESIGN.md "Gradient variance"). The per-group
 * gradient estimates ĝ_1 … ĝ_G ∈ ℝ^P are stored row-major in one array: grads[g·P + j].
 *   mean      m = (1/G) Σ_g ĝ_g
 *   traceCov  tr Σ̂ = (1/(G−1)) Σ_g ‖ĝ_g − m‖²   (unbiased for tr Cov[ĝ], needs G ≥ 2)
 *   snr       ‖m‖² / tr Σ̂
 *   proj_g    ⟨ĝ_g, u⟩ for a unit direction u (the histogram of the teaching view)
 *   bias2     ‖m − ∇J‖² against a known reference gradient
 * Sums are accumulated in f64. Same rollout for every estimator (common random numbers), so the
 * differences are the estimators' own.
 */
import type { EstimatorKind, EstimatorStats } from '../core/types';

/** m_j = (1/G) Σ_g grads[g·P + j], into out (length ≥ P). */
export function gradMean(grads: ArrayLike<number>, G: number, P: number, out: Float64Array): Float64Array {
  out.fill(0, 0, P);
  for (let g = 0; g < G; g++) {
    const o = g * P;
    for (let j = 0; j < P; j++) out[j] += grads[o + j];
  }
  for (let j = 0; j < P; j++) out[j] /= G;
  return out;
}

/** Unbiased trace of the covariance: tr Σ̂ = (1/(G−1)) Σ_g Σ_j (grads[g·P + j] − m_j)². NaN if G < 2. */
export function traceCov(grads: ArrayLike<number>, G: number, P: number, mean: ArrayLike<number>): number {
  if (G < 2) return NaN;
  let s = 0;
  for (let g = 0; g < G; g++) {
    const o = g * P;
    for (let j = 0; j < P; j++) {
      const d = grads[o + j] - mean[j];
      s += d * d;
    }
  }
  return s / (G - 1);
}

/** ‖v‖² = Σ_j v_j² over the first P entries. */
export function sqNorm(v: ArrayLike<number>, P: number): number {
  let s = 0;
  for (let j = 0; j < P; j++) s += v[j] * v[j];
  return s;
}

/**
 * Signal-to-noise ratio ‖m‖² / tr Σ̂. A noiseless estimate (tr Σ̂ = 0) gives +∞ if m ≠ 0 and 0 if m = 0,
 * so the value is never NaN for finite inputs.
 */
export function snr(meanSqNorm: number, trace: number): number {
  if (trace > 0) return meanSqNorm / trace;
  return meanSqNorm > 0 ? Infinity : 0;
}

/** proj_g = ⟨ĝ_g, u⟩ = Σ_j grads[g·P + j] u_j, into out (length ≥ G). */
export function projections(
  grads: ArrayLike<number>,
  G: number,
  P: number,
  direction: ArrayLike<number>,
  out: Float64Array,
): Float64Array {
  for (let g = 0; g < G; g++) {
    const o = g * P;
    let s = 0;
    for (let j = 0; j < P; j++) s += grads[o + j] * direction[j];
    out[g] = s;
  }
  return out;
}

/** Squared bias against a reference gradient: ‖m − ∇J‖² = Σ_j (m_j − ref_j)². */
export function bias2(mean: ArrayLike<number>, reference: ArrayLike<number>, P: number): number {
  let s = 0;
  for (let j = 0; j < P; j++) {
    const d = mean[j] - reference[j];
    s += d * d;
  }
  return s;
}

/**
 * The unit direction u the projections are taken on:
 *   u = ∇J / ‖∇J‖   when a nonzero reference gradient is known,
 *   u = f / ‖f‖     else, with f a fallback (e.g. an estimator's mean gradient m),
 *   u = e₀          when both are missing or zero.
 * Written into out (length ≥ P).
 */
export function pickDirection(
  reference: ArrayLike<number> | undefined,
  fallback: ArrayLike<number> | undefined,
  P: number,
  out: Float64Array,
): Float64Array {
  if (normalizeInto(reference, P, out) || normalizeInto(fallback, P, out)) return out;
  out.fill(0, 0, P);
  if (P > 0) out[0] = 1;
  return out;
}

/** out = v / ‖v‖ if v is given with a finite nonzero norm; returns whether it wrote. */
function normalizeInto(v: ArrayLike<number> | undefined, P: number, out: Float64Array): boolean {
  if (v === undefined) return false;
  const n2 = sqNorm(v, P);
  if (!(n2 > 0 && Number.isFinite(n2))) return false;
  const inv = 1 / Math.sqrt(n2);
  for (let j = 0; j < P; j++) out[j] = v[j] * inv;
  return true;
}

/**
 * All statistics of one estimator (allocates its mean and projections: once per variance call, not
 * in a hot loop). `direction` is a unit vector from `pickDirection`; `reference` the exact ∇J if known.
 */
export function estimatorStats(
  kind: EstimatorKind,
  grads: ArrayLike<number>,
  G: number,
  P: number,
  direction: ArrayLike<number>,
  reference?: ArrayLike<number>,
): EstimatorStats {
  const mean = gradMean(grads, G, P, new Float64Array(P));
  const trace = traceCov(grads, G, P, mean);
  const stats: EstimatorStats = {
    kind,
    mean,
    traceCov: trace,
    snr: snr(sqNorm(mean, P), trace),
    projections: projections(grads, G, P, direction, new Float64Array(G)),
  };
  if (reference !== undefined) stats.bias2 = bias2(mean, reference, P);
  stats.cosineToMean = meanCosineTo(grads, G, P, mean);
  return stats;
}

/**
 * Cosine similarity ⟨a, b⟩ / (‖a‖ ‖b‖) of the first P entries (Ilyas et al., "A Closer Look at Deep
 * Policy Gradients"). NaN when either vector is zero or not finite.
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>, P: number, aOff = 0, bOff = 0): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < P; j++) {
    const x = a[aOff + j];
    const y = b[bOff + j];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  const d = Math.sqrt(aa) * Math.sqrt(bb);
  return d > 0 && Number.isFinite(d) ? ab / d : NaN;
}

/**
 * Average pairwise cosine similarity of G estimates (rows of grads, G·P):
 *   (2 / (G(G−1))) Σ_{g<h} cos(ĝ_g, ĝ_h).   NaN if G < 2 or a pair is undefined.
 */
export function meanPairwiseCosine(grads: ArrayLike<number>, G: number, P: number): number {
  if (G < 2) return NaN;
  let s = 0;
  for (let g = 0; g < G; g++) for (let h = g + 1; h < G; h++) s += cosine(grads, grads, P, g * P, h * P);
  return s / ((G * (G - 1)) / 2);
}

/** Mean over the G rows of cos(ĝ_g, t): each group's estimate against one target (the groups' mean, ∇J). */
export function meanCosineTo(grads: ArrayLike<number>, G: number, P: number, target: ArrayLike<number>): number {
  let s = 0;
  for (let g = 0; g < G; g++) s += cosine(grads, target, P, g * P, 0);
  return s / G;
}
