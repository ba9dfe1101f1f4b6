/** Where the GPU engine overtakes the CPU engine (benchmark page). */

/**
 * The crossover of two log-log curves sampled at the same env counts: the first interval where
 * GPU − CPU (in log steps/s) changes sign from − to +, interpolated linearly in log–log.
 */
export function crossover(ns: number[], gpu: (number | null)[], cpu: (number | null)[]): number | null {
  let prev: { n: number; d: number } | null = null;
  for (let i = 0; i < ns.length; i++) {
    const g = gpu[i];
    const c = cpu[i];
    if (g === null || c === null || !(g > 0) || !(c > 0)) continue;
    const d = Math.log(g) - Math.log(c);
    if (prev && prev.d < 0 && d >= 0) {
      const t = -prev.d / (d - prev.d);
      return Math.exp(Math.log(prev.n) + t * (Math.log(ns[i]) - Math.log(prev.n)));
    }
    if (!prev && d >= 0) return ns[i];
    prev = { n: ns[i], d };
  }
  return null;
}
