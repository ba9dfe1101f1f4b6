/**
 * The one metric vocabulary: every field of the row the trainer emits once per update, with its name
 * in the CLI's `--json` update lines (CleanRL's snake_case), its column in `curve.csv` and the page's
 * CSV export (the row's own camelCase key), and the label charts and tables show. The CLI JSON line,
 * the CSV header and the page's chart headings are all derived from `METRICS`.
 */
import type { UpdateStats } from '../core/types';

/**
 * One update's metrics: the engine's UpdateStats (returns are real, undiscounted, unnormalised episode
 * returns) without its epoch count, plus what the trainer measures around the update.
 */
export interface MetricRow extends Omit<UpdateStats, 'epochsRun'> {
  /** wall-clock seconds since the run (or resume) started */
  wallS: number;
  /** env steps per second of this update (collect + update) */
  sps: number;
  /** trace of the covariance of per-group gradient estimates (NaN when not measured this update) */
  gradVariance: number;
  /** ‖mean‖² / trace (NaN when not measured) */
  gradSnr: number;
}

export interface MetricSpec {
  /** the key in the CLI's `--json` update line; absent: not in that line */
  json?: string;
  /** what charts and tables call it */
  label: string;
  /** written to JSON rounded to an integer */
  round?: boolean;
}

/**
 * Every metric in curve.csv's column order (the CSV column is the key itself). `json` keeps the names
 * the CLI has always printed (`episodic_return`, `sps`, …).
 */
export const METRICS = {
  update: { json: 'update', label: 'update' },
  envSteps: { json: 'step', label: 'env steps' },
  wallS: { label: 'wall-clock seconds' },
  sps: { json: 'sps', label: 'env steps per second', round: true },
  episodicReturn: { json: 'episodic_return', label: 'mean episodic return' },
  episodicLength: { json: 'episodic_length', label: 'mean episode length' },
  episodes: { label: 'finished episodes' },
  policyLoss: { json: 'policy_loss', label: 'policy loss' },
  valueLoss: { json: 'value_loss', label: 'value loss' },
  entropy: { json: 'entropy', label: 'entropy' },
  approxKl: { json: 'approx_kl', label: 'approximate KL' },
  clipFrac: { json: 'clipfrac', label: 'clip fraction' },
  gradNorm: { json: 'grad_norm', label: 'gradient norm' },
  lr: { json: 'lr', label: 'learning rate' },
  nonFinite: { json: 'non_finite', label: 'non-finite update (rolled back)' },
  gradVariance: { json: 'grad_variance', label: 'gradient variance (trace of covariance)' },
  gradSnr: { json: 'grad_snr', label: 'gradient signal-to-noise ‖mean‖² / tr Cov' },
  episodicReturnMin: { label: 'lowest episodic return' },
  episodicReturnMax: { label: 'highest episodic return' },
} as const satisfies { [K in keyof MetricRow]-?: MetricSpec };
export type MetricKey = keyof typeof METRICS;

/** Column order of the curve CSV (the metric keys, in METRICS order). */
export const CSV_COLUMNS = Object.keys(METRICS) as MetricKey[];

/**
 * One update as the CLI's `--json` line fields: the metrics with a `json` name, in METRICS order;
 * non-finite numbers become null, `round` ones integers, booleans stay booleans.
 */
export function metricJson(row: MetricRow): Record<string, number | boolean | null> {
  const out: Record<string, number | boolean | null> = {};
  for (const k of CSV_COLUMNS) {
    const spec: MetricSpec = METRICS[k];
    if (spec.json === undefined) continue;
    const v = row[k];
    out[spec.json] = typeof v === 'boolean' ? v : !Number.isFinite(v) ? null : spec.round ? Math.round(v) : v;
  }
  return out;
}

export function rowsToCsv(rows: readonly MetricRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(CSV_COLUMNS.map((c) => {
      const v = r[c];
      return typeof v === 'boolean' ? (v ? 1 : 0) : Number.isFinite(v) ? String(v) : '';
    }).join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * Mean return of the last `k` finished episodes, from per-update means and counts (the oldest update
 * that is only partly inside the window contributes its mean for the episodes still needed).
 */
export function meanOfLastEpisodes(rows: readonly MetricRow[], k = 100): number {
  let need = k;
  let sum = 0;
  let n = 0;
  for (let i = rows.length - 1; i >= 0 && need > 0; i--) {
    const r = rows[i];
    if (!(r.episodes > 0) || !Number.isFinite(r.episodicReturn)) continue;
    const take = Math.min(need, r.episodes);
    sum += take * r.episodicReturn;
    n += take;
    need -= take;
  }
  return n > 0 ? sum / n : NaN;
}
