/**
 * Many seeds (src/train/seeds.ts, `policygrad train --seeds`): the statistics across seeds against
 * hand-derived numbers; which seeds a text names; and, on the CPU engine with a tiny corridor run,
 * that every seed's rows under `--seeds` are bit-identical to that seed trained alone (`--seed S`),
 * its checkpoint-seed<S>.json the same parameters, and the summary's mean / min / max / standard error
 * a hand computation from those single runs' final returns.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { acrossSeeds, parseSeeds, seedList, seedRowsToCsv, MAX_SEEDS } from '../../src/train/seeds';
import { seedsOf, trainCommand, type TrainFlags } from '../../src/cli/train';
import { configFromPreset } from '../../src/cli/options';
import { ConfigError, UserError } from '../../src/core/errors';
import type { Config } from '../../src/core/config';
import { CSV_COLUMNS, type MetricRow } from '../../src/train/metrics';

const dir = mkdtempSync(join(tmpdir(), 'policygrad-seeds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('acrossSeeds (hand-derived)', () => {
  it('mean, min, max and the standard error s/√n with the sample variance', () => {
    // 1, 2, 4: mean 7/3; Σ(x − mean)² = 16/9 + 1/9 + 25/9 = 42/9; s² = 42/9 / 2 = 7/3; SE = √(7/3 / 3) = √7 / 3
    const a = acrossSeeds([1, 2, 4]);
    expect(a.n).toBe(3);
    expect(a.mean).toBeCloseTo(7 / 3, 14);
    expect(a.min).toBe(1);
    expect(a.max).toBe(4);
    expect(a.se).toBeCloseTo(Math.sqrt(7) / 3, 14);
    // two values a, b: SE = |a − b| / 2
    expect(acrossSeeds([10, 16]).se).toBeCloseTo(3, 14);
  });
  it('leaves non-finite values out; one value has no standard error; none has nothing', () => {
    const a = acrossSeeds([NaN, 5, Infinity]);
    expect([a.n, a.mean, a.min, a.max]).toEqual([1, 5, 5, 5]);
    expect(a.se).toBeNaN();
    const e = acrossSeeds([]);
    expect(e.n).toBe(0);
    expect(e.mean).toBeNaN();
  });
});

describe('which seeds a text names', () => {
  it('a count from the base seed, or a list as given', () => {
    expect(seedList(5, 3)).toEqual([5, 6, 7]);
    expect(parseSeeds('3', 5)).toEqual([5, 6, 7]);
    expect(parseSeeds(' 1 ', 9)).toEqual([9]);
    expect(parseSeeds('1,2,3', 9)).toEqual([1, 2, 3]);
    expect(parseSeeds('7, 0', 1)).toEqual([7, 0]);
    expect(parseSeeds(String(MAX_SEEDS), 0)).toHaveLength(MAX_SEEDS);
  });
  it('rejects what is neither form or out of range', () => {
    for (const bad of ['', '0', '-2', '1.5', 'x', String(MAX_SEEDS + 1), '1,1', '1,', '1,-2', '1,x', '2,4294967296']) expect(parseSeeds(bad, 1), bad).toBeUndefined();
    expect(parseSeeds('2', 4294967295)).toBeUndefined(); // the second seed would pass the u32 range
    expect(parseSeeds('1', 4294967295)).toEqual([4294967295]);
  });
  it('CLI: one-line errors naming --seeds; --seeds with --resume; --seed with a --seeds list', () => {
    const cfg = { seed: 1 } as Config;
    expect(() => seedsOf(cfg, { seeds: 'abc' })).toThrow(ConfigError);
    expect(() => seedsOf(cfg, { seeds: 'abc' })).toThrow(/^invalid --seeds: "abc" \(allowed: a count N of 1–256 .* or a comma-separated list of 2–256 distinct integers 0–4294967295\)$/);
    expect(() => seedsOf(cfg, { seeds: '0' })).toThrow(/^invalid --seeds: "0" \(allowed/);
    expect(() => seedsOf(cfg, { seeds: '3', resume: 'ck.json' })).toThrow(UserError);
    expect(() => seedsOf(cfg, { seeds: '3', resume: 'ck.json' })).toThrow(/^--seeds cannot be used with --resume/);
    expect(() => seedsOf(cfg, { seeds: '1,2', seed: '4' })).toThrow(/^--seed and a --seeds list cannot be used together/);
    expect(seedsOf({ seed: 4 } as Config, { seeds: '2', seed: '4' })).toEqual([4, 5]);
    expect(seedsOf({ seed: 4 } as Config, {})).toEqual([4]);
  });
  it('seedRowsToCsv: a leading seed column, one block per seed', () => {
    const r = (update: number) => ({ ...Object.fromEntries(CSV_COLUMNS.map((k) => [k, update])), nonFinite: false }) as unknown as MetricRow;
    const lines = seedRowsToCsv([{ seed: 7, rows: [r(1), r(2)] }, { seed: 9, rows: [r(1)] }]).trim().split('\n');
    expect(lines[0]).toBe(`seed,${CSV_COLUMNS.join(',')}`);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['7,1', '7,2', '9,1']);
  });
});

/** Run `policygrad train` in-process, stdout captured (stderr notices too). */
async function train(config: Config, flags: TrainFlags): Promise<{ code: number; lines: string[] }> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await trainCommand(config, {}, flags);
    return { code, lines: out.join('').trim().split('\n') };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

/** curve.csv as rows of named columns. */
function csv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

/** The columns that depend on the clock, not on the seed. */
const TIMING = new Set(['wallS', 'sps']);

describe('train --seeds on the CPU engine (corridor, 3 seeds)', () => {
  // 8 envs × 16 steps, 6 updates: episodes finish, the policy moves; well under a second per seed
  const base = configFromPreset({ env: 'corridor', algo: 'reinforce', backend: 'cpu', numEnvs: '8', numSteps: '16', totalSteps: String(8 * 16 * 6), seed: '11' });
  const seeds = [11, 12, 13];

  it('each seed equals that seed alone; the summary is the hand computation over the single runs', async () => {
    const multi = await train(base, { seeds: '3', out: join(dir, 'multi'), json: true });
    expect(multi.code).toBe(0);
    const singles = [];
    for (const s of seeds) {
      const r = await train({ ...base, seed: s }, { out: join(dir, `s${s}`), json: true });
      expect(r.code).toBe(0);
      singles.push({ seed: s, rows: csv(join(dir, `s${s}`, 'curve.csv')), summary: JSON.parse(readFileSync(join(dir, `s${s}`, 'summary.json'), 'utf8')) });
    }

    // JSON lines: 6 updates per seed, each naming its seed, in seed order, then one summary
    const json = multi.lines.map((l) => JSON.parse(l));
    const updates = json.filter((o) => o.event === 'update');
    expect(updates.map((o) => `${o.seed}:${o.update}`)).toEqual(seeds.flatMap((s) => [1, 2, 3, 4, 5, 6].map((u) => `${s}:${u}`)));

    // curve.csv: a leading seed column; each seed's block bit-identical to the single run (but the clock)
    const rows = csv(join(dir, 'multi', 'curve.csv'));
    expect(Object.keys(rows[0])).toEqual(['seed', ...CSV_COLUMNS]);
    for (const s of singles) {
      const mine = rows.filter((r) => r.seed === String(s.seed));
      expect(mine.length).toBe(6);
      expect(s.rows.length).toBe(6);
      const strip = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'seed' && !TIMING.has(k)));
      expect(mine.map(strip)).toEqual(s.rows.map(strip));
      // the single run's trained parameters are the seed's checkpoint
      const ckMulti = JSON.parse(readFileSync(join(dir, 'multi', `checkpoint-seed${s.seed}.json`), 'utf8'));
      const ckOne = JSON.parse(readFileSync(join(dir, `s${s.seed}`, 'checkpoint.json'), 'utf8'));
      expect(ckMulti.params).toEqual(ckOne.params);
      expect(ckMulti.config.seed).toBe(s.seed);
    }
    expect(existsSync(join(dir, 'multi', 'checkpoint.json'))).toBe(false);

    // summary: per-seed final returns are the single runs'; mean, min, max, SE by hand
    const f = singles.map((s) => s.summary.final_return as number);
    expect(f.every((x) => Number.isFinite(x))).toBe(true);
    const mean = (f[0] + f[1] + f[2]) / 3;
    const se = Math.sqrt(((f[0] - mean) ** 2 + (f[1] - mean) ** 2 + (f[2] - mean) ** 2) / 2) / Math.sqrt(3);
    const summary = JSON.parse(readFileSync(join(dir, 'multi', 'summary.json'), 'utf8'));
    const line = json.at(-1);
    for (const sm of [summary, line]) {
      expect(sm.event).toBe('summary');
      expect(sm.seeds).toEqual(seeds);
      expect(sm.final_returns).toEqual(f);
      expect(sm.per_seed.map((p: { seed: number; final_return: number }) => [p.seed, p.final_return])).toEqual(seeds.map((s, i) => [s, f[i]]));
      expect(sm.final_return).toBeCloseTo(mean, 12);
      expect(sm.across_seeds.mean).toBeCloseTo(mean, 12);
      expect(sm.across_seeds.min).toBe(Math.min(...f));
      expect(sm.across_seeds.max).toBe(Math.max(...f));
      expect(sm.across_seeds.se).toBeCloseTo(se, 12);
      expect(sm.across_seeds.n).toBe(3);
      expect(sm.steps).toBe(3 * 8 * 16 * 6);
    }
    expect(summary.config.seed).toBe(11);
  }, 60_000);

  it('the human done: line says mean ± SE over N seeds', async () => {
    const r = await train(base, { seeds: '11,13' });
    expect(r.code).toBe(0);
    expect(r.lines.at(-1)).toMatch(/^done: 2 seeds \(11, 13\), 1536 steps in [\d.]+ s, final return \(last 100 episodes\) mean -?[\d.]+ ± [\d.]+ \(standard error\) over 2 seeds \(min -?[\d.]+, max -?[\d.]+\), \d+ steps\/s on /);
  }, 60_000);
});
