/**
 * The constant baseline of REINFORCE with baseline: Ψ_t = G_t − b, b a running mean of G.
 *
 * Why it is allowed: E_a[∇log π(a|s)] = Σ_a ∇π(a|s) = ∇1 = 0, so subtracting any b that does not depend
 * on the action leaves E[∇log π · (G − b)] = ∇J unchanged while it can cut the variance. To keep that
 * exact, use the baseline of the previous rollouts for this rollout's Ψ, and only then `update` it with
 * this rollout's G (the order the engine follows).
 */
import type { FloatArray } from './rollout';

/**
 * Exponential running mean, seeded with the first batch mean:
 *   b ← m                         on the first update
 *   b ← decay · b + (1 − decay) · m  afterwards
 */
export function runningMean(prev: number, batchMean: number, decay: number, first: boolean): number {
  return first ? batchMean : decay * prev + (1 - decay) * batchMean;
}

/** Mean of the valid entries of g[0 … n−1] (mask_i = 1, or all without a mask); NaN if none. */
export function maskedMean(g: ArrayLike<number>, n: number, mask?: Uint8Array): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    s += g[i];
    c++;
  }
  return c === 0 ? NaN : s / c;
}

export class RunningMeanBaseline {
  /** the current baseline b */
  value = 0;
  /** how many batches have been folded in */
  count = 0;

  /** @param decay EMA decay in [0, 1) (config `baselineDecay`) */
  constructor(readonly decay: number) {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`baseline decay must be in [0, 1), got ${decay}`);
  }

  /**
   * Fold in one rollout's reward-to-go G[0 … n−1] (valid entries only): m = mean G, then `runningMean`.
   * A batch with no valid entry leaves b unchanged. Returns the new b.
   */
  update(G: FloatArray, n: number, mask?: Uint8Array): number {
    const m = maskedMean(G, n, mask);
    if (Number.isNaN(m)) return this.value;
    this.value = runningMean(this.value, m, this.decay, this.count === 0);
    this.count++;
    return this.value;
  }

  /** The scalars a checkpoint keeps (EngineSnapshot.scalars). */
  state(): { baseline: number; baselineCount: number } {
    return { baseline: this.value, baselineCount: this.count };
  }

  restore(s: { baseline: number; baselineCount: number }): void {
    this.value = s.baseline;
    this.count = s.baselineCount;
  }
}
