/**
 * Arithmetic peak probe, the shared part: the recurrence both backends run (a ← a·m + c on 16
 * independent chains started at s + j, j = 0 … 15) and its closed form, which checks that every step
 * ran. `policygrad bench --modes peak` times it on each backend (src/backends/cpu/peak.ts in one JS
 * thread, src/backends/gpu/peak.ts with shaders/peak.wgsl on the WebGPU adapter): the GFLOP/s ratio is
 * the most the GPU path can gain over the CPU path on pure arithmetic on this machine.
 */

/** Chains per invocation (4 vec4 in WGSL, 16 scalars in JS); 2 flops (multiply, add) per chain step. */
export const PEAK_CHAINS = 16;
/** Multiplier and increment: mⁿ shrinks fast enough that a skipped or repeated step shows. */
export const PEAK_M = 0.999;
export const PEAK_C = 0.001;

/** Σ_j a_n(s + j) for the 16 chains started at s + j: a_n = mⁿ a₀ + c (1 − mⁿ)/(1 − m). */
export function peakChainSum(s: number, iters: number, m = PEAK_M, c = PEAK_C): number {
  const mn = Math.pow(m, iters);
  const fixed = (c * (1 - mn)) / (1 - m);
  let sum = 0;
  for (let j = 0; j < PEAK_CHAINS; j++) sum += mn * (s + j) + fixed;
  return sum;
}

/** The start s of invocation (or JS repetition) i, as in shaders/peak.wgsl. */
export function peakStart(i: number): number {
  return (i & 255) / 256;
}

export interface PeakResult {
  /** floating-point operations per second / 1e9 */
  gflops: number;
  /** flops timed */
  flops: number;
  seconds: number;
  /** largest |result − closed form| / |closed form| */
  relError: number;
}
