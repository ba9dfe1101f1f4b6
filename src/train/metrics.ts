/**
 * The one metric vocabulary: every field of the row the trainer emits once per update, with its name
 * in the CLI's `--json` update lines (CleanRL's snake_case), its column in `curve.csv` and the page's
 * CSV export (the row's own camelCase key), and the label charts and tables show. The CLI JSON line,
 * the CSV header and the page's chart headings are all derived from `METRICS`; the page's PPO health
 * grid from `HEALTH_METRICS`, its live estimator comparison from `ESTIMATOR_METRICS`.
 */
import type { EstimatorKind, UpdateStats } from '../core/types';

/**
 * The per-estimator columns of the live comparison (every `varianceEvery` updates, all five Ψ on the
 * rollout just collected, whichever algorithm trains): `var…` the trace of the covariance of the
 * per-group gradient estimates, `cos…` the mean cosine of each group's estimate to the groups' mean.
 * NaN on updates that did not measure. Flat, so the CSV stays flat.
 */
export interface EstimatorColumns {
  varReinforce: number;
  cosReinforce: number;
  varReinforceRtg: number;
  cosReinforceRtg: number;
  varReinforceBaseline: number;
  cosReinforceBaseline: number;
  varActorCritic: number;
  cosActorCritic: number;
  varGae: number;
  cosGae: number;
}

/**
 * One update's metrics: the engine's UpdateStats (returns are real, undiscounted, unnormalised episode
 * returns), plus what the trainer measures around the update.
 */
export interface MetricRow extends UpdateStats, EstimatorColumns {
  /** wall-clock seconds since the run (or resume) started */
  wallS: number;
  /** env steps per second of this update (collect + update) */
  sps: number;
  /** trace of the covariance of per-group gradient estimates of the trained Ψ (NaN when not measured this update) */
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
  explainedVariance: { json: 'explained_variance', label: 'explained variance of the critic' },
  gradNorm: { json: 'grad_norm', label: 'gradient norm' },
  lr: { json: 'lr', label: 'learning rate' },
  lambda: { json: 'lambda', label: 'GAE λ' },
  entCoef: { json: 'ent_coef', label: 'entropy coefficient β' },
  clip: { json: 'clip', label: 'PPO clip ε' },
  epochsRun: { json: 'epochs', label: 'epochs run' },
  nonFinite: { json: 'non_finite', label: 'non-finite update (rolled back)' },
  gradVariance: { json: 'grad_variance', label: 'gradient variance (trace of covariance)' },
  gradSnr: { json: 'grad_snr', label: 'gradient signal-to-noise ‖mean‖² / tr Cov' },
  episodicReturnMin: { label: 'lowest episodic return' },
  episodicReturnMax: { label: 'highest episodic return' },
  varReinforce: { json: 'var_reinforce', label: 'gradient variance, REINFORCE' },
  cosReinforce: { json: 'cos_reinforce', label: 'cosine to the mean gradient, REINFORCE' },
  varReinforceRtg: { json: 'var_reinforce_rtg', label: 'gradient variance, reward-to-go' },
  cosReinforceRtg: { json: 'cos_reinforce_rtg', label: 'cosine to the mean gradient, reward-to-go' },
  varReinforceBaseline: { json: 'var_reinforce_baseline', label: 'gradient variance, REINFORCE with baseline' },
  cosReinforceBaseline: { json: 'cos_reinforce_baseline', label: 'cosine to the mean gradient, REINFORCE with baseline' },
  varActorCritic: { json: 'var_actor_critic', label: 'gradient variance, actor-critic (TD error)' },
  cosActorCritic: { json: 'cos_actor_critic', label: 'cosine to the mean gradient, actor-critic (TD error)' },
  varGae: { json: 'var_gae', label: 'gradient variance, GAE(λ)' },
  cosGae: { json: 'cos_gae', label: 'cosine to the mean gradient, GAE(λ)' },
} as const satisfies { [K in keyof MetricRow]-?: MetricSpec };
export type MetricKey = keyof typeof METRICS;

/**
 * The PPO health statistics, one small chart each on the page (in this order): losses, entropy,
 * approximate KL (k3), clip fraction, the critic's explained variance, the gradient norm before
 * clipping, the learning rate, the epochs actually run (target-KL early stop) and env steps per second.
 */
export const HEALTH_METRICS: readonly MetricKey[] = [
  'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFrac', 'explainedVariance', 'gradNorm', 'lr', 'epochsRun', 'sps',
];

/** Each estimator's columns of the live comparison (EstimatorColumns). */
export const ESTIMATOR_METRICS: Record<EstimatorKind, { variance: keyof EstimatorColumns & MetricKey; cosine: keyof EstimatorColumns & MetricKey }> = {
  reinforce: { variance: 'varReinforce', cosine: 'cosReinforce' },
  'reinforce-rtg': { variance: 'varReinforceRtg', cosine: 'cosReinforceRtg' },
  'reinforce-baseline': { variance: 'varReinforceBaseline', cosine: 'cosReinforceBaseline' },
  'actor-critic': { variance: 'varActorCritic', cosine: 'cosActorCritic' },
  gae: { variance: 'varGae', cosine: 'cosGae' },
};

/** Every estimator column NaN: an update that did not measure. */
export function unmeasuredEstimators(): EstimatorColumns {
  return {
    varReinforce: NaN, cosReinforce: NaN, varReinforceRtg: NaN, cosReinforceRtg: NaN, varReinforceBaseline: NaN,
    cosReinforceBaseline: NaN, varActorCritic: NaN, cosActorCritic: NaN, varGae: NaN, cosGae: NaN,
  };
}

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
