/**
 * Live hyperparameters (issue #12) on the CPU engine: λ, lr, the entropy coefficient and the clip ε
 * changed between updates take effect exactly at the next update (that update equals one computed by
 * a fresh engine built with the new values from the same state), are recorded in the rows, the
 * trainer's `changes` and the checkpoint, and replay bit for bit — from a checkpoint, after a
 * device-loss rewind, and from the command line with `--set`. Bad values: one line naming the field
 * and the range, nothing applied.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIELD_NAMES, FIELDS, validateConfig, type Config } from '../../src/core/config';
import { CheckpointError, ConfigError, DeviceLostError } from '../../src/core/errors';
import type { LiveHyper, UpdateStats } from '../../src/core/types';
import { CpuEngine, createCpuEngine } from '../../src/backends/cpu/engine';
import { linearLr } from '../../src/optim/schedule';
import { parseCheckpoint, serializeCheckpoint } from '../../src/train/checkpoint';
import { CSV_COLUMNS, rowsToCsv, type MetricRow } from '../../src/train/metrics';
import { Trainer } from '../../src/train/trainer';
import { formatSet, parseSetFlags } from '../../src/cli/train';

const root = join(__dirname, '..', '..');
// the bundle `npm test` builds first (scripts/cli.mjs would rebuild it under the other CLI tests' feet)
const bin = join(root, 'bin', 'policygrad.mjs');
beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) execFileSync('npm', ['run', '-s', 'build:cli'], { cwd: root, stdio: 'inherit' });
});
/** 6 updates of a small PPO run (GAE λ, clip ε, entropy bonus and lr all enter its update) */
const cfg = (extra: Partial<Config> = {}): Config =>
  validateConfig({ env: 'cartpole', algo: 'ppo', numEnvs: 4, numSteps: 16, hidden: [8], epochs: 2, minibatches: 2, seed: 7, totalSteps: 6 * 64, lr: 2e-3, ...extra });
const NEW: LiveHyper = { lambda: 0.5, lr: 5e-3, entCoef: 0.05, clip: 0.1 };

/** The row fields that do not depend on wall-clock time. */
function deterministic(r: MetricRow): Omit<MetricRow, 'wallS' | 'sps'> {
  const { wallS: _w, sps: _s, ...rest } = r;
  return rest;
}

async function runTo(t: Trainer, update: number): Promise<void> {
  while (t.update < update) await t.runUpdate();
}

describe('live hyperparameters on the CPU engine', () => {
  it('a change after update 2 takes effect exactly at update 3, equal to a fresh engine built with the new values', async () => {
    const c = cfg();
    const t = await Trainer.create(c);
    await runTo(t, 2);
    const change = t.setHyper(NEW);
    expect(change).toEqual({ update: 3, values: NEW });
    expect(t.changes).toEqual([{ update: 3, values: NEW }]);
    expect(t.config).toMatchObject(NEW);
    // the state update 3 starts from, before anything of it ran
    const before = await t.engine.snapshot();
    const row3 = await t.runUpdate();
    const after = await t.engine.getParams();

    const [r1, r2] = t.history;
    for (const r of [r1, r2]) expect([r.lambda, r.entCoef, r.clip]).toEqual([c.lambda, c.entCoef, c.clip]);
    expect(r2.lr).toBe(linearLr(c.lr, 2, 6));
    // from update 3 on: the new values; with annealing the new lr replaces the schedule's base
    expect([row3.lambda, row3.entCoef, row3.clip]).toEqual([NEW.lambda, NEW.entCoef, NEW.clip]);
    expect(row3.lr).toBe(linearLr(NEW.lr!, 3, 6));

    // a fresh engine configured with the new values, from the same state, computes the same update
    const fresh = createCpuEngine({ ...c, ...NEW });
    await fresh.restore(before);
    await fresh.collect();
    const s: UpdateStats = await fresh.update();
    expect([...fresh.params]).toEqual([...after]);
    const { epochsRun: _e, ...stats } = s;
    expect(row3).toMatchObject(stats);

    // and the change mattered: the old values from the same state give another update
    const old = createCpuEngine(c);
    await old.restore(before);
    await old.collect();
    await old.update();
    expect([...old.params]).not.toEqual([...after]);

    // the next update keeps them (the lr on the new base's annealing line)
    const row4 = await t.runUpdate();
    expect([row4.lambda, row4.entCoef, row4.clip, row4.lr]).toEqual([NEW.lambda, NEW.entCoef, NEW.clip, linearLr(NEW.lr!, 4, 6)]);
  });

  it('Engine.setHyper on its own: the next update uses the values, the caller\'s config is untouched', async () => {
    const c = cfg();
    const a = createCpuEngine(c);
    const b = createCpuEngine({ ...c, lambda: 0.3, clip: 0.15 });
    a.setHyper({ lambda: 0.3, clip: 0.15 });
    expect(c.lambda).toBe(cfg().lambda);
    expect(a.config).toMatchObject({ lambda: 0.3, clip: 0.15 });
    expect(a.plan.targetLambda).toBe(0.3);
    for (const e of [a, b]) await e.collect();
    const [sa, sb] = [await a.update(), await b.update()];
    expect([...a.params]).toEqual([...b.params]);
    expect(sa).toEqual(sb);
  });

  it('a change made while an update runs starts with the next update', async () => {
    const t = await Trainer.create(cfg());
    await t.runUpdate();
    const inFlight = t.runUpdate(); // update 2 has begun
    expect(t.setHyper({ clip: 0.3 }).update).toBe(3);
    const r2 = await inFlight;
    const r3 = await t.runUpdate();
    expect([r2.clip, r3.clip]).toEqual([0.2, 0.3]);
    // two changes before the same update are one change
    t.setHyper({ lambda: 0.7 });
    t.setHyper({ lr: 1e-3 });
    expect(t.changes).toEqual([{ update: 3, values: { clip: 0.3 } }, { update: 4, values: { lambda: 0.7, lr: 1e-3 } }]);
  });

  it('checkpoint round trip keeps the changes; resumed, the run trains bit for bit like the uninterrupted one', async () => {
    const full = await Trainer.create(cfg());
    await runTo(full, 2);
    full.setHyper({ lambda: 0.6, entCoef: 0.02 });
    await runTo(full, 3);
    const ckAfter = serializeCheckpoint(await full.checkpoint());
    full.setHyper({ lr: 4e-3, clip: 0.12 }); // pending at the next checkpoint: it holds from update 4
    const ckPending = serializeCheckpoint(await full.checkpoint());
    await runTo(full, 6);

    const parsed = parseCheckpoint(ckPending);
    expect(parsed.changes).toEqual([{ update: 3, values: { lambda: 0.6, entCoef: 0.02 } }, { update: 4, values: { lr: 4e-3, clip: 0.12 } }]);
    expect(parsed.config).toMatchObject({ lambda: 0.6, entCoef: 0.02, lr: 4e-3, clip: 0.12 });
    expect(parseCheckpoint(ckAfter).changes).toEqual([{ update: 3, values: { lambda: 0.6, entCoef: 0.02 } }]);

    for (const text of [ckAfter, ckPending]) {
      const r = await Trainer.fromCheckpoint(text);
      expect(r.update).toBe(3);
      if (text === ckAfter) r.setHyper({ lr: 4e-3, clip: 0.12 });
      await runTo(r, 6);
      expect(r.history.map(deterministic)).toEqual(full.history.slice(3).map(deterministic));
      expect([...(await r.engine.getParams())]).toEqual([...(await full.engine.getParams())]);
      expect(r.changes).toEqual(full.changes);
    }
  });

  it('an old checkpoint without changes still loads; corrupt changes are one CheckpointError', async () => {
    const t = await Trainer.create(cfg());
    await t.runUpdate();
    const o = JSON.parse(serializeCheckpoint(await t.checkpoint()));
    delete o.changes;
    expect(parseCheckpoint(JSON.stringify(o)).changes).toEqual([]);
    expect((await Trainer.fromCheckpoint(JSON.stringify(o))).changes).toEqual([]);
    o.changes = [{ update: 2, values: { lr: 7 } }];
    expect(() => parseCheckpoint(JSON.stringify(o))).toThrow(new CheckpointError('checkpoint is corrupt: changes[0]: invalid lr: 7 (allowed: a number 0 < lr ≤ 1)'));
    o.changes = [{ update: 0, values: { lr: 1e-3 } }];
    expect(() => parseCheckpoint(JSON.stringify(o))).toThrow(/changes\[0\]\.update is not an integer ≥ 1/);
  });

  it('a device-loss rewind runs the redone updates with the values they had', async () => {
    /** a CPU engine on a "device" that is lost once, at update `failAt` */
    class Lossy extends CpuEngine {
      failAt = 6;
      deviceLost(): string | null {
        return null;
      }
      override async update(): Promise<UpdateStats> {
        if ((await this.snapshot()).update + 1 === this.failAt) {
          this.failAt = -1;
          throw new DeviceLostError('the WebGPU device was lost (test)');
        }
        return super.update();
      }
    }
    const c = cfg();
    const plain = await Trainer.create(c);
    const lossy = await Trainer.create(c, { engine: new Lossy(c), rebuild: async (k) => createCpuEngine(k), snapshotEvery: 3 });
    for (const t of [plain, lossy]) {
      await runTo(t, 4);
      t.setHyper({ lambda: 0.4, lr: 3e-3 }); // from update 5; the loss at 6 goes back to 3
      await runTo(t, 6);
    }
    expect(lossy.recoveries.length).toBe(1);
    expect(lossy.history.map(deterministic)).toEqual(plain.history.map(deterministic));
    expect([...(await lossy.engine.getParams())]).toEqual([...(await plain.engine.getParams())]);
  });

  it('bad values: one ConfigError naming the field and the allowed range, nothing applied', async () => {
    const t = await Trainer.create(cfg());
    const before = { ...t.config };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ lr: 0 }, 'lr', 'invalid lr: 0 (allowed: a number 0 < lr ≤ 1)'],
      [{ lambda: 1.5 }, 'lambda', 'invalid lambda: 1.5 (allowed: a number 0 ≤ lambda ≤ 1)'],
      [{ clip: -0.1 }, 'clip', 'invalid clip: -0.1 (allowed: a number 0 < clip ≤ 10)'],
      [{ entCoef: 'lots' }, 'entCoef', 'invalid entCoef: "lots" (allowed: a number 0 ≤ entCoef ≤ 10)'],
      // a good λ with a bad ε: neither is applied
      [{ lambda: 0.5, clip: NaN }, 'clip', 'invalid clip: NaN (allowed: a number 0 < clip ≤ 10)'],
      [{ gamma: 0.5 }, 'gamma', '"gamma" cannot change while training (allowed: lambda, lr, entCoef, clip)'],
      [{}, 'values', 'invalid values: {} (allowed: at least one of lambda, lr, entCoef, clip)'],
    ];
    for (const [values, field, message] of cases) {
      let err: unknown;
      try {
        t.setHyper(values as LiveHyper);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(values)).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(message);
      expect((err as ConfigError).field).toBe(field);
    }
    expect(t.config).toEqual(before);
    expect(t.changes).toEqual([]);
    expect(() => t.engine.setHyper({ lr: 2 })).toThrow(ConfigError);
    expect(t.engine.config.lr).toBe(before.lr);
  });
});

describe('--set: replaying live changes from the command line', () => {
  it('parses U:field=value[,field=value], repeated or as a list; formatSet writes it back', () => {
    expect(parseSetFlags(['5:lr=1e-3,ent-coef=0', '3:lambda=0.9; 9:clip=0.1 5:lr=2e-3'])).toEqual([
      { update: 3, values: { lambda: 0.9 } },
      { update: 5, values: { lr: 2e-3, entCoef: 0 } },
      { update: 9, values: { clip: 0.1 } },
    ]);
    expect(parseSetFlags('2:entCoef=0.5')).toEqual([{ update: 2, values: { entCoef: 0.5 } }]);
    expect(parseSetFlags(undefined)).toEqual([]);
    expect(formatSet({ update: 5, values: { lr: 0.002, entCoef: 0 } })).toBe('5:lr=0.002,ent-coef=0');
    const bad: [string, string][] = [
      ['0:lr=1e-3', 'invalid --set "0:lr=1e-3": U must be an integer ≥ 1 (the first update that uses the values), got "0"'],
      ['1.5:lr=1e-3', 'invalid --set "1.5:lr=1e-3": U must be an integer ≥ 1 (the first update that uses the values), got "1.5"'],
      ['3:lr=2', 'invalid --set "3:lr=2": invalid --lr: 2 (allowed: a number 0 < lr ≤ 1)'],
      ['3:ent-coef=-1', 'invalid --set "3:ent-coef=-1": invalid --ent-coef: -1 (allowed: a number 0 ≤ ent-coef ≤ 10)'],
      ['3:lambda=x', 'invalid --set "3:lambda=x": invalid --lambda: "x" (allowed: a number 0 ≤ lambda ≤ 1)'],
      ['3:gamma=0.5', 'invalid --set "3:gamma=0.5": "gamma" cannot change while training (allowed: lambda, lr, ent-coef, clip)'],
      ['lr=1e-3', 'invalid --set "lr=1e-3": expected U:field=value[,field=value] (U the first update that uses the values, an integer ≥ 1; field one of lambda, lr, ent-coef, clip)'],
      ['3:lr', 'invalid --set "3:lr": expected U:field=value[,field=value] (U the first update that uses the values, an integer ≥ 1; field one of lambda, lr, ent-coef, clip)'],
    ];
    for (const [arg, message] of bad) expect(() => parseSetFlags([arg]), arg).toThrow(message);
  });

  /** Six updates of `c` with two live changes: lr and entCoef from update 3, λ and clip from update 5. */
  async function changedLive(c: Config): Promise<Trainer> {
    const live = await Trainer.create(c);
    await runTo(live, 2);
    live.setHyper({ lr: 4e-3, entCoef: 0 });
    await runTo(live, 4);
    live.setHyper({ lambda: 0.5, clip: 0.3 });
    await runTo(live, 6);
    return live;
  }

  it('a run changed live and its `policygrad train --set` replay give bit-identical rows; summary.json lists the changes', async () => {
    const c = cfg();
    const live = await changedLive(c);
    expect(live.changes.map(formatSet)).toEqual(['3:lr=0.004,ent-coef=0', '5:lambda=0.5,clip=0.3']);

    // every config field as a flag (no preset fills anything in), then the changes as --set
    const flags = FIELD_NAMES.flatMap((k) => [`--${FIELDS[k].flag}`, Array.isArray(c[k]) ? (c[k] as number[]).join(',') : String(c[k])]);
    const out = mkdtempSync(join(tmpdir(), 'policygrad-live-'));
    const r = spawnSync(process.execPath, [bin, 'train', ...flags, '--out', out, '--json', '--set', ...live.changes.map(formatSet)], {
      encoding: 'utf8', timeout: 240_000, env: { ...process.env, FORCE_COLOR: '0' },
    });
    expect(r.status, r.stderr).toBe(0);
    const timing = new Set(['wallS', 'sps']);
    const cells = (csv: string) => csv.trim().split('\n').map((l) => l.split(',').filter((_, i) => !timing.has(CSV_COLUMNS[i])).join(','));
    expect(cells(readFileSync(join(out, 'curve.csv'), 'utf8'))).toEqual(cells(rowsToCsv(live.history)));
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.changes).toEqual(live.changes.map((ch) => ({ ...ch, set: formatSet(ch) })));
    expect(summary.hyper_start).toEqual({ lambda: c.lambda, lr: c.lr, entCoef: c.entCoef, clip: c.clip });
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(last.event).toBe('summary');
    expect(last.changes.map((ch: { set: string }) => ch.set)).toEqual(['3:lr=0.004,ent-coef=0', '5:lambda=0.5,clip=0.3']);
  }, 240_000);

  it('--resume with --set: the checkpoint\'s changes are not applied twice, later ones are, the rows match the live run', async () => {
    const c = cfg();
    const live = await changedLive(c);
    const sets = live.changes.map(formatSet);
    // the same run stopped after update 4 (the first change made, the second not yet)
    const part = await Trainer.create(c);
    await runTo(part, 2);
    part.setHyper({ lr: 4e-3, entCoef: 0 });
    await runTo(part, 4);
    const ck = join(mkdtempSync(join(tmpdir(), 'policygrad-live-')), 'checkpoint.json');
    writeFileSync(ck, serializeCheckpoint(await part.checkpoint()));
    const cli = (args: string[]) => spawnSync(process.execPath, [bin, 'train', ...args], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, FORCE_COLOR: '0' } });
    const second = mkdtempSync(join(tmpdir(), 'policygrad-live-'));
    const b = cli(['--resume', ck, '--steps', String(6 * 64), '--out', second, '--set', ...sets]);
    expect(b.status, b.stderr).toBe(0);
    const timing = new Set(['wallS', 'sps']);
    const cells = (csv: string) => csv.trim().split('\n').slice(1).map((l) => l.split(',').filter((_, i) => !timing.has(CSV_COLUMNS[i])).join(','));
    expect(cells(readFileSync(join(second, 'curve.csv'), 'utf8'))).toEqual(cells(rowsToCsv(live.history.slice(4))));
    expect(JSON.parse(readFileSync(join(second, 'summary.json'), 'utf8')).changes.map((ch: { set: string }) => ch.set)).toEqual(sets);
    // a change before the resumed update that the checkpoint does not hold cannot be replayed
    const bad = cli(['--resume', ck, '--steps', String(6 * 64), '--set', '2:clip=0.25']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['policygrad: invalid --set "2:clip=0.25": the run continues after update 4, so U must be ≥ 5 (or a change the checkpoint already holds)']);
  }, 240_000);

  it('bad --set: exit 2 and one line naming the field and the range', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [bin, 'train', '--env', 'cartpole', '--envs', '2', '--num-steps', '16', '--hidden', '8', '--steps', '64', ...args], { encoding: 'utf8', timeout: 120_000 });
    for (const [args, line] of [
      [['--set', '2:clip=0'], 'policygrad: invalid --set "2:clip=0": invalid --clip: 0 (allowed: a number 0 < clip ≤ 10)'],
      [['--set', '9:lr=1e-3'], 'policygrad: invalid --set "9:lr=0.001": U must be ≤ 2, the run\'s number of updates'],
    ] as [string[], string][]) {
      const r = run(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([line]);
      expect(r.stdout).toBe('');
    }
  }, 120_000);
});
