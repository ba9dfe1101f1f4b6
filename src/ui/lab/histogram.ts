/** Equal-width histogram bins over [lo, hi] (values outside are clamped into the end bins). */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins || 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)))]++;
  }
  return counts;
}

/** A symmetric-ish range covering all values and the extra points (means, reference), padded 5%. */
export function rangeOf(values: ArrayLike<number>[], extra: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const vs of values) {
    for (let i = 0; i < vs.length; i++) {
      if (!Number.isFinite(vs[i])) continue;
      lo = Math.min(lo, vs[i]);
      hi = Math.max(hi, vs[i]);
    }
  }
  for (const v of extra) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  if (hi - lo < 1e-12) return [lo - 1, hi + 1];
  const pad = 0.05 * (hi - lo);
  return [lo - pad, hi + pad];
}
