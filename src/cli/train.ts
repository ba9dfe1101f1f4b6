/** `policygrad train`: train one agent, print progress or JSON lines, write results and checkpoints. */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Config } from '../core/config';
import { serializeCheckpoint } from '../train/checkpoint';
import { meanOfLastEpisodes, metricJson, rowsToCsv, type MetricRow } from '../train/metrics';
import { Trainer, type RunSummary } from '../train/trainer';
import { readCheckpointFile, writeAtomic } from './io';
import { runInfo } from './runinfo';

export interface TrainFlags {
  json?: boolean;
  out?: string;
  resume?: string;
  checkpointEvery?: string;
  /** stop once the mean return of the last 100 finished episodes reaches this (validated by main.ts) */
  targetReturn?: string;
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
  const trainer = flags.resume
    ? await Trainer.fromCheckpoint(readCheckpointFile(flags.resume), given, { notice })
    : await Trainer.create(config, { notice });
  const cfg = trainer.config;
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
    writeAtomic(join(out, 'summary.json'), JSON.stringify({ event: 'summary', ...summary, ...(target !== undefined ? { target_return: target, target_reached: reached ?? null } : {}), ...runInfo(trainer) }, null, 2) + '\n');
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
  const line = { event: 'summary', steps: summary.steps, wall_s: round(summary.wall_s, 3), final_return: nullIfNaN(summary.final_return), sps: Math.round(summary.sps), updates: summary.updates, backend: trainer.engine.backend, adapter: trainer.engine.where, setup_s, ...(target !== undefined ? { target_return: target, target_reached: reached ?? null } : {}) };
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
