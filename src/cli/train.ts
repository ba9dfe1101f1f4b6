/** `policygrad train`: train one agent, print progress or JSON lines, write results and checkpoints. */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { FIELDS, parseField, type Config } from '../core/config';
import { ConfigError, UserError } from '../core/errors';
import { LIVE_HYPER_FIELDS, type HyperChange, type LiveHyper, type LiveHyperField } from '../core/types';
import { cliMessage } from './options';
import { serializeCheckpoint } from '../train/checkpoint';
import { meanOfLastEpisodes, metricJson, rowsToCsv, type MetricRow } from '../train/metrics';
import { Trainer, validateLiveHyper, type RunSummary } from '../train/trainer';
import { readCheckpointFile, writeAtomic } from './io';
import { runInfo } from './runinfo';

export interface TrainFlags {
  json?: boolean;
  out?: string;
  resume?: string;
  checkpointEvery?: string;
  /** stop once the mean return of the last 100 finished episodes reaches this (validated by main.ts) */
  targetReturn?: string;
  /** live hyperparameter changes to replay: `U:field=value[,field=value]` each (parseSetFlags) */
  set?: string | string[];
}

const SET_FORM = 'U:field=value[,field=value] (U the first update that uses the values, an integer ≥ 1; field one of lambda, lr, ent-coef, clip)';

/**
 * `--set` values as changes, sorted by update (several for one U are merged, the later value wins).
 * Each flag may hold several changes separated by spaces or ';'. Fields are the flags' names (or the
 * config keys); values are checked with the config field table. A bad one throws a one-line UserError
 * naming the change, the field and the allowed range.
 */
export function parseSetFlags(flags: string | readonly string[] | undefined): HyperChange[] {
  const byUpdate = new Map<number, LiveHyper>();
  const items = (typeof flags === 'string' ? [flags] : flags ?? []).flatMap((f) => String(f).split(/[;\s]+/)).filter((x) => x !== '');
  for (const item of items) {
    const bad = (why: string): never => {
      throw new UserError(`invalid --set ${JSON.stringify(item)}: ${why}`);
    };
    const m = /^([^:]*):(.*)$/.exec(item);
    if (!m) return bad(`expected ${SET_FORM}`);
    if (!/^\d+$/.test(m[1].trim()) || Number(m[1]) < 1) return bad(`U must be an integer ≥ 1 (the first update that uses the values), got ${JSON.stringify(m[1])}`);
    const update = Number(m[1]);
    const values: LiveHyper = {};
    for (const pair of m[2].split(',')) {
      const eq = pair.indexOf('=');
      if (eq < 0) return bad(`expected ${SET_FORM}`);
      const name = pair.slice(0, eq).trim();
      const field = LIVE_HYPER_FIELDS.find((k) => k === name || FIELDS[k].flag === name);
      if (!field) return bad(`${JSON.stringify(name)} cannot change while training (allowed: ${LIVE_HYPER_FIELDS.map((k) => FIELDS[k].flag).join(', ')})`);
      try {
        values[field] = parseField(field, pair.slice(eq + 1)) as number;
        validateLiveHyper({ [field]: values[field] });
      } catch (e) {
        if (e instanceof ConfigError) return bad(cliMessage(e));
        throw e;
      }
    }
    byUpdate.set(update, { ...byUpdate.get(update), ...values });
  }
  return [...byUpdate].sort((a, b) => a[0] - b[0]).map(([update, values]) => ({ update, values }));
}

/** A change as the `--set` value that replays it: `5:lr=0.001,ent-coef=0`. */
export function formatSet(c: HyperChange): string {
  const parts = (Object.keys(c.values) as LiveHyperField[]).map((k) => `${FIELDS[k].flag}=${c.values[k]}`);
  return `${c.update}:${parts.join(',')}`;
}

/**
 * Check the `--set` changes against the run: U ≤ its number of updates, and past the update a resumed
 * run starts after (unless its checkpoint already holds that very change).
 */
function checkSetAgainst(sets: readonly HyperChange[], trainer: Trainer): HyperChange[] {
  const same = (a: HyperChange, b: HyperChange) => {
    const ka = Object.keys(a.values) as LiveHyperField[];
    return a.update === b.update && ka.length === Object.keys(b.values).length && ka.every((k) => a.values[k] === b.values[k]);
  };
  return sets.filter((c) => {
    const flag = `invalid --set ${JSON.stringify(formatSet(c))}`;
    if (c.update > trainer.numUpdates) throw new UserError(`${flag}: U must be ≤ ${trainer.numUpdates}, the run's number of updates`);
    if (trainer.changes.some((h) => same(h, c))) return false; // the checkpoint already holds it
    if (c.update > trainer.update) return true;
    throw new UserError(`${flag}: the run continues after update ${trainer.update}, so U must be ≥ ${trainer.update + 1} (or a change the checkpoint already holds)`);
  });
}

/** When a run first reached its target: the update, env steps and training wall seconds. */
export interface TargetReached {
  return: number;
  update: number;
  steps: number;
  wall_s: number;
}

export async function trainCommand(config: Config, given: Partial<Config>, flags: TrainFlags): Promise<number> {
  const started = performance.now();
  const notice = (m: string) => process.stderr.write(`policygrad: ${m}\n`);
  const sets = parseSetFlags(flags.set);
  // a recovered device loss runs the updates after the last snapshot again: JSON readers drop theirs
  const onRewind = (update: number) => void (flags.json && process.stdout.write(JSON.stringify({ event: 'rewind', update }) + '\n'));
  const trainer = flags.resume
    ? await Trainer.fromCheckpoint(readCheckpointFile(flags.resume), given, { notice, onRewind })
    : await Trainer.create(config, { notice, onRewind });
  const cfg = trainer.config;
  let pending: HyperChange[];
  try {
    pending = checkSetAgainst(sets, trainer);
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  /** the live changes as summary.json and the JSON summary list them (each with its --set replay value) */
  const changesOut = () => ({ hyper_start: trainer.startHyper, changes: trainer.changes.map((c) => ({ ...c, set: formatSet(c) })) });
  const every = flags.checkpointEvery === undefined ? 0 : Number(flags.checkpointEvery);
  const out = flags.out;

  const target = flags.targetReturn === undefined ? undefined : Number(flags.targetReturn);
  let reached: TargetReached | undefined;
  const saveCheckpoint = async () => {
    if (out) writeAtomic(join(out, 'checkpoint.json'), serializeCheckpoint(await trainer.checkpoint()));
  };
  const saveResults = (summary: RunSummary) => {
    if (!out) return;
    writeAtomic(join(out, 'curve.csv'), rowsToCsv(trainer.history));
    writeAtomic(join(out, 'summary.json'), JSON.stringify({ event: 'summary', ...summary, ...(target !== undefined ? { target_return: target, target_reached: reached ?? null } : {}), ...changesOut(), ...runInfo(trainer) }, null, 2) + '\n');
  };

  // Ctrl-C: finish the update in flight, save everything, exit 130.
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    notice('interrupted: finishing the current update and saving');
    abort.abort();
  };
  process.on('SIGINT', onSigint);

  const tty = process.stderr.isTTY && !flags.json;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'train |{bar}| {percentage}% {value}/{total} steps | return {ret} | {sps} steps/s | eta {eta_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(trainer.numUpdates * cfg.numEnvs * cfg.numSteps, trainer.update * cfg.numEnvs * cfg.numSteps, { ret: '-', sps: '-' });
  let lastPrint = 0;
  const onUpdate = async (row: MetricRow) => {
    if (flags.json) {
      process.stdout.write(JSON.stringify({ event: 'update', ...metricJson(row) }) + '\n');
    } else if (bar) {
      bar.update(row.envSteps, { ret: fmt(row.episodicReturn), sps: Math.round(row.sps) });
    } else if (row.wallS - lastPrint >= 2 || trainer.done) {
      lastPrint = row.wallS;
      process.stdout.write(`update ${row.update}/${trainer.numUpdates} steps ${row.envSteps} return ${fmt(row.episodicReturn)} sps ${Math.round(row.sps)}\n`);
    }
    if (row.nonFinite) notice(`update ${row.update}: non-finite loss, gradient or parameter; rolled back to the last good parameters and optimiser state`);
    if (every > 0 && row.update % every === 0) await saveCheckpoint();
  };

  const setup_s = round((performance.now() - started) / 1000, 3);
  let summary: RunSummary;
  try {
    while (!trainer.done && !abort.signal.aborted && !reached) {
      for (const c of pending) {
        if (c.update === trainer.update + 1) notice(`from update ${trainer.setHyper(c.values).update}: ${formatSet(c).replace(/^\d+:/, '')}`);
      }
      const row = await trainer.runUpdate();
      await onUpdate(row);
      if (target !== undefined) {
        const r = targetReturnOf(trainer.history, target);
        if (r) reached = { return: round(r, 2), update: row.update, steps: row.envSteps, wall_s: round(row.wallS, 3) };
      }
      // let the event loop deliver signals (Ctrl-C) between updates
      await new Promise((r) => setImmediate(r));
    }
    summary = trainer.summary();
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
    // nothing trained is lost: whatever happened, the last good state is written
    if (out && trainer.history.length > 0) {
      await saveCheckpoint();
      saveResults(trainer.summary());
    }
    trainer.dispose();
  }
  const line = { event: 'summary', steps: summary.steps, wall_s: round(summary.wall_s, 3), final_return: nullIfNaN(summary.final_return), sps: Math.round(summary.sps), updates: summary.updates, backend: trainer.engine.backend, adapter: trainer.engine.where, setup_s, ...(target !== undefined ? { target_return: target, target_reached: reached ?? null } : {}), ...changesOut(), config: cfg };
  if (flags.json) process.stdout.write(JSON.stringify(line) + '\n');
  else if (target !== undefined) {
    process.stdout.write(
      reached
        ? `target reached: mean return of the last 100 episodes ${reached.return} ≥ ${target} at update ${reached.update}, ${reached.steps} env steps, ${reached.wall_s} s of training (+ ${setup_s} s setup)\n`
        : `target not reached: the mean return of the last 100 episodes stayed below ${target}\n`,
    );
  }
  if (!flags.json) process.stdout.write(`done: ${summary.steps} steps in ${line.wall_s} s, final return (last 100 episodes) ${fmt(summary.final_return)}, ${line.sps} steps/s on ${line.adapter}${out ? `; results in ${out}` : ''}\n`);
  return abort.signal.aborted ? 130 : 0;
}

/**
 * The mean return of the last 100 finished episodes when it is ≥ `target` and at least 100 episodes
 * have finished (fewer are no evidence), else undefined.
 */
export function targetReturnOf(history: readonly MetricRow[], target: number): number | undefined {
  const finished = history.reduce((a, r) => a + (r.episodes > 0 ? r.episodes : 0), 0);
  if (finished < 100) return undefined;
  const m = meanOfLastEpisodes(history, 100);
  return m >= target ? m : undefined;
}

function nullIfNaN(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '-';
}
function round(x: number, d: number): number {
  const p = 10 ** d;
  return Math.round(x * p) / p;
}
