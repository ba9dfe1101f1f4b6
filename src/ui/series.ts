/**
 * Metric rows of several side-by-side runs, turned into uPlot column arrays: x = env steps (the
 * same batch size for every run, so the x values line up), one y column per run, null where a run
 * has no finite value (no finished episode in that rollout, variance not measured, log-scale ≤ 0).
 */
import { CSV_COLUMNS, rowsToCsv, type MetricRow } from '../train/metrics';

export type NumericMetric = { [K in keyof MetricRow]: MetricRow[K] extends number ? K : never }[keyof MetricRow];

export class RunSeries {
  readonly rows: MetricRow[][];

  constructor(readonly names: string[]) {
    this.rows = names.map(() => []);
  }

  add(i: number, row: MetricRow): void {
    this.rows[i].push(row);
  }

  /** Drop rows after `update` (a run continuing from an older checkpoint). */
  rewind(i: number, update: number): void {
    const r = this.rows[i];
    while (r.length > 0 && r[r.length - 1].update > update) r.pop();
  }

  get total(): number {
    return this.rows.reduce((a, r) => a + r.length, 0);
  }

  /** [x, y_run0, y_run1, …] for one metric. */
  columns(metric: NumericMetric, positiveOnly = false): (number | null)[][] {
    return this.columnsOf([metric], positiveOnly);
  }

  /** [x, run0·metric0, run0·metric1, …, run1·metric0, …]: several metrics of every run on one chart. */
  columnsOf(metrics: readonly NumericMetric[], positiveOnly = false): (number | null)[][] {
    const xs = [...new Set(this.rows.flatMap((r) => r.map((row) => row.envSteps)))].sort((a, b) => a - b);
    const at = new Map(xs.map((x, k) => [x, k]));
    const cols: (number | null)[][] = [xs];
    for (const r of this.rows) {
      for (const metric of metrics) {
        const y: (number | null)[] = new Array(xs.length).fill(null);
        for (const row of r) {
          const v = row[metric] as number;
          if (Number.isFinite(v) && (!positiveOnly || v > 0)) y[at.get(row.envSteps)!] = v;
        }
        cols.push(y);
      }
    }
    return cols;
  }

  /** The last update each run has reported (0 before its first row; after a rewind, where it went back to). */
  lastUpdates(): number[] {
    return this.rows.map((r) => r.at(-1)?.update ?? 0);
  }

  /** All runs as one CSV: an `estimator` column, then metrics.ts's CSV columns. */
  toCsv(): string {
    const lines = [['estimator', ...CSV_COLUMNS].join(',')];
    this.rows.forEach((rows, i) => {
      const body = rowsToCsv(rows).trim().split('\n').slice(1);
      for (const l of body) if (l) lines.push(`${this.names[i]},${l}`);
    });
    return lines.join('\n') + '\n';
  }

  toJson(extra: Record<string, unknown>): string {
    return JSON.stringify({ format: 'policygrad-curves', version: 1, ...extra, runs: this.names.map((name, i) => ({ estimator: name, rows: this.rows[i] })) }, null, 1);
  }
}

/**
 * The trainer's status line: the state, then each run's own progress, "ppo: update 15 of 16" (its
 * last update of its planned N), so side-by-side runs one update apart read as two runs' progress
 * and not as "updates 15 / 14".
 */
export function statusText(state: string, names: readonly string[], updates: readonly number[], planned: readonly number[]): string {
  if (names.length === 0) return state;
  const runs = names.map((n, i) => `${n}: update ${updates[i] ?? 0} of ${planned[i] ?? '?'}`);
  return `${state} — ${runs.join(' · ')}`;
}
