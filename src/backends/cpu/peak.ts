/**
 * The CPU side of the arithmetic peak probe (src/core/peak.ts): the recurrence on 16 independent
 * chains of JS numbers (what the CPU engine computes in), in one thread, as the CPU engine runs.
 */
import { PEAK_C, PEAK_CHAINS, PEAK_M, peakChainSum, peakStart, type PeakResult } from '../../core/peak';

/** Σ of the 16 chains started at s + j after `iters` steps of a ← a·m + c (two passes of 8 chains: 16 live
 * chains plus m and c spill x64's 16 vector registers, and run at about half the rate). */
export function peakChains(s: number, iters: number, m = PEAK_M, c = PEAK_C): number {
  return eightChains(s, iters, m, c) + eightChains(s + 8, iters, m, c);
}

function eightChains(s: number, iters: number, m: number, c: number): number {
  let a0 = s, a1 = s + 1, a2 = s + 2, a3 = s + 3, a4 = s + 4, a5 = s + 5, a6 = s + 6, a7 = s + 7;
  for (let k = 0; k < iters; k++) {
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
  }
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

/** Run the probe for at least `seconds` (after a warm-up) and report GFLOP/s. */
export function measureCpuPeak(seconds: number, iters = 1 << 16): PeakResult {
  peakChains(0, iters); // warm-up: let the JIT optimise the loop
  let reps = 0;
  let relError = 0;
  const t0 = performance.now();
  let t = t0;
  while (reps < 3 || (t - t0) / 1000 < seconds) {
    const s = peakStart(reps);
    const got = peakChains(s, iters);
    const want = peakChainSum(s, iters);
    relError = Math.max(relError, Math.abs(got - want) / Math.abs(want));
    reps++;
    t = performance.now();
  }
  const flops = 2 * PEAK_CHAINS * iters * reps;
  const secs = (t - t0) / 1000;
  return { gflops: flops / secs / 1e9, flops, seconds: secs, relError };
}
