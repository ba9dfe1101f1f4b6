/**
 * Metric rows of several side-by-side runs, turned into uPlot column arrays: x = env steps (the
 * same batch size for every run, so the x values line up), one y column per run, null where a run
 * has no finite value (no finished episode in that rollout, variance not measured, log-scale ≤ 0).
 * With several seeds per estimator the runs of one name form a group, and the charts plot each
 * group's statistics across its seeds (src/train/seeds.ts `acrossSeeds`) at every x all its seeds
 * have reached: the mean, and mean ± 1 standard error as the band.
 */
import { CSV_COLUMNS, rowsToCsv, type MetricRow } from '../train/metrics';
import { acrossSeeds, type AcrossSeeds } from '../train/seeds';

export type NumericMetric = { [K in keyof MetricRow]: MetricRow[K] extends number ? K : never }[keyof MetricRow];

export class RunSeries {
  readonly rows: MetricRow[][];
  /** the distinct run names (estimators) in first-seen order: the groups of seeds */
  readonly groups: string[];

  /** `seeds[i]`: run i's seed (absent: one run per name, as before seeds) */
  constructor(
    readonly names: string[],
    readonly seeds?: number[],
  ) {
    this.rows = names.map(() => []);
    this.groups = [...new Set(names)];
  }

  /** Whether some estimator trains several seeds (the CSV then has a seed column). */
  get multiSeed(): boolean {
    return this.groups.length < this.names.length;
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
    const xs = this.xs();
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

  /**
   * Per group, per x of `columns`: the statistics across the group's seeds of `metric` (finite values;
   * `positiveOnly`: > 0 too), or null where some seed of the group has not reached that x yet.
   */
  private across(metric: NumericMetric, xs: readonly number[], positiveOnly: boolean): (AcrossSeeds | null)[][] {
    const at = new Map(xs.map((x, k) => [x, k]));
    return this.groups.map((g) => {
      const runs = this.rows.filter((_, i) => this.names[i] === g);
      const vals: number[][] = xs.map(() => []);
      const seen = new Array<number>(xs.length).fill(0);
      for (const r of runs) {
        for (const row of r) {
          const k = at.get(row.envSteps)!;
          seen[k]++;
          const v = row[metric] as number;
          if (Number.isFinite(v) && (!positiveOnly || v > 0)) vals[k].push(v);
        }
      }
      return vals.map((v, k) => (seen[k] === runs.length ? acrossSeeds(v) : null));
    });
  }

  private xs(): number[] {
    return [...new Set(this.rows.flatMap((r) => r.map((row) => row.envSteps)))].sort((a, b) => a - b);
  }

  /**
   * [x, group0·metric0, group0·metric1, …, group1·metric0, …]: each estimator's mean across its seeds
   * (with one seed per estimator, exactly `columnsOf`).
   */
  meanColumnsOf(metrics: readonly NumericMetric[], positiveOnly = false): (number | null)[][] {
    const xs = this.xs();
    const cols: (number | null)[][] = [xs];
    const stats = metrics.map((m) => this.across(m, xs, positiveOnly));
    this.groups.forEach((_, g) => {
      for (let m = 0; m < metrics.length; m++) cols.push(stats[m][g].map((a) => (a && a.n > 0 ? a.mean : null)));
    });
    return cols;
  }

  /** Per estimator, mean ± 1 standard error across its seeds of `metric` (null where fewer than 2 seeds have a value). */
  seBands(metric: NumericMetric): { lo: (number | null)[]; hi: (number | null)[] }[] {
    return this.across(metric, this.xs(), false).map((col) => ({
      lo: col.map((a) => (a && a.n >= 2 ? a.mean - a.se : null)),
      hi: col.map((a) => (a && a.n >= 2 ? a.mean + a.se : null)),
    }));
  }

  /** The last update each run has reported (0 before its first row; after a rewind, where it went back to). */
  lastUpdates(): number[] {
    return this.rows.map((r) => r.at(-1)?.update ?? 0);
  }

  /**
   * All runs as one CSV: an `estimator` column (then a `seed` column when an estimator trains several
   * seeds), then metrics.ts's CSV columns.
   */
  toCsv(): string {
    const seed = this.multiSeed && this.seeds;
    const lines = [['estimator', ...(seed ? ['seed'] : []), ...CSV_COLUMNS].join(',')];
    this.rows.forEach((rows, i) => {
      const body = rowsToCsv(rows).trim().split('\n').slice(1);
      for (const l of body) if (l) lines.push(seed ? `${this.names[i]},${seed[i]},${l}` : `${this.names[i]},${l}`);
    });
    return lines.join('\n') + '\n';
  }

  toJson(extra: Record<string, unknown>): string {
    return JSON.stringify({ format: 'policygrad-curves', version: 1, ...extra, runs: this.names.map((name, i) => ({ estimator: name, ...(this.seeds ? { seed: this.seeds[i] } : {}), rows: this.rows[i] })) }, null, 1);
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
