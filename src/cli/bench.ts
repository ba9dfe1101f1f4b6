/**
 * `policygrad bench`: env-steps/s per (backend, env count) for rollout-only and full training, as
 * ratios measured in one run on one machine, and the crossover env count where the GPU path
 * overtakes the CPU path. `--modes peak` adds each backend's arithmetic peak (src/core/peak.ts): how
 * many GFLOP/s this machine's JS thread and WebGPU adapter reach at all, which bounds the ratio.
 */
import { configFromStrings } from '../core/config';
import { ConfigError } from '../core/errors';
import { BACKENDS, type Backend, type Engine, type KernelProfile } from '../core/types';
import { createEngine } from '../train/trainer';
import type { PeakResult } from '../core/peak';
import { measureCpuPeak } from '../backends/cpu/peak';
import { givenConfigStrings } from './options';

export interface BenchCell {
  backend: Backend;
  envs: number;
  mode: 'rollout' | 'train';
  env_steps_per_s: number;
  reps: number;
  /** where it ran: the WebGPU adapter's name or the CPU reference engine */
  on: string;
}

function list(opts: Record<string, unknown>, key: string, allowed?: readonly string[]): string[] {
  const items = String(opts[key]).split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new ConfigError(key, opts[key], 'a non-empty comma-separated list');
  if (allowed) for (const x of items) if (!allowed.includes(x)) throw new ConfigError(key, x, `one of ${allowed.join(', ')}`, `invalid --${key}: ${JSON.stringify(x)} (allowed: ${allowed.join(', ')})`);
  return items;
}

async function measure(engine: Engine, mode: 'rollout' | 'train', steps: number, minSeconds: number): Promise<{ sps: number; reps: number }> {
  // warm-up: pipelines compile, caches fill
  await engine.collect();
  if (mode === 'train') await engine.update();
  // collect() on the GPU returns once the rollout is submitted: time only finished work
  await engine.sync?.();
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  while (reps < 2 || (t - t0) / 1000 < minSeconds) {
    await engine.collect();
    if (mode === 'train') await engine.update();
    await engine.sync?.();
    reps++;
    t = performance.now();
  }
  return { sps: (reps * steps) / ((t - t0) / 1000), reps };
}

export async function benchCommand(opts: Record<string, unknown>): Promise<number> {
  const backends = list(opts, 'backends', BACKENDS) as Backend[];
  const envCounts = list(opts, 'envs').map((s) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < 1 || n > 65536) throw new ConfigError('envs', s, 'integers 1 ≤ envs ≤ 65536', `invalid --envs: ${JSON.stringify(s)} (allowed: comma-separated integers 1 ≤ envs ≤ 65536)`);
    return n;
  });
  const allModes = list(opts, 'modes', ['rollout', 'train', 'peak']);
  const modes = allModes.filter((m) => m !== 'peak') as ('rollout' | 'train')[];
  const seconds = Number(opts.seconds);
  if (!(seconds > 0 && seconds <= 600)) throw new ConfigError('seconds', opts.seconds, 'a number 0 < seconds ≤ 600', `invalid --seconds: ${JSON.stringify(opts.seconds)} (allowed: a number 0 < seconds ≤ 600)`);
  const given = givenConfigStrings(opts, ['numEnvs', 'backend']);
  const peaks: PeakCell[] = [];
  if (allModes.includes('peak')) {
    for (const backend of backends) {
      const cell = await peakOf(backend, seconds);
      peaks.push(cell);
      if (opts.json) process.stdout.write(JSON.stringify({ event: 'bench', backend, mode: 'peak', gflop_per_s: round3(cell.gflops), on: cell.on }) + '\n');
      else process.stderr.write(`  ${backend} peak: ${cell.gflops.toFixed(2)} GFLOP/s on ${cell.on}\n`);
    }
  }
  const cells: BenchCell[] = [];
  for (const backend of modes.length > 0 ? backends : []) {
    for (const envs of envCounts) {
      const config = configFromStrings({ ...given, backend, numEnvs: String(envs) });
      const engine = await createEngine(config, { profile: Boolean(opts.profile), notice: (m) => process.stderr.write(`policygrad: ${m}\n`) });
      try {
        for (const mode of modes) {
          const { sps, reps } = await measure(engine, mode, envs * config.numSteps, seconds);
          const cell: BenchCell = { backend, envs, mode, env_steps_per_s: Math.round(sps), reps, on: engine.where };
          cells.push(cell);
          if (opts.json) process.stdout.write(JSON.stringify({ event: 'bench', ...cell }) + '\n');
          else process.stderr.write(`  ${backend} ${envs} envs ${mode}: ${Math.round(sps)} env-steps/s (${reps} reps)\n`);
        }
        // GPU: per-kernel ms of the last rollout and update from timestamp queries, GFLOP/s and % of peak
        if (opts.profile && engine.lastProfile) {
          const p = engine.lastProfile();
          const peak = peaks.find((c) => c.backend === backend)?.gflops;
          const rows = profileRows(p, peak);
          if (opts.json) process.stdout.write(JSON.stringify({ event: 'profile', backend, envs, on: engine.where, kernels: rows, choices: p.choices, dispatches_per_update: p.dispatchesPerUpdate, bytes_read_per_update: p.bytesReadPerUpdate }) + '\n');
          else printProfile(`${backend} ${envs} envs on ${engine.where}`, rows, p);
        }
      } finally {
        engine.dispose();
      }
    }
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
  }
  return 0;
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

/** Smallest env count from which the GPU's env-steps/s exceeds the CPU's, per mode (null: never). */
export function crossovers(cells: BenchCell[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const mode of ['rollout', 'train'] as const) {
    const envs = [...new Set(cells.filter((c) => c.mode === mode).map((c) => c.envs))].sort((a, b) => a - b);
    const get = (b: Backend, n: number) => cells.find((c) => c.backend === b && c.envs === n && c.mode === mode)?.env_steps_per_s;
    if (!envs.some((n) => get('cpu', n) !== undefined && get('gpu', n) !== undefined)) continue;
    out[mode] = null;
    for (const n of envs) {
      const c = get('cpu', n);
      const g = get('gpu', n);
      if (c !== undefined && g !== undefined && g > c) {
        out[mode] = n;
        break;
      }
    }
  }
  return out;
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

export interface PeakCell extends PeakResult {
  backend: Backend;
  /** what ran it: "JS, 1 thread" or the adapter's description */
  on: string;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The arithmetic peak of one backend; a result off its closed form is an error (a broken driver). */
async function peakOf(backend: Backend, seconds: number): Promise<PeakCell> {
  let cell: PeakCell;
  if (backend === 'cpu') {
    cell = { backend, on: 'JS, 1 thread', ...measureCpuPeak(seconds) };
  } else {
    const { acquireDevice } = await import('../backends/gpu/device');
    const { measureGpuPeak } = await import('../backends/gpu/peak');
    const acq = await acquireDevice({ log: (m) => process.stderr.write(`policygrad: ${m}\n`) });
    try {
      const a = acq.adapterInfo;
      cell = { backend, on: [a.description || a.device || a.vendor, a.architecture].filter(Boolean).join(', ') || 'WebGPU adapter', ...(await measureGpuPeak(acq.device, seconds)) };
    } finally {
      acq.device.destroy();
    }
  }
  if (!(cell.relError < 1e-3)) throw new Error(`the ${backend} peak probe computed wrong results (relative error ${cell.relError.toExponential(2)} against the closed form)`);
  return cell;
}

function printPeaks(peaks: PeakCell[]): void {
  for (const p of peaks) process.stdout.write(`peak ${p.backend}: ${p.gflops.toFixed(2)} GFLOP/s (independent fma chains; ${p.on})\n`);
  const c = peaks.find((p) => p.backend === 'cpu');
  const g = peaks.find((p) => p.backend === 'gpu');
  if (c && g) process.stdout.write(`peak gpu/cpu: ${(g.gflops / c.gflops).toFixed(2)}× (what the GPU path gains on arithmetic when both paths reach the same fraction of their peak)\n`);
}
