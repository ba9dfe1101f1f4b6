/**
 * Many seeds of one configuration (one curve is no evidence: Henderson et al. 2018; Spinning Up plots
 * the mean and spread over seeds). The one place for: which seeds a `--seeds` / seeds-field text means,
 * and the statistics across seeds that the CLI's summary and the page's charts report.
 *
 * Across n seeds with finite values x_1 … x_n (a seed with no finished episode has none and is left out):
 *   mean = (1/n) Σ x_i,   SE = s / √n  with  s² = Σ (x_i − mean)² / (n − 1)  (the sample variance),
 * SE is NaN for n < 2 (one value has no spread), every statistic NaN for n = 0.
 * Browser-safe (no node imports).
 */
import { FIELDS } from '../core/config';
import { rowsToCsv, type MetricRow } from './metrics';

/** At most this many seeds per configuration. */
export const MAX_SEEDS = 256;
/** The largest seed (config.ts's `seed` field: a u32). */
export const SEED_MAX = FIELDS.seed.max;

/** The form a seeds text must have, for its one-line error. */
export const SEEDS_ALLOWED = `a count N of 1–${MAX_SEEDS} (the seeds seed, seed+1, …, seed+N−1, at most ${SEED_MAX}) or a comma-separated list of 2–${MAX_SEEDS} distinct integers 0–${SEED_MAX}`;

/** `n` seeds from `base` on (`base`, `base`+1, …), or an explicit list as it is. */
export function seedList(base: number, spec: number | readonly number[]): number[] {
  if (typeof spec !== 'number') return [...spec];
  return Array.from({ length: spec }, (_, i) => base + i);
}

/**
 * The seeds a text names over the config's seed `base`: "8" is a count (base … base+7), "1,2,3" a
 * list (used as given). Undefined when the text has neither form or leaves the allowed range
 * (SEEDS_ALLOWED); the caller words the error (CLI flag or page field).
 */
export function parseSeeds(text: string, base: number): number[] | undefined {
  const t = String(text).trim();
  const int = (s: string) => (/^\+?\d+$/.test(s) ? Number(s) : NaN);
  if (!t.includes(',')) {
    const n = int(t);
    if (!Number.isInteger(n) || n < 1 || n > MAX_SEEDS || base + n - 1 > SEED_MAX) return undefined;
    return seedList(base, n);
  }
  const items = t.split(',').map((s) => s.trim());
  const seeds = items.map(int);
  if (seeds.length < 2 || seeds.length > MAX_SEEDS || seeds.some((s) => !Number.isInteger(s) || s > SEED_MAX)) return undefined;
  if (new Set(seeds).size !== seeds.length) return undefined;
  return seeds;
}

/** Whether a seeds text is a list (it replaces the config's seed) rather than a count from it. */
export function isSeedsList(text: string): boolean {
  return String(text).includes(',');
}

/** Statistics across seeds of one quantity (the finite values only: `n` counts them). */
export interface AcrossSeeds {
  mean: number;
  min: number;
  max: number;
  /** standard error of the mean: sample standard deviation / √n (NaN for n < 2) */
  se: number;
  n: number;
}

/** mean, min, max and standard error of the finite values (see the header for the formulas). */
export function acrossSeeds(values: readonly number[]): AcrossSeeds {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, min: NaN, max: NaN, se: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, min: Math.min(...xs), max: Math.max(...xs), se: n < 2 ? NaN : Math.sqrt(ss / (n - 1) / n), n };
}

/** Several seeds' rows as one CSV: a leading `seed` column, then metrics.ts's columns, one block per seed. */
export function seedRowsToCsv(blocks: readonly { seed: number; rows: readonly MetricRow[] }[]): string {
  const [head] = rowsToCsv([]).split('\n');
  const lines = [`seed,${head}`];
  for (const b of blocks) for (const l of rowsToCsv(b.rows).trim().split('\n').slice(1)) if (l) lines.push(`${b.seed},${l}`);
  return lines.join('\n') + '\n';
}
