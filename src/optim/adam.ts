/**
 * Adam (Kingma & Ba 2015) exactly as PyTorch's `torch.optim.Adam` (no weight decay, no amsgrad):
 *
 *   t ← t + 1
 *   m ← β₁ m + (1 − β₁) g                 v ← β₂ v + (1 − β₂) g²
 *   m̂ = m / (1 − β₁ᵗ)                     v̂ = v / (1 − β₂ᵗ)
 *   p ← p − lr · m̂ / (√v̂ + ε)
 *
 * computed as PyTorch does: step_size = lr / (1 − β₁ᵗ), denom = √v / √(1 − β₂ᵗ) + ε,
 * p ← p − step_size · m / denom (ε is added AFTER the bias correction of √v). m, v are stored in float32
 * (PyTorch's exp_avg / exp_avg_sq); the per-element arithmetic is done in float64 and rounded on store.
 * Defaults follow CleanRL's PPO: β = (0.9, 0.999), ε = 1e-5.
 */

export interface AdamState {
  /** first moment (PyTorch exp_avg) */
  m: Float32Array;
  /** second moment (PyTorch exp_avg_sq) */
  v: Float32Array;
  /** steps taken so far (PyTorch state['step']) */
  t: number;
}

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;

/** Zero moments for `n` parameters, t = 0. */
export function createAdamState(n: number): AdamState {
  return { m: new Float32Array(n), v: new Float32Array(n), t: 0 };
}

/**
 * One Adam step in place on `params` (length n) with gradient `grad` (the gradient of the loss to
 * MINIMISE). Increments `state.t`. Allocation-free; one pass over the n parameters.
 */
export function adamStep(
  params: Float32Array,
  grad: Float32Array | Float64Array,
  state: AdamState,
  lr: number,
  eps = 1e-5,
  beta1 = ADAM_BETA1,
  beta2 = ADAM_BETA2,
): void {
  const n = params.length;
  const m = state.m;
  const v = state.v;
  if (grad.length < n || m.length !== n || v.length !== n) {
    throw new Error(`adamStep: sizes differ (params ${n}, grad ${grad.length}, m ${m.length}, v ${v.length})`);
  }
  const t = ++state.t;
  const stepSize = lr / (1 - Math.pow(beta1, t));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    const mi = Math.fround(beta1 * m[i] + c1 * g);
    const vi = Math.fround(beta2 * v[i] + c2 * g * g);
    m[i] = mi;
    v[i] = vi;
    params[i] -= (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}
