/**
 * The page's pure helpers, in Node (no browser): form validation goes through config.ts and lands
 * each message on its field; run series line up by env steps and export what they hold; histogram
 * bins; the benchmark crossover (the smallest measured env count where the GPU is faster);
 * the tiny lab's sampler against the exact gradient (CLT bound) and its PPO-clip step (first
 * iteration = the plain gradient; the clip holds the ratios near 1 + ε).
 */
import { describe, expect, it } from 'vitest';
import { validateTexts, parseEstimators, checkSeeds, checkField, checkNumber, presetTexts, rebaseTexts, editedFields, fieldLabel, defaultTexts } from '../../src/ui/form';
import { RunSeries, statusText } from '../../src/ui/series';
import { pageParams, unknownParams } from '../../src/ui/url';
import { FIELDS, FIELD_NAMES, configFromStrings } from '../../src/core/config';
import { PAGE_PRESETS } from '../../src/core/presets';
import { histogram, rangeOf } from '../../src/ui/lab/histogram';
import { crossover } from '../../src/train/bench';
import { makeWorld, thetaFromProbs, sampleTrajectories, meanGrad, exactGrad, exactJ, ppoClipStep, plainStep, klLimitedStep, visitKl, policyRow } from '../../src/ui/lab/tiny-model';
import { CSV_COLUMNS, type MetricRow } from '../../src/train/metrics';

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
  // every metric column (metrics.ts grows: other helpers add columns), 0 unless said here
  const zero = Object.fromEntries(CSV_COLUMNS.map((k) => [k, 0])) as unknown as MetricRow;
  return {
    ...zero, update, envSteps, wallS: update, sps: 100 * update, episodicReturn: ret, episodicLength: 10, episodicReturnMin: ret - 1, episodicReturnMax: ret + 1, episodes: 2,
    lr: 0.1, nonFinite: false, gradVariance: NaN, gradSnr: NaN, epochsRun: 1,
    varReinforce: NaN, cosReinforce: NaN, varReinforceRtg: NaN, cosReinforceRtg: NaN, varReinforceBaseline: NaN, cosReinforceBaseline: NaN,
    varActorCritic: NaN, cosActorCritic: NaN, varGae: NaN, cosGae: NaN, ...extra,
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

describe('RunSeries with several seeds per estimator', () => {
  it('plots each estimator’s mean across its seeds and a ±1 standard-error band (hand-derived)', () => {
    // ppo seeds 1, 2, 3 and gae seeds 1, 2, 3 (estimators × seeds, as the page starts them)
    const s = new RunSeries(['ppo', 'ppo', 'ppo', 'gae', 'gae', 'gae'], [1, 2, 3, 1, 2, 3]);
    expect(s.groups).toEqual(['ppo', 'gae']);
    expect(s.multiSeed).toBe(true);
    // update 1: ppo returns 1, 2, 4 (mean 7/3, SE √7/3); gae 3, NaN, 5 (mean 4 over the 2 finite, SE 1)
    [1, 2, 4, 3, NaN, 5].forEach((r, i) => s.add(i, row(1, 100, r)));
    // update 2: only ppo seed 1 and gae seeds 1, 2, 3 so far: ppo has no point yet at x = 200
    s.add(0, row(2, 200, 10));
    [6, 6, 6].forEach((r, i) => s.add(3 + i, row(2, 200, r)));
    const m = s.meanColumnsOf(['episodicReturn']);
    expect(m[0]).toEqual([100, 200]);
    expect(m[1][0]).toBeCloseTo(7 / 3, 14);
    expect(m[1][1]).toBeNull();
    expect(m[2]).toEqual([4, 6]);
    const b = s.seBands('episodicReturn');
    expect(b[0].lo[0]).toBeCloseTo(7 / 3 - Math.sqrt(7) / 3, 14);
    expect(b[0].hi[0]).toBeCloseTo(7 / 3 + Math.sqrt(7) / 3, 14);
    expect([b[0].lo[1], b[0].hi[1]]).toEqual([null, null]);
    expect([b[1].lo[0], b[1].hi[0]]).toEqual([3, 5]);
    expect([b[1].lo[1], b[1].hi[1]]).toEqual([6, 6]);
    // the exports carry each run's seed
    const csv = s.toCsv().trim().split('\n');
    expect(csv[0].startsWith('estimator,seed,update,envSteps')).toBe(true);
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['ppo,1,1', 'ppo,1,2', 'ppo,2,1', 'ppo,3,1', 'gae,1,1', 'gae,1,2', 'gae,2,1', 'gae,2,2', 'gae,3,1', 'gae,3,2']);
    expect(JSON.parse(s.toJson({})).runs.map((r: any) => `${r.estimator}/${r.seed}`)).toEqual(['ppo/1', 'ppo/2', 'ppo/3', 'gae/1', 'gae/2', 'gae/3']);
  });
  it('with one seed per estimator the means are the runs themselves and the CSV has no seed column', () => {
    const s = new RunSeries(['a', 'b'], [7, 7]);
    s.add(0, row(1, 100, 5, { gradVariance: 3 }));
    s.add(1, row(1, 100, NaN, { gradVariance: -2 }));
    s.add(0, row(2, 200, 7));
    expect(s.multiSeed).toBe(false);
    expect(s.meanColumnsOf(['episodicReturn'])).toEqual(s.columns('episodicReturn'));
    expect(s.meanColumnsOf(['gradVariance', 'episodicReturn'], true)).toEqual(s.columnsOf(['gradVariance', 'episodicReturn'], true));
    expect(s.toCsv().split('\n')[0].startsWith('estimator,update,')).toBe(true);
  });
  it('the seeds field: a count from the form’s seed or a list, else the CLI’s words', () => {
    expect(checkSeeds('3', 5)).toEqual({ seeds: [5, 6, 7] });
    expect(checkSeeds('1,2,3', 5)).toEqual({ seeds: [1, 2, 3] });
    expect(checkSeeds('0', 5).error).toMatch(/^invalid seeds: "0" \(allowed: a count N of 1–256 /);
    expect(checkSeeds('2,2', 5).error).toMatch(/distinct integers/);
  });
});

describe('trainer status line', () => {
  it('shows each run’s own progress, not one run’s count over the other’s', () => {
    // two estimators side by side, one update apart (the worker runs one update of each in turn)
    const s = new RunSeries(['ppo', 'reinforce-rtg']);
    for (let u = 1; u <= 15; u++) s.add(0, row(u, 512 * u, 1));
    for (let u = 1; u <= 14; u++) s.add(1, row(u, 512 * u, 1));
    expect(s.lastUpdates()).toEqual([15, 14]);
    expect(statusText('running', s.names, s.lastUpdates(), [16, 16])).toBe('running — ppo: update 15 of 16 · reinforce-rtg: update 14 of 16');
    // after a rewind (continuing from an older checkpoint) the run's update is where it went back to
    s.rewind(0, 10);
    expect(statusText('running', s.names, s.lastUpdates(), [16, 16])).toBe('running — ppo: update 10 of 16 · reinforce-rtg: update 14 of 16');
    // a run continued from a checkpoint at update 16 reports its real update, not its row count
    const c = new RunSeries(['ppo']);
    c.add(0, row(17, 512 * 17, 1));
    expect(statusText('done', c.names, c.lastUpdates(), [18])).toBe('done — ppo: update 17 of 18');
    expect(statusText('idle', [], [], [])).toBe('idle');
    expect(statusText('starting', ['gae'], [0], [4])).toBe('starting — gae: update 0 of 4');
  });
});

describe('trainer form: labels, presets, several metrics per run', () => {
  it('every config field has a short label (one place: config.ts FIELDS)', () => {
    for (const k of FIELD_NAMES) {
      expect(FIELDS[k].label.length).toBeGreaterThan(0);
      expect(FIELDS[k].label.length).toBeLessThanOrEqual(28);
    }
    expect(fieldLabel('gamma')).toBe('γ discount');
    expect(fieldLabel('lr')).toBe('lr (Adam)');
  });
  it('a preset fills every field: its config over the defaults, env count per engine, and validates', () => {
    const p = PAGE_PRESETS[0];
    const gpu = presetTexts(p, true);
    expect(gpu.env).toBe(p.env);
    expect(gpu.numEnvs).toBe(String(p.gpuEnvs));
    expect(gpu.estimators).toBe(p.estimators.join(','));
    expect(gpu.preset).toBe(p.id);
    expect(presetTexts(p, false).numEnvs).toBe(String(p.cpuEnvs));
    expect(presetTexts(p, true, 'cpu').numEnvs).toBe(String(p.cpuEnvs));
    for (const q of PAGE_PRESETS) {
      for (const webgpu of [true, false]) {
        const { preset, estimators, ...fields } = presetTexts(q, webgpu);
        expect(preset).toBe(q.id);
        expect(parseEstimators(estimators).algos).toEqual(q.estimators);
        // the texts are a whole valid configuration carrying the preset's values
        const c = configFromStrings(fields);
        for (const [k, v] of Object.entries(q.config)) if (k !== 'numEnvs') expect(c[k as keyof typeof c]).toEqual(v);
        expect(c.numEnvs).toBe(webgpu ? q.gpuEnvs : q.cpuEnvs);
      }
    }
  });
  it('changing preset keeps the fields the user edited and moves the rest', () => {
    const from: Record<string, string> = { ...defaultTexts(), env: 'cartpole', lr: '0.001', numEnvs: '4096', seed: '1' };
    const to: Record<string, string> = { ...defaultTexts(), env: 'pendulum', lr: '0.0003', numEnvs: '4', seed: '1' };
    const texts = { ...from, lr: '0.005', env: 'pendulum' };
    expect([...editedFields(texts, from)].sort()).toEqual(['env', 'lr']);
    const out = rebaseTexts(texts, from, to, ['env']);
    expect(out.lr).toBe('0.005'); // edited: kept
    expect(out.numEnvs).toBe('4'); // not edited: the new preset's
    expect(out.env).toBe('pendulum');
    expect(editedFields(out, to)).toEqual(new Set(['lr']));
  });
  it('columnsOf lines several metrics of every run up on one chart', () => {
    const s = new RunSeries(['a', 'b']);
    s.add(0, row(1, 100, 0, { varGae: 4, varReinforce: -1 }));
    s.add(1, row(1, 100, 0, { varGae: 2, varReinforce: 8 }));
    s.add(1, row(2, 200, 0, { varGae: NaN, varReinforce: 3 }));
    expect(s.columnsOf(['varReinforce', 'varGae'], true)).toEqual([[100, 200], [null, null], [4, null], [8, 3], [2, null]]);
    expect(s.columnsOf(['varReinforce'])).toEqual([[100, 200], [-1, null], [8, 3]]);
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

describe('URL state', () => {
  it('writes the whole configuration in the page’s key order and names unknown keys', () => {
    const keys = ['preset', 'env', 'numEnvs', 'estimators'];
    expect(Object.entries(pageParams({ estimators: 'ppo', env: 'cartpole', other: 'x', numEnvs: '8', preset: undefined }, keys))).toEqual([
      ['env', 'cartpole'],
      ['numEnvs', '8'],
      ['estimators', 'ppo'],
    ]);
    expect(unknownParams({ env: 'cartpole', annealLR: 'true', '<b>': '1' }, keys)).toEqual(['annealLR', '<b>']);
  });
});
