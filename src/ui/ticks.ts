/**
 * Tick labels of log-scale chart axes. uPlot's default formats every tick with Intl.NumberFormat (at
 * most 3 decimals), so a log axis spanning 10⁻⁴ … 1 reads "0, 0, 0, 1" and one spanning 1 … 10⁴
 * "1, 10, 100, 1,000, 10,000". Here a tick keeps its magnitude:
 *   ≥ 1000        SI suffix: 1k, 2.5k, 10k, 1M, 1G, 1T
 *   10⁻³ … 1000   plain decimal: 0.001, 0.05, 1, 20, 500
 *   < 10⁻³        exponent: 1e-4, 2.5e-7
 * Pure (no DOM), so Node tests and the chart component share it.
 */

const SI: readonly [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** x to 6 significant digits, as the shortest decimal (drops float noise: 0.1 + 0.2 → "0.3"). */
const short = (x: number): string => String(Number(x.toPrecision(6)));

/** One tick of a log axis (see the file comment); '' for values a log axis cannot show (≤ 0, NaN). */
export function logTickLabel(v: number): string {
  if (!(v > 0) || !Number.isFinite(v)) return '';
  const r = Number(v.toPrecision(6));
  for (const [unit, suffix] of SI) if (r >= unit) return `${short(r / unit)}${suffix}`;
  if (r >= 1e-3) return short(r);
  return r.toExponential();
}

/** uPlot `axis.values` for a log scale: the splits uPlot keeps (others are null) as `logTickLabel`. */
export function logAxisValues(_u: unknown, splits: readonly (number | null)[]): string[] {
  return splits.map((v) => (v === null || v === undefined ? '' : logTickLabel(v)));
}
