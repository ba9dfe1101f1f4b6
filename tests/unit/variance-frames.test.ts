/**
 * The variance lab's accumulation frames (src/train/variance-lab.ts `VarianceLab.frames`, the page's
 * "▶ accumulate"): each frame's per-group projections are the mean of the per-env estimates of the
 * first n envs of each group (an independent computation: the engine run with one env per group, and
 * projection being linear), the last frame is the static estimate, and tr Cov shrinks as 1/n.
 */
import { describe, expect, it } from 'vitest';
import { configFromStrings } from '../../src/core/config';
import { ConfigError } from '../../src/core/errors';
import type { EstimatorKind } from '../../src/core/types';
import { accumulationSizes, VarianceLab } from '../../src/train/variance-lab';

const KINDS: EstimatorKind[] = ['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae'];

describe('accumulationSizes', () => {
  it('powers of two dividing m = numEnvs / G, then m; equal groups required', () => {
    expect(accumulationSizes(512, 32)).toEqual([1, 2, 4, 8, 16]);
    expect(accumulationSizes(96, 8)).toEqual([1, 2, 4, 12]);
    expect(accumulationSizes(40, 8)).toEqual([1, 5]);
    expect(accumulationSizes(16, 16)).toEqual([1]);
    expect(() => accumulationSizes(100, 8)).toThrow(ConfigError);
    expect(() => accumulationSizes(100, 8)).toThrow('the accumulation frames need equal groups: env count 100 is not a multiple of groups G = 8');
  });
});

describe('VarianceLab.frames', () => {
  it('twostate: frame n = the mean of the per-env estimates of the first n envs of each group; last frame = the static view', async () => {
    const N = 256;
    const G = 16;
    const lambda = 0.7;
    const config = configFromStrings({ env: 'twostate', numEnvs: String(N), numSteps: '8', gamma: '0.9', varianceGroups: String(G), seed: '3' });
    const lab = await VarianceLab.open({ config, kinds: KINDS, groups: G, critic: 'exact' });
    try {
      const fr = await lab.frames(lambda);
      expect(fr.groups).toBe(G);
      expect(fr.envsPerGroup).toBe(16);
      expect(fr.frames.map((f) => f.n)).toEqual([1, 2, 4, 8, 16]);
      // independent: each env its own group (the engine's estimate of one trajectory), then averages by hand
      const perEnv = await lab.engine.gradientEstimates(KINDS, N, { lambda, episodes: 'first' });
      expect(perEnv.groups).toBe(N);
      const m = N / G;
      for (const f of fr.frames) {
        expect(f.groups).toBe(N / f.n);
        for (const e of perEnv.estimators) {
          const p = f.projections[e.kind];
          expect(p).toHaveLength(G);
          for (let g = 0; g < G; g++) {
            let s = 0;
            for (let i = 0; i < f.n; i++) s += e.projections[g * m + i];
            expect(p[g]).toBeCloseTo(s / f.n, 10);
          }
          // the mean over all envs does not move with n
          let mu = 0;
          for (let j = 0; j < perEnv.direction.length; j++) mu += e.mean[j] * perEnv.direction[j];
          expect(f.meanU[e.kind]).toBeCloseTo(mu, 10);
        }
      }
      // the last frame is what the page shows statically (same λ, same rollout)
      const st = await lab.estimates(lambda);
      const last = fr.frames[fr.frames.length - 1];
      for (const e of st.estimators) {
        expect(Array.from(last.projections[e.kind])).toEqual(Array.from(e.projections));
        expect(last.traceCov[e.kind]).toBe(e.traceCov);
      }
    } finally {
      lab.dispose();
    }
  });

  it('cartpole (no exact ∇J, every step, u from the mean): the same prefix identity, one u for every frame', async () => {
    const N = 32;
    const G = 4;
    const config = configFromStrings({ env: 'cartpole', numEnvs: String(N), numSteps: '16', varianceGroups: String(G), hidden: '16', seed: '5' });
    const lab = await VarianceLab.open({ config, kinds: ['reinforce', 'gae'], groups: G, monteCarloReference: true });
    try {
      const fr = await lab.frames();
      expect(fr.frames.map((f) => f.n)).toEqual([1, 2, 4, 8]);
      const perEnv = await lab.engine.gradientEstimates(lab.kinds, N, { episodes: 'all' });
      for (const f of fr.frames) {
        for (const e of perEnv.estimators) {
          for (let g = 0; g < G; g++) {
            let s = 0;
            for (let i = 0; i < f.n; i++) s += e.projections[g * (N / G) + i];
            expect(f.projections[e.kind][g]).toBeCloseTo(s / f.n, 8);
          }
        }
      }
    } finally {
      lab.dispose();
    }
  });

  it('twostate: E[tr Cov] at n = 1 is 4× that at n = 4 (a paired test over independent seeds), and clearly not equal', async () => {
    // Envs are iid (each env's first episode from reset), so the estimate of n envs has Cov₁ / n, and
    // traceCov (denominator groups − 1) is unbiased for it: d = T₁ − 4·T₄ has mean 0 per seed. Over R
    // independent seeds, d̄ / (sd(d)/√R) is t-distributed with R − 1 = 9 dof: |t| > 5 has p ≈ 7·10⁻⁴
    // per estimator. Power: T₁ − T₄ (mean 3/4 tr Cov₁ > 0) must be more than 5 of its standard errors.
    const R = 10;
    const d: Record<string, number[]> = {};
    const e1: Record<string, number[]> = {};
    const ratios: Record<string, number[]> = {};
    for (const k of KINDS) [d[k], e1[k], ratios[k]] = [[], [], []];
    for (let r = 0; r < R; r++) {
      const config = configFromStrings({ env: 'twostate', numEnvs: '512', numSteps: '8', gamma: '0.9', varianceGroups: '8', seed: String(100 + r) });
      const lab = await VarianceLab.open({ config, kinds: KINDS, groups: 8, critic: 'exact' });
      try {
        const fr = await lab.frames(0.5);
        const [t1, t4] = [1, 4].map((n) => fr.frames.find((f) => f.n === n)!.traceCov);
        for (const k of KINDS) {
          d[k].push(t1[k] - 4 * t4[k]);
          e1[k].push(t1[k] - t4[k]);
          ratios[k].push(t1[k] / t4[k]);
        }
      } finally {
        lab.dispose();
      }
    }
    const tStat = (xs: number[]): number => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
      return mean / (sd / Math.sqrt(xs.length));
    };
    for (const k of KINDS) {
      const mr = ratios[k].reduce((a, b) => a + b, 0) / R;
      console.log(`${k}: mean tr Cov(n=1)/tr Cov(n=4) = ${mr.toFixed(3)}, t(T1 − 4·T4) = ${tStat(d[k]).toFixed(2)}, t(T1 − T4) = ${tStat(e1[k]).toFixed(1)}`);
      expect(Math.abs(tStat(d[k])), k).toBeLessThan(5);
      expect(tStat(e1[k]), k).toBeGreaterThan(5);
    }
  }, 60_000);
});
