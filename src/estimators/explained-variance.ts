/**
 * How much of the spread of the critic's targets the critic already explains (CleanRL's
 * `losses/explained_variance`, computed once per update over the whole batch, before training):
 *   EV = 1 − Var[R − V] / Var[R]
 * R the critic's targets of the update, V the values the rollout recorded. 1: perfect critic; 0: no
 * better than the mean of R; < 0: worse. Population variances (numpy's np.var; the ratio does not
 * depend on the divisor). Two passes in f64 (means, then squared deviations); the GPU's reduction
 * (shaders/learn/advstats.wgsl `explained_variance`) is held to this by tests/gpu/health-stats.test.ts.
 */

/**
 * EV over the samples i < n with mask_i ≠ 0 (all without a mask); NaN when Var[R] = 0 or no sample
 * counts (CleanRL: NaN when var_y = 0).
 */
export function explainedVariance(targets: ArrayLike<number>, values: ArrayLike<number>, n: number, mask?: ArrayLike<number>): number {
  let c = 0;
  let sr = 0;
  let sd = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    c++;
    sr += targets[i];
    sd += targets[i] - values[i];
  }
  if (c === 0) return NaN;
  const mr = sr / c;
  const md = sd / c;
  let vr = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    const r = targets[i] - mr;
    const d = targets[i] - values[i] - md;
    vr += r * r;
    vd += d * d;
  }
  return vr > 0 ? 1 - vd / vr : NaN;
}
