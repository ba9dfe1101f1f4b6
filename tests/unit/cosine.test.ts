import { describe, expect, it } from 'vitest';
import { cosine, meanCosineTo, meanPairwiseCosine } from '../../src/estimators/variance';

describe('cosine similarity', () => {
  it('matches hand-derived values', () => {
    // (1,0)·(1,1) = 1, norms 1 and √2 → 1/√2
    expect(cosine([1, 0], [1, 1], 2)).toBeCloseTo(Math.SQRT1_2, 15);
    expect(cosine([1, 2, 3], [-1, -2, -3], 3)).toBeCloseTo(-1, 15);
    expect(cosine([1, 0], [0, 5], 2)).toBe(0);
    expect(cosine([0, 0], [1, 1], 2)).toBeNaN();
    // offsets read the right rows
    expect(cosine([9, 9, 1, 0], [0, 3, 0, 0], 2, 2, 0)).toBe(0);
  });

  it('averages all pairs and all rows', () => {
    // rows e0, e1, (e0+e1)/√2·2: pairs cos = 0, 1/√2, 1/√2 → mean √2/3
    const g = [1, 0, 0, 1, 2, 2];
    expect(meanPairwiseCosine(g, 3, 2)).toBeCloseTo(Math.SQRT2 / 3, 14);
    // against (1,1): 1/√2, 1/√2, 1 → mean (√2 + 1)/3
    expect(meanCosineTo(g, 3, 2, [1, 1])).toBeCloseTo((Math.SQRT2 + 1) / 3, 14);
    expect(meanPairwiseCosine([1, 2], 1, 2)).toBeNaN();
  });
});
