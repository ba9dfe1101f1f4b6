/**
 * Global-norm gradient clipping, as PyTorch's `nn.utils.clip_grad_norm_` (which CleanRL uses):
 *
 *   ‖g‖ = √(Σ_i g_i²)   (over the whole flat gradient, actor and critic together)
 *   g ← g · min(1, maxNorm / (‖g‖ + 1e-6))
 */
export const CLIP_EPS = 1e-6;

/** ‖g‖₂ accumulated in float64. */
export function globalNorm(grad: Float32Array | Float64Array): number {
  let s = 0;
  for (let i = 0; i < grad.length; i++) {
    const g = grad[i];
    s += g * g;
  }
  return Math.sqrt(s);
}

/**
 * Scale `grad` in place so that its global norm is at most `maxNorm` (coefficient
 * maxNorm / (‖g‖ + 1e-6), applied only when < 1). Returns ‖g‖ BEFORE clipping. A non-finite norm is
 * returned as is and leaves `grad` untouched (the caller skips such an update).
 */
export function clipByGlobalNorm(grad: Float32Array | Float64Array, maxNorm: number): number {
  const norm = globalNorm(grad);
  if (!Number.isFinite(norm)) return norm;
  const coef = maxNorm / (norm + CLIP_EPS);
  if (coef < 1) for (let i = 0; i < grad.length; i++) grad[i] *= coef;
  return norm;
}
