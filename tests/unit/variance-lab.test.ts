/**
 * The variance-lab procedure shared by `policygrad variance` and the page (src/train/variance-lab.ts),
 * and the backend choice with fallback both front ends call (src/train/trainer.ts `startTrainer`);
 * `policygrad variance`'s files (--out), --cosine output and the errors of its own flags.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configFromStrings } from '../../src/core/config';
import type { EstimatorStats, VarianceStats } from '../../src/core/types';
import { bias2 } from '../../src/estimators/variance';
import { startTrainer } from '../../src/train/trainer';
import { bias2Of, cosineVsSamples, exactCriticValues, VarianceLab } from '../../src/train/variance-lab';

const est = (kind: EstimatorStats['kind'], mean: number[], b2?: number): EstimatorStats => ({ kind, mean: Float64Array.from(mean), traceCov: 1, snr: 1, projections: new Float64Array(2), ...(b2 !== undefined ? { bias2: b2 } : {}) });
const stats = (estimators: EstimatorStats[]): VarianceStats => ({ groups: 2, envSteps: 10, direction: new Float64Array(2), estimators });

describe('bias2Of', () => {
  it('the exact bias² when known, else ‖mean − reward-to-go mean‖² (estimators/variance.bias2), else NaN', () => {
    expect(bias2Of(stats([est('gae', [1, 2], 0.25)]), 'gae')).toBe(0.25);
    const s = stats([est('reinforce-rtg', [1, 1]), est('gae', [2, 3])]);
    expect(bias2Of(s, 'gae')).toBe(5);
    expect(bias2Of(s, 'gae')).toBe(bias2([2, 3], [1, 1], 2));
    expect(bias2Of(s, 'reinforce-rtg')).toBe(0);
    expect(bias2Of(stats([est('gae', [2, 3])]), 'gae')).toBeNaN();
    expect(bias2Of(s, 'reinforce')).toBeNaN();
  });
});

describe('VarianceLab', () => {
  it('twostate: exact critic, numSteps raised to the horizon, first-episode estimates with the exact ∇J; λ moves only GAE', async () => {
    const config = configFromStrings({ env: 'twostate', numEnvs: '64', numSteps: '8', gamma: '0.9', varianceGroups: '8' });
    const lab = await VarianceLab.open({ config, kinds: ['reinforce', 'actor-critic', 'gae'], groups: 8, critic: 'exact', monteCarloReference: true });
    try {
      expect(lab.tiny).toBe(true);
      expect(lab.config.numSteps).toBe(64); // each env's first episode must end inside the rollout
      expect(lab.kinds).toEqual(['reinforce', 'actor-critic', 'gae']); // the exact ∇J is the reference: no reward-to-go added
      const p = await lab.engine.getParams();
      const v = exactCriticValues('twostate', p.subarray(0, 4), 0.9);
      expect([...p.subarray(4, 6)]).toEqual([...Float32Array.from(v)]);
      expect(v[0]).not.toBe(0);
      const a = await lab.estimates(0);
      const b = await lab.estimates(1);
      expect(a.reference).toBeDefined();
      expect(lab.actor(a)).toEqual([...p.subarray(0, 4)]);
      const mean = (s: VarianceStats, k: string) => [...s.estimators.find((e) => e.kind === k)!.mean];
      expect(mean(a, 'reinforce')).toEqual(mean(b, 'reinforce'));
      expect(mean(a, 'actor-critic')).toEqual(mean(b, 'actor-critic'));
      expect(mean(a, 'gae')).not.toEqual(mean(b, 'gae'));
      // GAE(λ = 0) is the actor-critic estimate
      expect(mean(a, 'gae')).toEqual(mean(a, 'actor-critic'));
      const sweep = await lab.sweep([0, 1]);
      expect(sweep.variance.gae).toEqual([a, b].map((s) => s.estimators.find((e) => e.kind === 'gae')!.traceCov));
      expect(sweep.bias2.reinforce[0]).toBe(sweep.bias2.reinforce[1]);
    } finally {
      lab.dispose();
    }
  });

  it('warm-up trains the frozen policy; elsewhere reward-to-go is added as the Monte-Carlo reference', async () => {
    const config = configFromStrings({ env: 'cartpole', numEnvs: '8', numSteps: '16', hidden: '8', varianceGroups: '4', lr: '0.01' });
    const cold = await VarianceLab.open({ config, kinds: ['gae'], groups: 4 });
    let warmed = 0;
    const warm = await VarianceLab.open({ config, kinds: ['gae'], groups: 4, warmup: 2, monteCarloReference: true, onWarmupUpdate: () => void warmed++ });
    try {
      expect(warmed).toBe(2);
      expect([...warm.params]).not.toEqual([...cold.params]);
      expect([...(await warm.engine.getParams())]).toEqual([...warm.params]);
      expect(cold.kinds).toEqual(['gae']);
      expect(warm.kinds).toEqual(['gae', 'reinforce-rtg']);
      const s = await warm.estimates();
      expect(s.reference).toBeUndefined();
      expect(bias2Of(s, 'gae')).toBeGreaterThan(0);
    } finally {
      cold.dispose();
      warm.dispose();
    }
  });
});

describe('startTrainer', () => {
  it('a GPU request runs on the CPU engine with fallback when no GPU can be had, and says why', async () => {
    const config = configFromStrings({ env: 'bandit', backend: 'gpu', numEnvs: '4', numSteps: '4' });
    const r = await startTrainer(config, { fallback: true, gpuUnavailable: 'WebGPU is not available in this browser' });
    try {
      expect(r.backend).toBe('cpu');
      expect(r.trainer.engine.backend).toBe('cpu');
      expect(r.detail).toBe('WebGPU is not available in this browser; running on the CPU engine');
      expect(r.reason).toBe('WebGPU is not available in this browser');
    } finally {
      r.trainer.dispose();
    }
    const c = await startTrainer(configFromStrings({ env: 'bandit', numEnvs: '4', numSteps: '4' }));
    expect([c.backend, c.detail, c.reason]).toEqual(['cpu', 'CPU engine', undefined]);
    c.trainer.dispose();
  });

  it('continues from a checkpoint and says when it was written by the other engine', async () => {
    const config = configFromStrings({ env: 'bandit', numEnvs: '4', numSteps: '4', totalSteps: '64' });
    const first = await startTrainer(config);
    await first.trainer.runUpdate();
    const ck = await first.trainer.checkpoint();
    first.trainer.dispose();
    const said: string[] = [];
    const r = await startTrainer({ ...config, backend: 'gpu' }, { checkpoint: { ...ck, backend: 'gpu' }, fallback: true, gpuUnavailable: 'no GPU', notice: (m) => said.push(m) });
    expect(r.trainer.update).toBe(1);
    expect(said).toEqual(['the checkpoint was written by the GPU engine; it continues on the CPU engine.']);
    r.trainer.dispose();
  });
});

describe('cosineVsSamples (non-tabular env)', () => {
  it('cartpole: the Monte-Carlo reference (another seed, timed) is the target; n must be a multiple of num-steps', async () => {
    const config = configFromStrings({ env: 'cartpole', numSteps: '16', hidden: '8', varianceGroups: '4' });
    const c = await cosineVsSamples({ config, kinds: ['reinforce-rtg', 'actor-critic'], samples: [16, 64], referencePairs: 4000 });
    expect(c.reference).toBe('monte-carlo');
    expect(c.referencePairs).toBe(250 * 16); // ⌈4000 / 16⌉ envs × 16 steps
    expect(c.referenceSeconds).toBeGreaterThan(0);
    expect(c.envs).toEqual([4, 16]);
    expect(c.pairs).toEqual([16, 64]);
    for (const k of ['reinforce-rtg', 'actor-critic']) {
      for (const m of [c.pairwise[k], c.toReference[k]]) {
        expect(m).toHaveLength(2);
        for (const v of m) expect(Math.abs(v)).toBeLessThanOrEqual(1);
      }
    }
    await expect(cosineVsSamples({ config, kinds: ['gae'], samples: [24] })).rejects.toThrow(
      'invalid --samples-list: "24" (allowed: multiples of num-steps 16, 16 ≤ n ≤ 262144 with 4 groups)',
    );
  });
});

describe('policygrad variance: --out, --cosine, bad inputs', () => {
  const root = join(__dirname, '..', '..');
  const bin = join(root, 'bin', 'policygrad.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'policygrad-variance-'));
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, 'variance', ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  beforeAll(() => {
    if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) execFileSync('npm', ['run', '-s', 'build:cli'], { cwd: root, stdio: 'inherit' });
  });

  it('--out writes variance.csv and variance.json with the numbers of the --json lines', () => {
    const out = join(dir, 'v');
    const r = cli(['--env', 'twostate', '--samples', '400', '--groups', '8', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.estimator)).toEqual(['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae']);
    const csv = readFileSync(join(out, 'variance.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('estimator,groups,env_steps,trace_cov,snr,bias2,bias2_over_se2');
    csv.slice(1).forEach((row, i) => {
      const c = row.split(',');
      expect(c[0]).toBe(lines[i].estimator);
      expect(Number(c[3])).toBe(lines[i].trace_cov);
      expect(Number(c[5])).toBe(lines[i].bias2);
    });
    const json = JSON.parse(readFileSync(join(out, 'variance.json'), 'utf8'));
    expect(json.estimators).toEqual(lines);
    expect(json.config.env).toBe('twostate');
    expect(json.backend).toBe('cpu');
  });

  it('--cosine: a table, --json lines and cosine.csv / cosine.json with the same numbers', () => {
    const out = join(dir, 'c');
    const args = ['--cosine', '--env', 'twostate', '--samples-list', '64,16', '--groups', '4', '--estimators', 'reinforce,actor-critic'];
    const r = cli([...args, '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'cosine-reference', reference: 'exact', pairs: null });
    const pts = lines.slice(1);
    expect(pts.map((l) => [l.samples, l.estimator])).toEqual([[16, 'reinforce'], [16, 'actor-critic'], [64, 'reinforce'], [64, 'actor-critic']]);
    for (const l of pts) expect(l).toMatchObject({ event: 'cosine', env: 'twostate', groups: 4, envs: 4 * (l.samples / 4) });
    const csv = readFileSync(join(out, 'cosine.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('samples,pairs,envs,estimator,pairwise_cosine,cosine_to_reference');
    csv.slice(1).forEach((row, i) => {
      const c = row.split(',');
      expect(c[3]).toBe(pts[i].estimator);
      expect(c[4] === '' ? null : Number(c[4])).toBe(pts[i].pairwise_cosine);
      expect(c[5] === '' ? null : Number(c[5])).toBe(pts[i].cosine_to_reference);
    });
    const json = JSON.parse(readFileSync(join(out, 'cosine.json'), 'utf8'));
    expect(json.complete).toBe(true);
    expect(json.curve.samples).toEqual([16, 64]);
    const table = cli(args);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^twostate: cosine similarity vs state-action pairs per estimate, K = 4 estimates per point/);
    expect(table.stdout).toContain('mean pairwise cosine\nn   pairs  reinforce  actor-critic\n16  ');
    // the table shows the same numbers as the JSON lines
    const ac64 = pts.find((l) => l.samples === 64 && l.estimator === 'actor-critic');
    expect(table.stdout).toContain(ac64.cosine_to_reference.toFixed(4));
  });

  it.each([
    [['--cosine', '--samples-list', '0,64'], 'invalid --samples-list: "0,64" (allowed: a comma-separated list of 1–12 integers 1 ≤ n ≤ 16777216)'],
    [['--cosine', '--samples-list', '64,x'], 'invalid --samples-list: "64,x" (allowed: a comma-separated list of 1–12 integers 1 ≤ n ≤ 16777216)'],
    [['--cosine', '--env', 'cartpole', '--num-steps', '128', '--samples-list', '100'], 'invalid --samples-list: "100" (allowed: multiples of num-steps 128, 128 ≤ n ≤ 524288 with 16 groups)'],
    [['--cosine', '--reference-pairs', '5'], 'invalid --reference-pairs: "5" (allowed: an integer 1024 ≤ reference-pairs ≤ 67108864)'],
    [['--samples-list', '64'], 'invalid --samples-list/--reference-pairs without --cosine (allowed: with --cosine)'],
    [['--critic', 'maybe'], 'invalid --critic: "maybe" (allowed: exact, init)'],
    [['--env', 'twostate', '--samples', '100', '--out', bin], /^invalid --out: ".*policygrad\.mjs" \(allowed: a directory that exists or can be created and written; here EEXIST: a file of that name exists\)$/],
  ])('%j: exit 2, one line naming the flag and the allowed range', (args, message) => {
    const r = cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    if (typeof message === 'string') expect(lines[0]).toBe(`policygrad: ${message}`);
    else expect(lines[0].replace(/^policygrad: /, '')).toMatch(message);
  });
});
