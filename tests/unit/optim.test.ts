import { describe, expect, it } from 'vitest';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import { adamStep, clipByGlobalNorm, createAdamState, globalNorm, linearLr } from '../../src/optim';

describe('Adam (PyTorch semantics)', () => {
  it('matches the hand-computed first two steps', () => {
    // lr 0.1, β = (0.9, 0.999), ε = 1e-8, p₀ = 1, g₁ = 0.5, g₂ = −0.25
    const p = Float32Array.from([1]);
    const s = createAdamState(1);
    adamStep(p, Float32Array.from([0.5]), s, 0.1, 1e-8);
    // m = 0.05, v = 0.00025; m̂ = 0.05/0.1 = 0.5, v̂ = 0.00025/0.001 = 0.25; p = 1 − 0.1·0.5/(0.5 + 1e-8)
    expect(s.t).toBe(1);
    expect(s.m[0]).toBeCloseTo(0.05, 8);
    expect(s.v[0]).toBeCloseTo(0.00025, 10);
    expect(p[0]).toBeCloseTo(0.9, 6);
    adamStep(p, Float32Array.from([-0.25]), s, 0.1, 1e-8);
    // m = 0.9·0.05 + 0.1·(−0.25) = 0.02; v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
    // m̂ = 0.02/(1 − 0.81) = 0.105263158; √v̂ = √(0.00031225/0.001999) = 0.395225380
    // p = 0.9 − 0.1·0.105263158/0.395225380 = 0.9 − 0.026633703 = 0.873366297
    expect(s.t).toBe(2);
    expect(s.m[0]).toBeCloseTo(0.02, 7);
    expect(s.v[0]).toBeCloseTo(0.00031225, 10);
    expect(p[0]).toBeCloseTo(0.873366297, 6);
  });

  it('moves every parameter by about lr on the first step (m̂/√v̂ = sign g)', () => {
    const p = Float32Array.from([0, 0, 0]);
    adamStep(p, Float32Array.from([3, -1e-3, 0]), createAdamState(3), 0.01, 1e-8);
    expect(p[0]).toBeCloseTo(-0.01, 7);
    expect(p[1]).toBeCloseTo(0.01, 6);
    expect(p[2]).toBe(0);
  });

  it('agrees with an independent float64 implementation over 20 steps on random data', () => {
    const n = 257;
    const rng = new PhiloxStream(3, Purpose.Init);
    const p0 = Array.from({ length: n }, () => rng.normal());
    const p = Float32Array.from(p0);
    const st = createAdamState(n);
    // reference: textbook Adam in plain float64 arrays
    const rp = [...p].map(Number);
    const rm = new Array<number>(n).fill(0);
    const rv = new Array<number>(n).fill(0);
    const lr = 3e-3;
    const eps = 1e-5;
    const g = new Float32Array(n);
    for (let t = 1; t <= 20; t++) {
      for (let i = 0; i < n; i++) g[i] = rng.normal() * (i % 7 === 0 ? 1e-3 : 1);
      adamStep(p, g, st, lr, eps);
      for (let i = 0; i < n; i++) {
        rm[i] = 0.9 * rm[i] + 0.1 * g[i];
        rv[i] = 0.999 * rv[i] + 0.001 * g[i] * g[i];
        const mh = rm[i] / (1 - 0.9 ** t);
        const vh = rv[i] / (1 - 0.999 ** t);
        rp[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
    }
    expect(st.t).toBe(20);
    for (let i = 0; i < n; i++) {
      // float32 storage of p, m, v: agreement to a small fraction of one step (lr)
      expect(Math.abs(p[i] - rp[i])).toBeLessThan(2e-6);
      expect(Math.abs(st.m[i] - rm[i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(rm[i])));
    }
  });

  it('rejects mismatched sizes', () => {
    expect(() => adamStep(new Float32Array(3), new Float32Array(2), createAdamState(3), 0.1)).toThrow(/sizes/);
  });
});

describe('clipByGlobalNorm', () => {
  it('scales by maxNorm/(‖g‖ + 1e-6) when above and returns the norm before clipping', () => {
    const g = Float32Array.from([3, 4]);
    expect(clipByGlobalNorm(g, 1)).toBe(5);
    expect(g[0]).toBeCloseTo(0.6, 6);
    expect(g[1]).toBeCloseTo(0.8, 6);
    expect(globalNorm(g)).toBeCloseTo(1, 6);
  });

  it('leaves a gradient inside the ball untouched', () => {
    const g = Float64Array.from([3, 4, 0, -12]); // norm 13
    expect(clipByGlobalNorm(g, 20)).toBe(13);
    expect([...g]).toEqual([3, 4, 0, -12]);
  });

  it('reports a non-finite norm and does not touch the gradient', () => {
    const g = Float32Array.from([1, NaN]);
    expect(clipByGlobalNorm(g, 0.5)).toBeNaN();
    expect(g[0]).toBe(1);
  });
});

describe('linearLr (CleanRL)', () => {
  it('frac = 1 − (update − 1)/numUpdates', () => {
    expect(linearLr(2.5e-4, 1, 100)).toBe(2.5e-4);
    expect(linearLr(2.5e-4, 51, 100)).toBeCloseTo(1.25e-4, 15);
    expect(linearLr(2.5e-4, 100, 100)).toBeCloseTo(2.5e-6, 15);
    expect(linearLr(1, 3, 4)).toBe(0.5);
  });
});
