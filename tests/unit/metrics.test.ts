/**
 * One metric vocabulary (src/train/metrics.ts): the CLI's `--json` update fields and the CSV columns
 * both come from METRICS, with the names the README and the tests have always shown; the page's PPO
 * health grid and the live estimator comparison name their columns from the same table.
 */
import { describe, expect, it } from 'vitest';
import { ESTIMATORS } from '../../src/core/types';
import {
  CSV_COLUMNS, ESTIMATOR_METRICS, HEALTH_METRICS, METRICS, metricJson, rowsToCsv, unmeasuredEstimators, type MetricRow,
} from '../../src/train/metrics';

const row: MetricRow = {
  update: 3, envSteps: 96, wallS: 1.5, sps: 1234.6, episodicReturn: NaN, episodicLength: 12, episodes: 0,
  episodicReturnMin: NaN, episodicReturnMax: NaN, policyLoss: -0.25, valueLoss: 0.5, entropy: 0.69,
  approxKl: 0.001, clipFrac: 0.1, explainedVariance: 0.75, gradNorm: 2, lr: 2.5e-4, lambda: 0.95, entCoef: 0.01, clip: 0.2,
  epochsRun: 3, nonFinite: false, gradVariance: 7, gradSnr: NaN,
  ...unmeasuredEstimators(), varGae: 4.5, cosGae: 0.25,
};

describe('metric vocabulary', () => {
  it('the CLI JSON line: snake_case names, non-finite → null, sps rounded', () => {
    const j = metricJson(row);
    expect(j).toMatchObject({
      update: 3, step: 96, sps: 1235, episodic_return: null, episodic_length: 12, policy_loss: -0.25, value_loss: 0.5,
      entropy: 0.69, approx_kl: 0.001, clipfrac: 0.1, explained_variance: 0.75, grad_norm: 2, lr: 2.5e-4, epochs: 3,
      non_finite: false, grad_variance: 7, grad_snr: null, var_gae: 4.5, cos_gae: 0.25, var_reinforce: null, cos_actor_critic: null,
    });
    for (const k of Object.keys(j)) expect(k).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(new Set(Object.keys(j)).size).toBe(Object.keys(j).length);
  });

  it('the CSV: camelCase columns, update and env steps first, empty cells for non-finite values', () => {
    expect(CSV_COLUMNS.slice(0, 2)).toEqual(['update', 'envSteps']);
    const [head, line] = rowsToCsv([row]).trim().split('\n');
    expect(head).toBe(CSV_COLUMNS.join(','));
    const cell = (k: keyof MetricRow) => line.split(',')[CSV_COLUMNS.indexOf(k)];
    expect(cell('explainedVariance')).toBe('0.75');
    expect(cell('epochsRun')).toBe('3');
    expect(cell('nonFinite')).toBe('0');
    expect(cell('varGae')).toBe('4.5');
    expect(cell('varReinforce')).toBe('');
    expect(cell('episodicReturn')).toBe('');
    expect(line.split(',')).toHaveLength(CSV_COLUMNS.length);
  });

  it('every metric has a label', () => {
    for (const k of CSV_COLUMNS) expect(METRICS[k].label.length).toBeGreaterThan(0);
  });

  it('the PPO health grid: exactly these statistics, each a metric with a JSON name', () => {
    expect(HEALTH_METRICS).toEqual(['policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFrac', 'explainedVariance', 'gradNorm', 'lr', 'epochsRun', 'sps']);
    for (const k of HEALTH_METRICS) expect((METRICS[k] as { json?: string }).json).toBeDefined();
  });

  it('the estimator comparison: a variance and a cosine column per estimator, all distinct, NaN when unmeasured', () => {
    expect(Object.keys(ESTIMATOR_METRICS).sort()).toEqual([...ESTIMATORS].sort());
    const cols = ESTIMATORS.flatMap((e) => [ESTIMATOR_METRICS[e].variance, ESTIMATOR_METRICS[e].cosine]);
    expect(new Set(cols).size).toBe(2 * ESTIMATORS.length);
    for (const c of cols) expect(CSV_COLUMNS).toContain(c);
    expect(ESTIMATOR_METRICS['reinforce-rtg']).toEqual({ variance: 'varReinforceRtg', cosine: 'cosReinforceRtg' });
    expect(METRICS.varReinforceRtg.json).toBe('var_reinforce_rtg');
    const none = unmeasuredEstimators();
    expect(Object.keys(none).sort()).toEqual([...cols].sort());
    for (const v of Object.values(none)) expect(v).toBeNaN();
  });
});

