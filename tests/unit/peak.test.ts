/**
 * The arithmetic peak probe's closed form (src/core/peak.ts) against hand values and against the JS
 * recurrence it stands for; the CPU measurement checks every run against it.
 */
import { describe, expect, it } from 'vitest';
import { PEAK_C, PEAK_CHAINS, PEAK_M, peakChainSum, peakStart } from '../../src/core/peak';
import { measureCpuPeak, peakChains } from '../../src/backends/cpu/peak';

describe('peak probe closed form', () => {
  it('hand values: 0 steps = Σ (s + j), 1 step = m·Σ(s + j) + 16c, many steps → 16·c/(1 − m)', () => {
    expect(PEAK_CHAINS).toBe(16);
    expect(peakChainSum(0.5, 0)).toBeCloseTo(16 * 0.5 + 120, 12);
    expect(peakChainSum(0.5, 1)).toBeCloseTo(PEAK_M * (16 * 0.5 + 120) + 16 * PEAK_C, 12);
    expect(peakChainSum(0.25, 1e6)).toBeCloseTo((16 * PEAK_C) / (1 - PEAK_M), 9);
  });
  it('equals the recurrence run step by step, and one step more or less shows', () => {
    for (const iters of [1, 7, 1000, 4096]) {
      for (const i of [0, 1, 255, 256, 1000]) {
        const s = peakStart(i);
        const want = peakChainSum(s, iters);
        expect(Math.abs(peakChains(s, iters) - want) / want).toBeLessThan(1e-12);
        // a dropped step changes the sum by far more than rounding
        expect(Math.abs(peakChains(s, iters - 1) - want) / want).toBeGreaterThan(1e-6);
      }
    }
    expect(peakStart(257)).toBe(1 / 256);
  });
  it('measureCpuPeak runs at least 3 timed repetitions and checks each against the closed form', () => {
    const r = measureCpuPeak(0.01, 1 << 10);
    expect(r.flops % (2 * PEAK_CHAINS * 1024)).toBe(0);
    expect(r.flops / (2 * PEAK_CHAINS * 1024)).toBeGreaterThanOrEqual(3);
    expect(r.relError).toBeLessThan(1e-12);
    expect(r.gflops).toBeCloseTo(r.flops / r.seconds / 1e9, 9);
  });
});
