/**
 * The fixed metric names (CleanRL's), used by the CLI, the UI and the tests alike, and the row the
 * trainer emits once per update.
 */
import type { UpdateStats } from '../core/types';

export const METRIC = {
  episodicReturn: 'charts/episodic_return',
  episodicLength: 'charts/episodic_length',
  episodicReturnMin: 'charts/episodic_return_min',
  episodicReturnMax: 'charts/episodic_return_max',
  sps: 'charts/SPS',
  lr: 'charts/learning_rate',
  gradVariance: 'charts/grad_variance',
  gradSnr: 'charts/grad_snr',
  policyLoss: 'losses/policy_loss',
  valueLoss: 'losses/value_loss',
  entropy: 'losses/entropy',
  approxKl: 'losses/approx_kl',
  clipFrac: 'losses/clipfrac',
  gradNorm: 'losses/grad_norm',
  nonFinite: 'faults/non_finite',
} as const;
export type MetricKey = keyof typeof METRIC;

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

/** Column order of the curve CSV. */
export const CSV_COLUMNS: (keyof MetricRow)[] = [
  'update', 'envSteps', 'wallS', 'sps', 'episodicReturn', 'episodicLength', 'episodes', 'policyLoss',
  'valueLoss', 'entropy', 'approxKl', 'clipFrac', 'gradNorm', 'lr', 'nonFinite', 'gradVariance', 'gradSnr',
  'episodicReturnMin', 'episodicReturnMax',
];

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
