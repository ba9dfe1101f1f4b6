import { describe, expect, it } from 'vitest';
import { boxMuller, PhiloxStream, Purpose, sampleCategorical, uniform4 } from '../../src/core/rng';
import {
  categoricalEntropy,
  categoricalEntropyGrad,
  categoricalLogProb,
  categoricalLogProbGrad,
  categoricalSample,
  gaussianEntropy,
  gaussianEntropyGrad,
  gaussianLogProb,
  gaussianLogProbGrad,
  gaussianSample,
  logSumExp,
  softmax,
} from '../../src/policy/heads';

function relErr(a: number, n: number, floor = 1e-6): number {
  return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor);
}

/** Central-difference gradient of f at x (float64), h = 1e-6. */
function numGrad(x: Float64Array, f: () => number, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    x[i] = x0 + h;
    const fp = f();
    x[i] = x0 - h;
    const fm = f();
    x[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

function normals(n: number, seed: number, scale = 1): Float64Array {
  const s = new PhiloxStream(seed, Purpose.Init);
  return Float64Array.from({ length: n }, () => scale * s.normal());
}

describe('categorical head', () => {
  it('matches hand-computed values for z = (1, 2, 3)', () => {
    // Σ e^z = e + e² + e³ = 30.19287485; π = e^z / Σ
    const z = Float64Array.from([9, 1, 2, 3]); // offset 1
    const p = new Float64Array(3);
    softmax(z, 1, 3, p, 0);
    expect(p[0]).toBeCloseTo(0.0900305732, 9);
    expect(p[1]).toBeCloseTo(0.2447284711, 9);
    expect(p[2]).toBeCloseTo(0.6652409558, 9);
    expect(logSumExp(z, 1, 3)).toBeCloseTo(3.4076059644, 9);
    expect(categoricalLogProb(z, 1, 3, 0)).toBeCloseTo(-2.4076059644, 9);
    // H = −Σ π log π
    expect(categoricalEntropy(z, 1, 3)).toBeCloseTo(0.8323955818, 9);
    // ∂log π(0)/∂z_k = 1[k=0] − π_k
    const d = new Float64Array(5);
    categoricalLogProbGrad(z, 1, 3, 0, 1, d, 2);
    expect(d[0]).toBe(0);
    expect(d[1]).toBe(0);
    expect(d[2]).toBeCloseTo(0.9099694268, 9);
    expect(d[3]).toBeCloseTo(-0.2447284711, 9);
    expect(d[4]).toBeCloseTo(-0.6652409558, 9);
    // ∂H/∂z_k = −π_k (log π_k + H)
    const e = new Float64Array(3);
    categoricalEntropyGrad(z, 1, 3, 1, e, 0);
    expect(e[0]).toBeCloseTo(0.1418170936, 9);
    expect(e[1]).toBeCloseTo(0.1407703575, 9);
    expect(e[2]).toBeCloseTo(-0.2825874511, 9);
  });

  it('is stable for large logits', () => {
    const z = Float64Array.from([1000, 1000, -1000]);
    expect(categoricalLogProb(z, 0, 3, 0)).toBeCloseTo(-Math.LN2, 12);
    expect(categoricalEntropy(z, 0, 3)).toBeCloseTo(Math.LN2, 12);
  });

  it('log π and H derivatives match central differences (n = 5, scale and accumulation)', () => {
    const n = 5;
    const z = normals(n, 1, 1.5);
    for (let a = 0; a < n; a++) {
      const num = numGrad(z, () => categoricalLogProb(z, 0, n, a));
      const d = new Float64Array(n).fill(0.25); // accumulates on top of what is there
      categoricalLogProbGrad(z, 0, n, a, -2, d, 0);
      for (let k = 0; k < n; k++) expect(relErr(d[k] - 0.25, -2 * num[k])).toBeLessThan(1e-6);
    }
    const numH = numGrad(z, () => categoricalEntropy(z, 0, n));
    const dH = new Float64Array(n);
    categoricalEntropyGrad(z, 0, n, 0.5, dH, 0);
    for (let k = 0; k < n; k++) expect(relErr(dH[k], 0.5 * numH[k])).toBeLessThan(1e-6);
  });

  it('samples with frequencies π and equals sampleCategorical(softmax(z), u0)', () => {
    const z = Float64Array.from([0.5, -1, 2, 0]);
    const p = new Float64Array(4);
    softmax(z, 0, 4, p, 0);
    const N = 40000;
    const counts = [0, 0, 0, 0];
    const u = new Float64Array(4);
    let mismatches = 0;
    for (let i = 0; i < N; i++) {
      uniform4(5, Purpose.Action, i, 0, 0, u);
      const a = categoricalSample(z, 0, 4, u[0]);
      if (a !== sampleCategorical(p, 0, 4, u[0])) mismatches++;
      counts[a]++;
    }
    expect(mismatches).toBe(0);
    // each frequency within 4.5 standard errors; and a χ² test with 3 dof (99.9% quantile 16.27)
    let chi2 = 0;
    for (let k = 0; k < 4; k++) {
      const se = Math.sqrt((p[k] * (1 - p[k])) / N);
      expect(Math.abs(counts[k] / N - p[k])).toBeLessThan(4.5 * se);
      chi2 += (counts[k] - N * p[k]) ** 2 / (N * p[k]);
    }
    expect(chi2).toBeLessThan(16.27);
  });
});

describe('Gaussian head', () => {
  it('matches hand-computed values', () => {
    // N(0,1) at 0: log π = −½ log 2π = −0.9189385332; H = ½ log 2πe = 1.4189385332
    expect(gaussianLogProb([0], 0, [0], 0, [0], 0, 1)).toBeCloseTo(-0.9189385332, 9);
    expect(gaussianEntropy([0], 0, 1)).toBeCloseTo(1.4189385332, 9);
    // μ = 1, σ = 2, a = 2: −(1)²/(2·4) − log 2 − ½ log 2π = −0.125 − 0.6931471806 − 0.9189385332
    expect(gaussianLogProb([2], 0, [1], 0, [Math.log(2)], 0, 1)).toBeCloseTo(-1.7370857138, 9);
    // ∂/∂μ = (a−μ)/σ² = 0.25; ∂/∂log σ = (a−μ)²/σ² − 1 = −0.75
    const dMu = [0];
    const dLs = [0];
    gaussianLogProbGrad([2], 0, [1], 0, [Math.log(2)], 0, 1, 1, dMu, 0, dLs, 0);
    expect(dMu[0]).toBeCloseTo(0.25, 12);
    expect(dLs[0]).toBeCloseTo(-0.75, 12);
    // 2-D entropy: Σ (log σ_j + ½ log 2πe)
    expect(gaussianEntropy([0.3, -0.2], 0, 2)).toBeCloseTo(0.1 + 2 * 1.4189385332, 9);
  });

  it('log π and H derivatives w.r.t. μ and log σ match central differences (dim 3, offsets)', () => {
    const dim = 3;
    const a = normals(dim + 2, 2); // read from offset 2
    const mu = normals(dim + 1, 3); // offset 1
    const ls = normals(dim, 4, 0.5);
    const f = (): number => gaussianLogProb(a, 2, mu, 1, ls, 0, dim);
    const nMu = numGrad(mu, f);
    const nLs = numGrad(ls, f);
    const dMu = new Float64Array(dim + 1);
    const dLs = new Float64Array(dim);
    gaussianLogProbGrad(a, 2, mu, 1, ls, 0, dim, 1, dMu, 1, dLs, 0);
    expect(dMu[0]).toBe(0);
    for (let j = 0; j < dim; j++) {
      expect(relErr(dMu[1 + j], nMu[1 + j])).toBeLessThan(1e-6);
      expect(relErr(dLs[j], nLs[j])).toBeLessThan(1e-6);
    }
    const nH = numGrad(ls, () => gaussianEntropy(ls, 0, dim));
    const dH = new Float64Array(dim).fill(1);
    gaussianEntropyGrad(dim, -0.3, dH, 0);
    for (let j = 0; j < dim; j++) expect(relErr(dH[j] - 1, -0.3 * nH[j])).toBeLessThan(1e-6);
  });

  it('samples a_j = μ_j + σ_j z_j with z from Box–Muller of the action key, with the right mean and variance', () => {
    const dim = 4;
    const mu = [0.3, -1, 2, 0];
    const ls = [Math.log(0.5), Math.log(2), 0, Math.log(0.1)];
    const N = 20000;
    const u = new Float64Array(4);
    const act = new Float64Array(dim + 1);
    const s1 = new Float64Array(dim);
    const s2 = new Float64Array(dim);
    let mismatches = 0;
    for (let i = 0; i < N; i++) {
      uniform4(9, Purpose.Action, i % 64, i >> 6, 0, u);
      gaussianSample(mu, 0, ls, 0, dim, u, act, 1);
      // the contract: (z0,z1) = boxMuller(u0,u1), (z2,z3) = boxMuller(u2,u3)
      const z = [boxMuller(u[0], u[1], 0), boxMuller(u[0], u[1], 1), boxMuller(u[2], u[3], 0), boxMuller(u[2], u[3], 1)];
      for (let j = 0; j < dim; j++) {
        if (act[1 + j] !== mu[j] + Math.exp(ls[j]) * z[j]) mismatches++;
        s1[j] += act[1 + j];
        s2[j] += act[1 + j] ** 2;
      }
    }
    expect(mismatches).toBe(0);
    expect(act[0]).toBe(0); // nothing written before the offset
    for (let j = 0; j < dim; j++) {
      const sigma = Math.exp(ls[j]);
      const mean = s1[j] / N;
      const v = s2[j] / N - mean * mean;
      expect(Math.abs(mean - mu[j])).toBeLessThan((4 * sigma) / Math.sqrt(N));
      // var of the sample variance of a normal ≈ 2σ⁴/N
      expect(Math.abs(v - sigma * sigma)).toBeLessThan(4 * sigma * sigma * Math.sqrt(2 / N));
    }
  });
});
