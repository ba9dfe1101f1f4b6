/**
 * One metric vocabulary (src/train/metrics.ts): the CLI's `--json` update fields and the CSV columns
 * both come from METRICS, with the names the README and the tests have always shown.
 */
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, METRICS, metricJson, rowsToCsv, type MetricRow } from '../../src/train/metrics';

const row: MetricRow = {
  update: 3, envSteps: 96, wallS: 1.5, sps: 1234.6, episodicReturn: NaN, episodicLength: 12, episodes: 0,
  episodicReturnMin: NaN, episodicReturnMax: NaN, policyLoss: -0.25, valueLoss: 0.5, entropy: 0.69,
  approxKl: 0.001, clipFrac: 0.1, gradNorm: 2, lr: 2.5e-4, nonFinite: false, gradVariance: 7, gradSnr: NaN,
};

describe('metric vocabulary', () => {
  it('the CLI JSON line: snake_case names, non-finite → null, sps rounded', () => {
    expect(metricJson(row)).toEqual({
      update: 3, step: 96, sps: 1235, episodic_return: null, episodic_length: 12, policy_loss: -0.25, value_loss: 0.5,
      entropy: 0.69, approx_kl: 0.001, clipfrac: 0.1, grad_norm: 2, lr: 2.5e-4, non_finite: false, grad_variance: 7, grad_snr: null,
    });
  });
  it('the CSV: camelCase columns in their fixed order, empty cells for non-finite values', () => {
    expect(CSV_COLUMNS).toEqual([
      'update', 'envSteps', 'wallS', 'sps', 'episodicReturn', 'episodicLength', 'episodes', 'policyLoss',
      'valueLoss', 'entropy', 'approxKl', 'clipFrac', 'gradNorm', 'lr', 'nonFinite', 'gradVariance', 'gradSnr',
      'episodicReturnMin', 'episodicReturnMax',
    ]);
    const [head, line] = rowsToCsv([row]).trim().split('\n');
    expect(head).toBe(CSV_COLUMNS.join(','));
    expect(line).toBe('3,96,1.5,1234.6,,12,0,-0.25,0.5,0.69,0.001,0.1,2,0.00025,0,7,,,');
  });
  it('every metric has a label', () => {
    for (const k of CSV_COLUMNS) expect(METRICS[k].label.length).toBeGreaterThan(0);
  });
});
