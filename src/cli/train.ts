/** `policygrad train`: train one agent, print progress or JSON lines, write results and checkpoints. */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Config } from '../core/config';
import { serializeCheckpoint } from '../train/checkpoint';
import { rowsToCsv, type MetricRow } from '../train/metrics';
import { Trainer, type RunSummary } from '../train/trainer';
import { readCheckpointFile, writeAtomic } from './io';
import { runInfo } from './runinfo';

export interface TrainFlags {
  json?: boolean;
  out?: string;
  resume?: string;
  checkpointEvery?: string;
}

export async function trainCommand(config: Config, given: Partial<Config>, flags: TrainFlags): Promise<number> {
  const notice = (m: string) => process.stderr.write(`policygrad: ${m}\n`);
  const trainer = flags.resume
    ? await Trainer.fromCheckpoint(readCheckpointFile(flags.resume), given, { notice })
    : await Trainer.create(config, { notice });
  const cfg = trainer.config;
  const every = flags.checkpointEvery === undefined ? 0 : Number(flags.checkpointEvery);
  const out = flags.out;

  const saveCheckpoint = async () => {
    if (out) writeAtomic(join(out, 'checkpoint.json'), serializeCheckpoint(await trainer.checkpoint()));
  };
  const saveResults = (summary: RunSummary) => {
    if (!out) return;
    writeAtomic(join(out, 'curve.csv'), rowsToCsv(trainer.history));
    writeAtomic(join(out, 'summary.json'), JSON.stringify({ event: 'summary', ...summary, ...runInfo(trainer) }, null, 2) + '\n');
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
      process.stdout.write(JSON.stringify({
        event: 'update', update: row.update, step: row.envSteps, episodic_return: nullIfNaN(row.episodicReturn),
        episodic_length: nullIfNaN(row.episodicLength), policy_loss: row.policyLoss, value_loss: row.valueLoss,
        entropy: row.entropy, approx_kl: row.approxKl, clipfrac: row.clipFrac, grad_norm: row.gradNorm, lr: row.lr,
        grad_variance: nullIfNaN(row.gradVariance), grad_snr: nullIfNaN(row.gradSnr), non_finite: row.nonFinite,
        sps: Math.round(row.sps),
      }) + '\n');
    } else if (bar) {
      bar.update(row.envSteps, { ret: fmt(row.episodicReturn), sps: Math.round(row.sps) });
    } else if (row.wallS - lastPrint >= 2 || trainer.done) {
      lastPrint = row.wallS;
      process.stdout.write(`update ${row.update}/${trainer.numUpdates} steps ${row.envSteps} return ${fmt(row.episodicReturn)} sps ${Math.round(row.sps)}\n`);
    }
    if (row.nonFinite) notice(`update ${row.update}: non-finite loss, gradient or parameter; rolled back to the last good parameters and optimiser state`);
    if (every > 0 && row.update % every === 0) await saveCheckpoint();
  };

  let summary: RunSummary;
  try {
    while (!trainer.done && !abort.signal.aborted) {
      await onUpdate(await trainer.runUpdate());
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
  const line = { event: 'summary', steps: summary.steps, wall_s: round(summary.wall_s, 3), final_return: nullIfNaN(summary.final_return), sps: Math.round(summary.sps), updates: summary.updates, backend: trainer.engine.backend, adapter: trainer.engine.where };
  if (flags.json) process.stdout.write(JSON.stringify(line) + '\n');
  else process.stdout.write(`done: ${summary.steps} steps in ${line.wall_s} s, final return (last 100 episodes) ${fmt(summary.final_return)}, ${line.sps} steps/s on ${line.adapter}${out ? `; results in ${out}` : ''}\n`);
  return abort.signal.aborted ? 130 : 0;
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
