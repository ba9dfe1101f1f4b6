/**
 * The page's pure helpers, in Node (no browser): form validation goes through config.ts and lands
 * each message on its field; run series line up by env steps and export what they hold; histogram
 * bins; the benchmark crossover (the smallest measured env count where the GPU is faster);
 * the tiny lab's sampler against the exact gradient (CLT bound) and its PPO-clip step (first
 * iteration = the plain gradient; the clip holds the ratios near 1 + ε).
 */
import { describe, expect, it } from 'vitest';
import { validateTexts, parseEstimators, checkField, checkNumber } from '../../src/ui/form';
import { RunSeries } from '../../src/ui/series';
import { histogram, rangeOf } from '../../src/ui/lab/histogram';
import { crossover } from '../../src/train/bench';
import { makeWorld, thetaFromProbs, sampleTrajectories, meanGrad, exactGrad, exactJ, ppoClipStep, plainStep, klLimitedStep, visitKl, policyRow } from '../../src/ui/lab/tiny-model';
import type { MetricRow } from '../../src/train/metrics';

describe('form validation (config.ts is the one layer)', () => {
  it('puts each bad field’s config.ts message on that field', () => {
    const { config, errors } = validateTexts({ numEnvs: '-4', lambda: '2', lr: 'fast', seed: '7' });
    expect(config).toBeUndefined();
    expect(errors).toEqual({
      numEnvs: 'invalid numEnvs: -4 (allowed: an integer 1 ≤ numEnvs ≤ 65536)',
      lambda: 'invalid lambda: 2 (allowed: a number 0 ≤ lambda ≤ 1)',
      lr: 'invalid lr: "fast" (allowed: a number 0 < lr ≤ 1)',
    });
  });
  it('reports cross-field rules on the field config.ts names', () => {
    const { config, errors } = validateTexts({ numEnvs: '2', numSteps: '4', minibatches: '16' });
    expect(config).toBeUndefined();
    expect(Object.keys(errors)).toEqual(['minibatches']);
    expect(errors.minibatches).toContain('envs × num-steps = 8');
  });
  it('returns the validated config when everything is fine', () => {
    const { config, errors } = validateTexts({ env: 'twostate', numEnvs: '16', hidden: '8,8', normAdv: 'false' });
    expect(errors).toEqual({});
    expect(config).toMatchObject({ env: 'twostate', numEnvs: 16, hidden: [8, 8], normAdv: false });
  });
  it('estimators list and page-local numbers', () => {
    expect(parseEstimators('ppo, gae,ppo')).toEqual({ algos: ['ppo', 'gae'] });
    expect(parseEstimators('').error).toContain('at least one');
    expect(parseEstimators('ppo,<b>x</b>').error).toContain('"<b>x</b>"');
    expect(checkField('gamma', '0.5')).toEqual({ value: 0.5 });
    expect(checkField('gamma', '1.5').error).toBe('invalid gamma: 1.5 (allowed: a number 0 ≤ gamma ≤ 1)');
    expect(checkNumber('n', '12', 1, 100, true)).toEqual({ value: 12 });
    expect(checkNumber('n', '1.5', 1, 100, true).error).toBe('invalid n: "1.5" (allowed: an integer 1 ≤ n ≤ 100)');
    expect(checkNumber('n', 'Infinity', 1, 100).error).toBeDefined();
  });
});

function row(update: number, envSteps: number, ret: number, extra: Partial<MetricRow> = {}): MetricRow {
  return {
    update, envSteps, wallS: update, sps: 100 * update, episodicReturn: ret, episodicLength: 10, episodicReturnMin: ret - 1, episodicReturnMax: ret + 1, episodes: 2, policyLoss: 0, valueLoss: 0,
    entropy: 0, approxKl: 0, clipFrac: 0, gradNorm: 0, lr: 0.1, nonFinite: false, gradVariance: NaN, gradSnr: NaN, ...extra,
  };
}

describe('RunSeries', () => {
  it('lines runs up by env steps, nulls for missing or non-finite values', () => {
    const s = new RunSeries(['a', 'b']);
    s.add(0, row(1, 100, 5));
    s.add(1, row(1, 100, NaN, { gradVariance: 2 }));
    s.add(0, row(2, 200, 7, { gradVariance: -1 }));
    expect(s.columns('episodicReturn')).toEqual([[100, 200], [5, 7], [null, null]]);
    expect(s.columns('gradVariance', true)).toEqual([[100, 200], [null, null], [2, null]]);
    const csv = s.toCsv().trim().split('\n');
    expect(csv[0].startsWith('estimator,update,envSteps')).toBe(true);
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['a,1,100', 'a,2,200', 'b,1,100']);
    s.rewind(0, 1);
    expect(s.columns('episodicReturn')).toEqual([[100], [5], [null]]);
    const j = JSON.parse(s.toJson({ config: { env: 'x' } }));
    expect(j.runs.map((r: any) => [r.estimator, r.rows.length])).toEqual([['a', 1], ['b', 1]]);
  });
});

describe('histogram and crossover', () => {
  it('bins count every finite value once', () => {
    const v = [0, 0.1, 0.49, 0.5, 0.99, 1, NaN, -5];
    const c = histogram(v, 0, 1, 2);
    expect(c).toEqual([4, 3]); // −5 clamps into the first bin, 1 into the last
    const [lo, hi] = rangeOf([[1, 2, 3]], [10]);
    expect(lo).toBeCloseTo(1 - 0.45, 12);
    expect(hi).toBeCloseTo(10 + 0.45, 12);
  });
  it('is the smallest measured env count where the GPU is faster (src/train/bench.ts, shared with the CLI)', () => {
    // CPU: 1e5 steps/s flat; GPU: 100·n steps/s → the curves cross at n = 1000, and 1024 is the
    // first measured count where the GPU is faster (the crossover names a measured count, not an interpolation)
    const ns = [16, 64, 256, 1024, 4096];
    const cpu = ns.map(() => 1e5);
    const gpu = ns.map((n) => 100 * n);
    expect(crossover(ns, gpu, cpu)).toBe(1024);
    expect(crossover(ns, ns.map(() => 1e3), cpu)).toBeNull();
    // GPU faster at the first point already: the smallest count is returned
    expect(crossover(ns, cpu, gpu)).toBe(16);
    expect(crossover(ns, ns.map(() => 2e5), cpu)).toBe(16);
    expect(crossover([1, 2], [null, 5], [1, 1])).toBe(2);
  });
});

describe('tiny lab model', () => {
  it('the bandit sampler’s mean estimate converges to p(1−p)(r₁−r₀) (CLT bound)', () => {
    const w = makeWorld('bandit');
    const p = 0.35;
    const th = thetaFromProbs([p]);
    const n = 20000;
    const trajs = sampleTrajectories(w, th, 0, n, 5, 1, 'reinforce', 0);
    // action frequencies follow π
    const ones = trajs.filter((t) => t.steps[0].a === 1).length / n;
    expect(Math.abs(ones - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    const m = meanGrad(trajs, 2);
    const exact = p * (1 - p) * 0.6;
    // ĝ₁ = (a − p)·r with |ĝ₁| ≤ 1: SE ≤ 1/√n
    expect(Math.abs(m[1] - exact)).toBeLessThan(4 / Math.sqrt(n));
    expect(m[0]).toBeCloseTo(-m[1], 12);
    expect(exactGrad(w.model, th, 1)[1]).toBeCloseTo(exact, 12);
  });
  it('twostate: γ^t-weighted reward-to-go estimates are unbiased for the discounted ∇J', () => {
    const w = makeWorld('twostate');
    const th = thetaFromProbs([0.3, 0.7]);
    const n = 20000;
    const trajs = sampleTrajectories(w, th, 0, n, 9, 0.9, 'reinforce-rtg', 0);
    const m = meanGrad(trajs, 4);
    const g = exactGrad(w.model, th, 0.9);
    // per-component standard error from the sample itself
    for (let j = 0; j < 4; j++) {
      const v = trajs.reduce((a, t) => a + (t.grad[j] - m[j]) ** 2, 0) / (n - 1);
      expect(Math.abs(m[j] - g[j])).toBeLessThan(4.5 * Math.sqrt(v / n));
    }
    // the mean return is J
    const R = trajs.reduce((a, t) => a + t.ret, 0) / n;
    const sd = Math.sqrt(trajs.reduce((a, t) => a + (t.ret - R) ** 2, 0) / (n - 1));
    expect(Math.abs(R - exactJ(w.model, th, 0.9))).toBeLessThan(4.5 * sd / Math.sqrt(n));
  });
  it('PPO-clip: one tiny step equals the plain step; the clip keeps ratios near the boundary; KL limit holds', () => {
    const w = makeWorld('bandit');
    const th = thetaFromProbs([0.3]);
    const trajs = sampleTrajectories(w, th, 0, 200, 2, 1, 'reinforce-baseline', exactJ(w.model, th, 1));
    const g = meanGrad(trajs, 2);
    const one = ppoClipStep(w, th, 1e-3, 0.2, 1, trajs, 1);
    const plain = plainStep(w, th, g, 1e-3, 1, trajs);
    for (let j = 0; j < 2; j++) expect(one.theta[j]).toBeCloseTo(plain.theta[j], 12);
    const big = ppoClipStep(w, th, 50, 0.2, 1, trajs, 400);
    const pNew = policyRow(big.theta, 0)[1];
    // Ψ = r − J. Arm-1 samples with Ψ > 0 stop pushing once π(1)/0.3 > 1 + ε (π(1) > 0.36); arm-0
    // samples with Ψ < 0 stop once π(0)/0.7 < 1 − ε (π(1) > 1 − 0.8·0.7 = 0.44). So π(1) ends in
    // [0.36, 0.44] however far α would go, while the plain step runs to π(1) ≈ 1.
    expect(pNew).toBeGreaterThan(0.355);
    expect(pNew).toBeLessThan(0.45); // + at most one discrete step (α/K) past the boundary
    expect(policyRow(plainStep(w, th, g, 50, 1, trajs).theta, 0)[1]).toBeGreaterThan(0.9);
    const kl = klLimitedStep(w, th, g, 50, 0.01, 1, trajs);
    expect(kl.kl).toBeLessThanOrEqual(0.01 + 1e-9);
    expect(kl.kl).toBeGreaterThan(0.0099);
    expect(visitKl(trajs, th, th)).toBe(0);
  });
});
