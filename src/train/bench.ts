/**
 * Benchmark procedures shared by `policygrad bench` (src/cli/bench.ts) and the page's benchmark (the
 * worker, src/ui/worker.ts): the measuring loop, the crossover env count, and each backend's
 * arithmetic peak (src/core/peak.ts).
 *
 * The crossover is the smallest MEASURED env count at which the GPU path's env-steps/s is strictly
 * above the CPU path's: what a reader takes from "the GPU overtakes the CPU from N envs" is a count at
 * which the GPU was seen to be faster, so N is never a value between two measurements (an
 * interpolated crossing would depend on a model of the curve between the points) and a tie is not
 * overtaking.
 */
import type { Backend, Engine } from '../core/types';
import type { PeakResult } from '../core/peak';
import { measureCpuPeak } from '../backends/cpu/peak';

export type BenchMode = 'rollout' | 'train';

/** One measured (backend, env count, mode) point. */
export interface BenchCell {
  backend: Backend;
  envs: number;
  mode: BenchMode;
  env_steps_per_s: number;
  reps: number;
  /** where it ran: the WebGPU adapter's name or the CPU reference engine */
  on: string;
}

/** bench.csv's columns, one row per BenchCell (`policygrad bench --out`), in this order. */
export const BENCH_CSV_COLUMNS = ['backend', 'envs', 'mode', 'env_steps_per_s', 'reps', 'on'] as const satisfies readonly (keyof BenchCell)[];

/** A CSV field: quoted (with "" for ") when it holds a comma, a quote or a line break. */
function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The cells as CSV: the header `BENCH_CSV_COLUMNS`, then one line per cell. */
export function benchCellsToCsv(cells: readonly BenchCell[]): string {
  const lines = [BENCH_CSV_COLUMNS.join(',')];
  for (const c of cells) lines.push(BENCH_CSV_COLUMNS.map((k) => csvField(c[k])).join(','));
  return lines.join('\n') + '\n';
}

/**
 * env-steps/s of `engine`: one warm-up repetition (pipelines compile, caches fill, the JIT settles),
 * then timed repetitions — a rollout, plus an update in 'train' mode — until at least `minReps` ran
 * and `minSeconds` passed. `steps` is the env steps of one rollout (numEnvs · numSteps). Only finished
 * work is timed: on the GPU, collect() returns once the rollout is submitted, so every repetition
 * ends with `engine.sync()`.
 */
export async function measure(engine: Engine, mode: BenchMode, steps: number, minSeconds: number, minReps = 2): Promise<{ sps: number; reps: number }> {
  await engine.collect();
  if (mode === 'train') await engine.update();
  await engine.sync?.();
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  while (reps < minReps || (t - t0) / 1000 < minSeconds) {
    await engine.collect();
    if (mode === 'train') await engine.update();
    await engine.sync?.();
    reps++;
    t = performance.now();
  }
  return { sps: (reps * steps) / ((t - t0) / 1000), reps };
}

/**
 * The crossover of the GPU and CPU curves sampled at the env counts `ns` (ascending): the smallest n
 * whose GPU steps/s is strictly above its CPU steps/s (points missing either value are skipped);
 * null when there is none.
 */
export function crossover(ns: readonly number[], gpu: readonly (number | null | undefined)[], cpu: readonly (number | null | undefined)[]): number | null {
  for (let i = 0; i < ns.length; i++) {
    const g = gpu[i];
    const c = cpu[i];
    if (g === null || g === undefined || c === null || c === undefined) continue;
    if (g > c) return ns[i];
  }
  return null;
}

/** `crossover` per mode of the cells; a mode without a point measured on both backends is left out. */
export function crossovers(cells: readonly BenchCell[]): Partial<Record<BenchMode, number | null>> {
  const out: Partial<Record<BenchMode, number | null>> = {};
  for (const mode of ['rollout', 'train'] as const) {
    const ns = [...new Set(cells.filter((c) => c.mode === mode).map((c) => c.envs))].sort((a, b) => a - b);
    const get = (b: Backend, n: number) => cells.find((c) => c.backend === b && c.envs === n && c.mode === mode)?.env_steps_per_s;
    if (!ns.some((n) => get('cpu', n) !== undefined && get('gpu', n) !== undefined)) continue;
    out[mode] = crossover(ns, ns.map((n) => get('gpu', n)), ns.map((n) => get('cpu', n)));
  }
  return out;
}

export interface PeakCell extends PeakResult {
  backend: Backend;
  /** what ran it: "JS, 1 thread" or the adapter's description */
  on: string;
}

/**
 * The arithmetic peak of one backend for at least `seconds`: the CPU engine's JS thread, or the
 * WebGPU adapter (`log` gets the device notices). A result off its closed form is an error (a
 * broken driver).
 */
export async function measurePeak(backend: Backend, seconds: number, log?: (m: string) => void): Promise<PeakCell> {
  let cell: PeakCell;
  if (backend === 'cpu') {
    cell = { backend, on: 'JS, 1 thread', ...measureCpuPeak(seconds) };
  } else {
    const { acquireDevice } = await import('../backends/gpu/device');
    const { measureGpuPeak } = await import('../backends/gpu/peak');
    const acq = await acquireDevice({ log });
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
