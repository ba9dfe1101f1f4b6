/**
 * The critic's explained variance EV = 1 − Var[R − V] / Var[R] (src/estimators/explained-variance.ts)
 * against hand-derived numbers (R = 1, 2, 3, 4: mean 2.5, population variance 1.25).
 */
import { describe, expect, it } from 'vitest';
import { explainedVariance } from '../../src/estimators/explained-variance';

const R = [1, 2, 3, 4];

describe('explained variance of the critic', () => {
  it('matches hand-derived values', () => {
    // a perfect critic, and one off by a constant: the residual has no variance
    expect(explainedVariance(R, R, 4)).toBe(1);
    expect(explainedVariance(R, [3, 4, 5, 6], 4)).toBe(1);
    // V = 0 explains nothing: Var[R − 0] = Var[R]
    expect(explainedVariance(R, [0, 0, 0, 0], 4)).toBe(0);
    // residual (−½, ½, −½, ½): variance ¼ → 1 − 0.25 / 1.25 = 0.8
    expect(explainedVariance(R, [1.5, 1.5, 3.5, 3.5], 4)).toBeCloseTo(0.8, 15);
    // the reversed critic: residual (−3, −1, 1, 3), variance 5 → 1 − 5 / 1.25 = −3
    expect(explainedVariance(R, [4, 3, 2, 1], 4)).toBeCloseTo(-3, 15);
  });

  it('counts only the first n samples, and only the masked-in ones', () => {
    expect(explainedVariance([...R, 100], [1.5, 1.5, 3.5, 3.5, 0], 4)).toBeCloseTo(0.8, 15);
    expect(explainedVariance([1, 100, 2, 3, 4], [1.5, 0, 1.5, 3.5, 3.5], 5, [1, 0, 1, 1, 1])).toBeCloseTo(0.8, 15);
  });

  it('is NaN when the targets do not vary or no sample counts (CleanRL: var_y = 0)', () => {
    expect(explainedVariance([2, 2, 2], [1, 2, 3], 3)).toBeNaN();
    expect(explainedVariance([], [], 0)).toBeNaN();
    expect(explainedVariance([1, 2], [0, 0], 2, [0, 0])).toBeNaN();
  });
});
