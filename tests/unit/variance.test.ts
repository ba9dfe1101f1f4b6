import { describe, expect, it } from 'vitest';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import { bias2, estimatorStats, gradMean, pickDirection, projections, snr, sqNorm, traceCov } from '../../src/estimators';

describe('gradient statistics on hand-made vectors', () => {
  // G = 3 groups, P = 2: ĝ = (1,2), (3,0), (2,4)
  //   mean m = (6/3, 6/3) = (2, 2); deviations (−1,0), (1,−2), (0,2)
  //   tr Σ̂ = (1 + 0 + 1 + 4 + 0 + 4) / (3 − 1) = 10/2 = 5; ‖m‖² = 8; SNR = 8/5 = 1.6
  //   on u = (0.6, 0.8): ⟨ĝ,u⟩ = 0.6 + 1.6 = 2.2, 1.8 + 0 = 1.8, 1.2 + 3.2 = 4.4
  //   vs reference (1, 1): bias² = 1² + 1² = 2
  const grads = new Float32Array([1, 2, 3, 0, 2, 4]);

  it('mean, trace, SNR, projections, bias²', () => {
    const m = gradMean(grads, 3, 2, new Float64Array(2));
    expect(Array.from(m)).toEqual([2, 2]);
    const tr = traceCov(grads, 3, 2, m);
    expect(tr).toBe(5);
    expect(snr(sqNorm(m, 2), tr)).toBeCloseTo(1.6, 12);
    const pr = projections(grads, 3, 2, [0.6, 0.8], new Float64Array(3));
    expect(pr[0]).toBeCloseTo(2.2, 12);
    expect(pr[1]).toBeCloseTo(1.8, 12);
    expect(pr[2]).toBeCloseTo(4.4, 12);
    expect(bias2(m, [1, 1], 2)).toBe(2);
  });

  it('estimatorStats bundles the same numbers', () => {
    const st = estimatorStats('gae', grads, 3, 2, [0.6, 0.8], [1, 1]);
    expect(st.kind).toBe('gae');
    expect(Array.from(st.mean)).toEqual([2, 2]);
    expect(st.traceCov).toBe(5);
    expect(st.snr).toBeCloseTo(1.6, 12);
    expect(st.projections[2]).toBeCloseTo(4.4, 12);
    expect(st.bias2).toBe(2);
    expect(estimatorStats('gae', grads, 3, 2, [1, 0]).bias2).toBeUndefined();
  });

  it('edge cases: G < 2 has no covariance; a noiseless estimate has SNR ∞ (or 0 at m = 0), never NaN', () => {
    expect(traceCov([1, 2], 1, 2, [1, 2])).toBeNaN();
    expect(snr(4, 0)).toBe(Infinity);
    expect(snr(0, 0)).toBe(0);
  });
});

describe('gradient statistics against direct computations', () => {
  it('trace equals the pairwise form (1/(G(G−1))) Σ_{g<h} ‖ĝ_g − ĝ_h‖², projections equal dot products', () => {
    const s = new PhiloxStream(41, Purpose.Init);
    for (let c = 0; c < 20; c++) {
      const G = 2 + Math.floor(s.uniform() * 10);
      const P = 1 + Math.floor(s.uniform() * 12);
      const x = new Float64Array(G * P);
      for (let i = 0; i < G * P; i++) x[i] = s.normal() + 0.5;
      let pair = 0;
      for (let g = 0; g < G; g++) {
        for (let h = g + 1; h < G; h++) {
          for (let j = 0; j < P; j++) pair += (x[g * P + j] - x[h * P + j]) ** 2;
        }
      }
      const m = gradMean(x, G, P, new Float64Array(P));
      expect(traceCov(x, G, P, m)).toBeCloseTo(pair / (G * (G - 1)), 10);
      const u = pickDirection(undefined, m, P, new Float64Array(P));
      const pr = projections(x, G, P, u, new Float64Array(G));
      let meanProj = 0;
      for (let g = 0; g < G; g++) {
        let dot = 0;
        for (let j = 0; j < P; j++) dot += x[g * P + j] * u[j];
        expect(pr[g]).toBeCloseTo(dot, 12);
        meanProj += pr[g] / G;
      }
      // the mean of the projections is the projection of the mean: ⟨m, m/‖m‖⟩ = ‖m‖
      expect(meanProj).toBeCloseTo(Math.sqrt(sqNorm(m, P)), 10);
    }
  });

  it('the trace of covariance is unbiased for G i.i.d. Gaussians with known covariance (÷G is not)', () => {
    // x = μ + L z, z ~ N(0, I₃):  Cov = L Lᵀ, tr Cov = ‖L‖²_F = 1 + 0.25 + 4 + 0.09 + 0.16 + 0.36 = 5.86
    const L = [
      [1, 0, 0],
      [0.5, 2, 0],
      [-0.3, 0.4, 0.6],
    ];
    const mu = [3, -1, 0.5];
    const trueTrace = 5.86;
    const G = 4;
    const P = 3;
    const R = 4000;
    const s = new PhiloxStream(42, Purpose.Init);
    const x = new Float64Array(G * P);
    const m = new Float64Array(P);
    const z = new Float64Array(P);
    const est = new Float64Array(R);
    for (let rep = 0; rep < R; rep++) {
      for (let g = 0; g < G; g++) {
        for (let j = 0; j < P; j++) z[j] = s.normal();
        for (let j = 0; j < P; j++) x[g * P + j] = mu[j] + L[j][0] * z[0] + L[j][1] * z[1] + L[j][2] * z[2];
      }
      est[rep] = traceCov(x, G, P, gradMean(x, G, P, m));
    }
    let avg = 0;
    for (let rep = 0; rep < R; rep++) avg += est[rep] / R;
    let v = 0;
    for (let rep = 0; rep < R; rep++) v += (est[rep] - avg) ** 2 / (R - 1);
    const se = Math.sqrt(v / R);
    expect(Math.abs(avg - trueTrace)).toBeLessThan(3 * se);
    // the biased ÷G version, avg·(G−1)/G, is about 0.75·5.86 and far outside 3 standard errors
    expect(Math.abs((avg * (G - 1)) / G - trueTrace)).toBeGreaterThan(10 * se);
  });
});

describe('pickDirection', () => {
  it('prefers the reference, then the fallback, then e₀; always a unit vector', () => {
    const out = new Float64Array(3);
    pickDirection([0, 3, 4], [1, 0, 0], 3, out);
    [0, 0.6, 0.8].forEach((w, j) => expect(out[j]).toBeCloseTo(w, 15));
    expect(Array.from(pickDirection([0, 0, 0], [0, -2, 0], 3, out))).toEqual([0, -1, 0]);
    expect(Array.from(pickDirection(undefined, undefined, 3, out))).toEqual([1, 0, 0]);
    expect(Array.from(pickDirection(undefined, [NaN, 1, 0], 3, out))).toEqual([1, 0, 0]);
  });
});
