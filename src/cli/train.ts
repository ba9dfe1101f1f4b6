/** `policygrad train`: train one agent, print progress or JSON lines, write results and checkpoints. */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { FIELDS, parseField, type Config } from '../core/config';
import { ConfigError, UserError } from '../core/errors';
import { LIVE_HYPER_FIELDS, type HyperChange, type LiveHyper, type LiveHyperField } from '../core/types';
import { cliMessage } from './options';
import { serializeCheckpoint } from '../train/checkpoint';
import { meanOfLastEpisodes, metricJson, rowsToCsv, type MetricRow } from '../train/metrics';
import { createSeedEngines, Trainer, validateLiveHyper, type RunSummary } from '../train/trainer';
import type { Engine } from '../core/types';
import { readCheckpointFile, writeAtomic } from './io';
import { runInfo } from './runinfo';
import { flagError } from './flags';
import { acrossSeeds, isSeedsList, parseSeeds, seedRowsToCsv, SEEDS_ALLOWED } from '../train/seeds';

export interface TrainFlags {
  json?: boolean;
  out?: string;
  resume?: string;
  checkpointEvery?: string;
  /** stop once the mean return of the last 100 finished episodes reaches this (validated by main.ts) */
  targetReturn?: string;
  /** live hyperparameter changes to replay: `U:field=value[,field=value]` each (parseSetFlags) */
  set?: string | string[];
  /** `--seeds`: a count from the config's seed or a comma-separated list (seedsOf) */
  seeds?: string;
  /** `--seed` as given (only whether it was: a --seeds list replaces it) */
  seed?: string;
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
  const seeds = seedsOf(config, flags);
  if (seeds.length > 1) return trainSeeds(config, flags, seeds, started);
  const notice = (m: string) => process.stderr.write(`policygrad: ${m}\n`);
  const sets = parseSetFlags(flags.set);
  // a recovered device loss runs the updates after the last snapshot again: JSON readers drop theirs
  const onRewind = (update: number) => void (flags.json && process.stdout.write(JSON.stringify({ event: 'rewind', update }) + '\n'));
  const trainer = flags.resume
    ? await Trainer.fromCheckpoint(readCheckpointFile(flags.resume), given, { notice, onRewind })
    : await Trainer.create({ ...config, seed: seeds[0] }, { notice, onRewind });
  const cfg = trainer.config;
  let pending: HyperChange[];
  try {
    pending = checkSetAgainst(sets, trainer);
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  const changesOut = () => changesOf(trainer);
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

  const abort = interruptible(notice);
  const bar = progressBar(flags, trainer);
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
    reached = await trainLoop(trainer, pending, target, abort.signal, onUpdate, notice);
    summary = trainer.summary();
  } finally {
    bar?.stop();
    abort.dispose();
    // nothing trained is lost: whatever happened, the last good state is written
    if (out && trainer.history.length > 0) {
      await saveCheckpoint();
      saveResults(trainer.summary());
    }
    trainer.dispose();
  }
  const line = { event: 'summary', steps: summary.steps, wall_s: round(summary.wall_s, 3), final_return: nullIfNaN(summary.final_return), sps: Math.round(summary.sps), updates: summary.updates, backend: trainer.engine.backend, adapter: trainer.engine.where, setup_s, ...(target !== undefined ? { target_return: target, target_reached: reached ?? null } : {}), ...changesOut(), config: cfg };
  if (flags.json) process.stdout.write(JSON.stringify(line) + '\n');
  else if (target !== undefined) process.stdout.write(targetText(reached, target, setup_s) + '\n');
  if (!flags.json) process.stdout.write(`done: ${summary.steps} steps in ${line.wall_s} s, final return (last 100 episodes) ${fmt(summary.final_return)}, ${line.sps} steps/s on ${line.adapter}${out ? `; results in ${out}` : ''}\n`);
  return abort.signal.aborted ? 130 : 0;
}

/**
 * The seeds a run trains: `--seeds` (a count from the config's seed, or a list: src/train/seeds.ts),
 * else the config's one seed. A bad value, `--seeds` with `--resume`, or `--seed` with a `--seeds`
 * list is a one-line error naming the flag.
 */
export function seedsOf(config: Config, flags: Pick<TrainFlags, 'seeds' | 'seed' | 'resume'>): number[] {
  if (flags.seeds === undefined) return [config.seed];
  if (flags.resume !== undefined) throw new UserError('--seeds cannot be used with --resume (a checkpoint continues one run: resume each checkpoint-seed<N>.json on its own)');
  const seeds = parseSeeds(String(flags.seeds), config.seed);
  if (!seeds) throw flagError('seeds', flags.seeds, SEEDS_ALLOWED);
  if (flags.seed !== undefined && isSeedsList(String(flags.seeds))) throw new UserError('--seed and a --seeds list cannot be used together (a list names every seed; --seed is where a --seeds count starts)');
  return seeds;
}

/** Ctrl-C: finish the update in flight, save everything, exit 130 (a second Ctrl-C exits at once). */
function interruptible(notice: (m: string) => void): { signal: AbortSignal; dispose: () => void } {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    notice('interrupted: finishing the current update and saving');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: abort.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** The progress bar on a terminal (not with --json), started where the trainer stands. */
function progressBar(flags: TrainFlags, trainer: Trainer, label = 'train'): cliProgress.SingleBar | undefined {
  if (!process.stderr.isTTY || flags.json) return undefined;
  const cfg = trainer.config;
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {percentage}% {value}/{total} steps | return {ret} | {sps} steps/s | eta {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(trainer.numUpdates * cfg.numEnvs * cfg.numSteps, trainer.update * cfg.numEnvs * cfg.numSteps, { ret: '-', sps: '-' });
  return bar;
}

/**
 * One run's updates until it is done, interrupted or reaches `target`: the `--set` changes from
 * their update on, `onRow` after each update. Returns when the target was reached, if it was.
 */
async function trainLoop(trainer: Trainer, pending: readonly HyperChange[], target: number | undefined, signal: AbortSignal, onRow: (row: MetricRow) => Promise<void>, notice: (m: string) => void): Promise<TargetReached | undefined> {
  let reached: TargetReached | undefined;
  while (!trainer.done && !signal.aborted && !reached) {
    for (const c of pending) {
      if (c.update === trainer.update + 1) notice(`from update ${trainer.setHyper(c.values).update}: ${formatSet(c).replace(/^\d+:/, '')}`);
    }
    const row = await trainer.runUpdate();
    await onRow(row);
    if (target !== undefined) {
      const r = targetReturnOf(trainer.history, target);
      if (r) reached = { return: round(r, 2), update: row.update, steps: row.envSteps, wall_s: round(row.wallS, 3) };
    }
    // let the event loop deliver signals (Ctrl-C) between updates
    await new Promise((r) => setImmediate(r));
  }
  return reached;
}

function targetText(reached: TargetReached | undefined, target: number, setup_s: number): string {
  return reached
    ? `target reached: mean return of the last 100 episodes ${reached.return} ≥ ${target} at update ${reached.update}, ${reached.steps} env steps, ${reached.wall_s} s of training (+ ${setup_s} s setup)`
    : `target not reached: the mean return of the last 100 episodes stayed below ${target}`;
}

/** One seed's finished (or interrupted) run under `--seeds`. */
interface SeedResult {
  seed: number;
  history: readonly MetricRow[];
  summary: RunSummary;
  reached?: TargetReached;
}

/**
 * `--seeds`: the configuration once per seed, each its own Trainer, exactly the run `--seed S` alone
 * makes. On the GPU backend the seeds run batched — one engine per seed over one shared rollout whose
 * dispatches hold every seed's envs (createSeedEngines), their Trainers driven concurrently; on the
 * CPU engine one after another. JSON update lines carry `seed`; curve.csv gets a leading `seed` column;
 * `--out` keeps checkpoint-seed<S>.json per seed; the summary reports each seed's final return and
 * their mean (`final_return`), min, max and standard error (src/train/seeds.ts `acrossSeeds`).
 * After every seed (and on Ctrl-C or an error) the results so far are written.
 */
async function trainSeeds(config: Config, flags: TrainFlags, seeds: readonly number[], started: number): Promise<number> {
  const notice = (m: string) => process.stderr.write(`policygrad: ${m}\n`);
  const sets = parseSetFlags(flags.set);
  const every = flags.checkpointEvery === undefined ? 0 : Number(flags.checkpointEvery);
  const target = flags.targetReturn === undefined ? undefined : Number(flags.targetReturn);
  const out = flags.out;
  const results: SeedResult[] = [];
  let batched = false;
  let last: Trainer | undefined;
  let changes: ReturnType<typeof changesOf> | undefined;

  const summaryOf = () => {
    const finals = results.map((r) => r.summary.final_return);
    const a = acrossSeeds(finals);
    const steps = results.reduce((s, r) => s + r.summary.steps, 0);
    // batched seeds train at the same time: the batch's wall time is the longest seed's, not their sum
    const wall = batched ? Math.max(0, ...results.map((r) => r.summary.wall_s)) : results.reduce((s, r) => s + r.summary.wall_s, 0);
    return {
      event: 'summary',
      seeds: results.map((r) => r.seed),
      batched,
      final_return: nullIfNaN(a.mean),
      final_returns: finals.map(nullIfNaN),
      across_seeds: { mean: nullIfNaN(a.mean), min: nullIfNaN(a.min), max: nullIfNaN(a.max), se: nullIfNaN(a.se), n: a.n },
      steps,
      wall_s: round(wall, 3),
      sps: wall > 0 ? Math.round(steps / wall) : 0,
      updates: results.reduce((s, r) => s + r.summary.updates, 0),
      per_seed: results.map((r) => ({
        seed: r.seed, final_return: nullIfNaN(r.summary.final_return), steps: r.summary.steps, updates: r.summary.updates, wall_s: round(r.summary.wall_s, 3),
        sps: Math.round(r.summary.sps), nonFiniteUpdates: r.summary.nonFiniteUpdates, ...(target !== undefined ? { target_reached: r.reached ?? null } : {}),
      })),
      ...(target !== undefined ? { target_return: target } : {}),
      ...changes,
    };
  };
  const saveResults = () => {
    if (!out || results.length === 0) return;
    writeAtomic(join(out, 'curve.csv'), seedRowsToCsv(results.map((r) => ({ seed: r.seed, rows: r.history }))));
    writeAtomic(join(out, 'summary.json'), JSON.stringify({ ...summaryOf(), ...(last ? runInfo(last) : {}), config }, null, 2) + '\n');
  };

  const abort = interruptible(notice);
  /** seconds before each seed's first update (flag parsing, then engine creation), summed */
  let setup = performance.now() - started;
  /** One seed's run to its end (on `engine` when batched); its results are kept whatever happens. */
  const runSeed = async (seed: number, engine?: Engine): Promise<void> => {
    const created = performance.now();
    const say = (m: string) => notice(`seed ${seed}: ${m}`);
    const onRewind = (update: number) => void (flags.json && process.stdout.write(JSON.stringify({ event: 'rewind', seed, update }) + '\n'));
    let trainer: Trainer;
    try {
      trainer = await Trainer.create({ ...config, seed }, { notice: say, onRewind, engine });
    } catch (e) {
      engine?.dispose();
      throw e;
    }
    last = trainer;
    const ckPath = out ? join(out, `checkpoint-seed${seed}.json`) : undefined;
    const saveCheckpoint = async () => void (ckPath && writeAtomic(ckPath, serializeCheckpoint(await trainer.checkpoint())));
    // batched: one bar (the first seed's) stands for the batch, whose seeds move in step
    const bar = engine && seed !== seeds[0] ? undefined : progressBar(flags, trainer, engine ? `${seeds.length} seeds` : `seed ${seed}`);
    let lastPrint = 0;
    const onRow = async (row: MetricRow) => {
      if (flags.json) process.stdout.write(JSON.stringify({ event: 'update', seed, ...metricJson(row) }) + '\n');
      else if (bar) bar.update(row.envSteps, { ret: fmt(row.episodicReturn), sps: Math.round(row.sps) });
      else if (!process.stderr.isTTY && (row.wallS - lastPrint >= 2 || trainer.done)) {
        lastPrint = row.wallS;
        process.stdout.write(`seed ${seed} update ${row.update}/${trainer.numUpdates} steps ${row.envSteps} return ${fmt(row.episodicReturn)} sps ${Math.round(row.sps)}\n`);
      }
      if (row.nonFinite) say(`update ${row.update}: non-finite loss, gradient or parameter; rolled back to the last good parameters and optimiser state`);
      if (every > 0 && row.update % every === 0) await saveCheckpoint();
    };
    let reached: TargetReached | undefined;
    const seedSetup = round((performance.now() - created) / 1000, 3);
    if (!engine) setup += performance.now() - created;
    try {
      const pending = checkSetAgainst(sets, trainer);
      changes = changesOf(trainer);
      reached = await trainLoop(trainer, pending, target, abort.signal, onRow, say);
    } finally {
      bar?.stop();
      // nothing trained is lost: this seed's last good state and every seed's results so far
      if (trainer.history.length > 0) {
        results.push({ seed, history: trainer.history, summary: trainer.summary(), reached });
        // batched seeds finish in any order: keep the results in seed order
        results.sort((a, b) => seeds.indexOf(a.seed) - seeds.indexOf(b.seed));
        await saveCheckpoint();
        saveResults();
      }
      // a batched seed leaves its batch here: the others no longer wait for it
      trainer.dispose();
    }
    if (!flags.json && target !== undefined) process.stdout.write(`seed ${seed}: ${targetText(reached, target, seedSetup)}\n`);
  };

  try {
    const created = performance.now();
    const engines = await createSeedEngines(config, seeds, { notice });
    setup += performance.now() - created;
    if (engines) {
      batched = true;
      const settled = await Promise.allSettled(seeds.map((seed, i) => runSeed(seed, engines[i])));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } else {
      for (const seed of seeds) {
        if (abort.signal.aborted) break;
        await runSeed(seed);
      }
    }
  } finally {
    abort.dispose();
  }
  const line = { ...summaryOf(), backend: last?.engine.backend, adapter: last?.engine.where, setup_s: round(setup / 1000, 3), config };
  if (flags.json) process.stdout.write(JSON.stringify(line) + '\n');
  else {
    const a = line.across_seeds;
    const pm = a.se === null ? '' : ` ± ${fmt(a.se, 2)} (standard error)`;
    process.stdout.write(
      `done: ${plural(results.length, 'seed')} (${line.seeds.join(', ')}${results.length < seeds.length ? `; interrupted, ${seeds.length - results.length} not run` : ''}), ${line.steps} steps in ${line.wall_s} s, final return (last 100 episodes) mean ${fmt(a.mean ?? NaN, 2)}${pm} over ${plural(a.n, 'seed')} (min ${fmt(a.min ?? NaN, 2)}, max ${fmt(a.max ?? NaN, 2)}), ${line.sps} steps/s on ${line.adapter}${out ? `; results in ${out}` : ''}\n`,
    );
  }
  return abort.signal.aborted ? 130 : 0;
}

/** A run's live changes as summary.json and the JSON summary list them (each with its --set replay value). */
function changesOf(trainer: Trainer) {
  return { hyper_start: trainer.startHyper, changes: trainer.changes.map((c) => ({ ...c, set: formatSet(c) })) };
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

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
function nullIfNaN(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}
function round(x: number, d: number): number {
  const p = 10 ** d;
  return Math.round(x * p) / p;
}
