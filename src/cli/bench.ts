/**
 * `policygrad bench`: env-steps/s per (backend, env count) for rollout-only and full training, as
 * ratios measured in one run on one machine, and the crossover env count where the GPU path
 * overtakes the CPU path. `--modes peak` adds each backend's arithmetic peak (src/core/peak.ts): how
 * many GFLOP/s this machine's JS thread and WebGPU adapter reach at all, which bounds the ratio.
 *
 * Like `train`: a progress bar on stderr when stderr is a terminal (else one stderr line per cell),
 * and `--out DIR` writes bench.csv (one row per cell, the columns of the `--json` bench lines) and
 * bench.json (versions, the settings and config, cells, peaks, crossovers, kernel profiles), both
 * rewritten after every cell so an interrupted bench keeps what it measured.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { configFromStrings, FIELDS } from '../core/config';
import { intListFlag, listFlag, numberFlag } from './flags';
import { UserError } from '../core/errors';
import { BACKENDS, type Backend, type KernelProfile } from '../core/types';
import { createEngine } from '../train/trainer';
import { benchCellsToCsv, crossovers, measure, measurePeak, type BenchCell, type PeakCell } from '../train/bench';
import { writeAtomic } from './io';
import { givenConfigStrings } from './options';
import { versions } from './runinfo';

export async function benchCommand(opts: Record<string, unknown>): Promise<number> {
  const backends = listFlag('backends', opts.backends, BACKENDS) as Backend[];
  const envCounts = intListFlag('envs', opts.envs, FIELDS.numEnvs.min, FIELDS.numEnvs.max);
  const allModes = listFlag('modes', opts.modes, ['rollout', 'train', 'peak']);
  const modes = allModes.filter((m) => m !== 'peak') as ('rollout' | 'train')[];
  const seconds = numberFlag('seconds', opts.seconds, { min: 0, minExclusive: true, max: 600 });
  const given = givenConfigStrings(opts, ['numEnvs', 'backend']);
  const out = opts.out === undefined ? undefined : outDir(String(opts.out));
  const peaks: PeakCell[] = [];
  const cells: BenchCell[] = [];
  const profiles: Record<string, unknown>[] = [];
  const peakLine = (c: PeakCell) => ({ event: 'bench', backend: c.backend, mode: 'peak', gflop_per_s: round3(c.gflops), on: c.on });
  const save = () => {
    if (!out) return;
    const settings = { backends, envs: envCounts, modes: allModes, seconds, profile: Boolean(opts.profile) };
    // the config every cell shares (each cell names its own backend and env count)
    const { backend: _b, numEnvs: _n, ...config } = configFromStrings(given);
    const summary = { event: 'summary', versions: versions(), ...settings, config, cells, peaks: peaks.map(peakLine), crossover: crossovers(cells), profiles };
    try {
      writeAtomic(join(out, 'bench.csv'), benchCellsToCsv(cells));
      writeAtomic(join(out, 'bench.json'), JSON.stringify(summary, null, 2) + '\n');
    } catch (e) {
      throw new UserError(`cannot write into --out ${JSON.stringify(out)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };

  const total = (allModes.includes('peak') ? backends.length : 0) + (modes.length > 0 ? backends.length * envCounts.length * modes.length : 0);
  const bar =
    process.stderr.isTTY && !opts.json
      ? new cliProgress.SingleBar({ format: 'bench |{bar}| {value}/{total} cells | {cell}', hideCursor: true }, cliProgress.Presets.shades_classic)
      : undefined;
  bar?.start(total, 0, { cell: '-' });
  /** one finished cell: the bar moves on, or (no terminal) one stderr line */
  const done = (line: string) => {
    if (bar) bar.increment(1, { cell: line });
    else if (!opts.json) process.stderr.write(`  ${line}\n`);
  };
  try {
    if (allModes.includes('peak')) {
      for (const backend of backends) {
        const cell = await measurePeak(backend, seconds, (m) => process.stderr.write(`policygrad: ${m}\n`));
        peaks.push(cell);
        save();
        if (opts.json) process.stdout.write(JSON.stringify(peakLine(cell)) + '\n');
        done(`${backend} peak: ${cell.gflops.toFixed(2)} GFLOP/s on ${cell.on}`);
      }
    }
    for (const backend of modes.length > 0 ? backends : []) {
      for (const envs of envCounts) {
        const config = configFromStrings({ ...given, backend, numEnvs: String(envs) });
        const engine = await createEngine(config, { profile: Boolean(opts.profile), notice: (m) => process.stderr.write(`policygrad: ${m}\n`) });
        try {
          for (const mode of modes) {
            const { sps, reps } = await measure(engine, mode, envs * config.numSteps, seconds);
            const cell: BenchCell = { backend, envs, mode, env_steps_per_s: Math.round(sps), reps, on: engine.where };
            cells.push(cell);
            save();
            if (opts.json) process.stdout.write(JSON.stringify({ event: 'bench', ...cell }) + '\n');
            done(`${backend} ${envs} envs ${mode}: ${cell.env_steps_per_s} env-steps/s (${reps} reps)`);
          }
          // GPU: per-kernel ms of the last rollout and update from timestamp queries, GFLOP/s and % of peak
          if (opts.profile && engine.lastProfile) {
            const p = engine.lastProfile();
            const peak = peaks.find((c) => c.backend === backend)?.gflops;
            const rows = profileRows(p, peak);
            const line = { event: 'profile', backend, envs, on: engine.where, kernels: rows, choices: p.choices, dispatches_per_update: p.dispatchesPerUpdate, bytes_read_per_update: p.bytesReadPerUpdate };
            profiles.push(line);
            save();
            if (opts.json) process.stdout.write(JSON.stringify(line) + '\n');
            else printProfile(`${backend} ${envs} envs on ${engine.where}`, rows, p);
          }
        } finally {
          engine.dispose();
        }
      }
    }
  } finally {
    bar?.stop();
  }
  const crossover = crossovers(cells);
  if (opts.json) {
    for (const [mode, envs] of Object.entries(crossover)) process.stdout.write(JSON.stringify({ event: 'crossover', mode, envs }) + '\n');
  } else {
    if (modes.length > 0) printTable(cells, backends, envCounts, modes);
    for (const b of modes.length > 0 ? backends : []) {
      const on = cells.find((c) => c.backend === b)?.on;
      if (on) process.stdout.write(`${b}: ${on}\n`);
    }
    if (peaks.length > 0) printPeaks(peaks);
    for (const [mode, envs] of Object.entries(crossover)) {
      process.stdout.write(`crossover (${mode}): ${envs === null ? 'the GPU path does not overtake the CPU path at these env counts' : `the GPU path overtakes the CPU path from ${envs} envs`}\n`);
    }
    if (out) process.stdout.write(`results in ${out} (bench.csv, bench.json)\n`);
  }
  return 0;
}

const OUT_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file',
  EEXIST: 'a file of that name exists',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
};

/** `--out DIR` made ready before anything is measured: created if missing, else one clear error. */
export function outDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new UserError(`invalid --out: ${JSON.stringify(dir)} (allowed: a directory that exists or can be created and written; here ${code}${OUT_REASONS[code] ? `: ${OUT_REASONS[code]}` : ''})`);
  }
}

export interface ProfileRow {
  kernel: string;
  ms: number;
  /** achieved GFLOP/s (kernels whose FLOPs are counted from the shapes) */
  gflop_per_s?: number;
  /** of the adapter's measured peak (`--modes peak` in the same run) */
  pct_of_peak?: number;
}

/** Per-kernel rows of a profile: ms, and for counted kernels GFLOP/s and % of the measured peak. */
export function profileRows(p: KernelProfile, peakGflops?: number): ProfileRow[] {
  return Object.entries(p.ms).map(([kernel, ms]) => {
    const row: ProfileRow = { kernel, ms: round3(ms) };
    const f = p.flops[kernel];
    if (f !== undefined && ms > 0) {
      const g = f / (ms * 1e6);
      row.gflop_per_s = round3(g);
      if (peakGflops && peakGflops > 0) row.pct_of_peak = Math.round((1000 * g) / peakGflops) / 10;
    }
    return row;
  });
}

function printProfile(title: string, rows: ProfileRow[], p: KernelProfile): void {
  process.stdout.write(`profile ${title}:\n`);
  const w = Math.max(...rows.map((r) => r.kernel.length), 6);
  process.stdout.write(`  ${'kernel'.padEnd(w)}  ${'ms'.padStart(10)}  ${'GFLOP/s'.padStart(8)}  ${'of peak'.padStart(7)}\n`);
  for (const r of rows) {
    const g = r.gflop_per_s === undefined ? '' : r.gflop_per_s.toFixed(2);
    const pct = r.pct_of_peak === undefined ? '' : `${r.pct_of_peak.toFixed(1)} %`;
    process.stdout.write(`  ${r.kernel.padEnd(w)}  ${r.ms.toFixed(3).padStart(10)}  ${g.padStart(8)}  ${pct.padStart(7)}\n`);
  }
  if (p.dispatchesPerUpdate !== undefined) process.stdout.write(`  dispatches per update: ${p.dispatchesPerUpdate}\n`);
  if (p.bytesReadPerUpdate !== undefined) process.stdout.write(`  bytes read back per update: ${p.bytesReadPerUpdate}\n`);
  for (const [what, c] of Object.entries(p.choices)) {
    const times = Object.entries(c.times).map(([n, ms]) => `${n} ${Number.isFinite(ms) ? ms.toFixed(2) + ' ms' : 'failed'}`).join(', ');
    process.stdout.write(`  ${what}: ${c.choice} (${c.cached ? 'cached choice' : times || 'only candidate'})\n`);
  }
}

function printTable(cells: BenchCell[], backends: Backend[], envCounts: number[], modes: string[]): void {
  const head = ['mode', 'envs', ...backends.map((b) => `${b} steps/s`), ...(backends.length === 2 ? ['gpu/cpu'] : [])];
  const rows: string[][] = [];
  for (const mode of modes) {
    for (const n of envCounts) {
      const v = backends.map((b) => cells.find((c) => c.backend === b && c.envs === n && c.mode === mode)?.env_steps_per_s ?? NaN);
      rows.push([mode, String(n), ...v.map((x) => (Number.isFinite(x) ? x.toLocaleString('en-US') : '-')), ...(backends.length === 2 ? [(v[backends.indexOf('gpu')] / v[backends.indexOf('cpu')]).toFixed(2) + '×'] : [])]);
    }
  }
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => (i < 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ') + '\n');
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function printPeaks(peaks: PeakCell[]): void {
  for (const p of peaks) process.stdout.write(`peak ${p.backend}: ${p.gflops.toFixed(2)} GFLOP/s (independent fma chains; ${p.on})\n`);
  const c = peaks.find((p) => p.backend === 'cpu');
  const g = peaks.find((p) => p.backend === 'gpu');
  if (c && g) process.stdout.write(`peak gpu/cpu: ${(g.gflops / c.gflops).toFixed(2)}× (what the GPU path gains on arithmetic when both paths reach the same fraction of their peak)\n`);
}
