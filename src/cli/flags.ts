/**
 * The flags that are not config fields (`--envs` lists, `--seconds`, `--samples`, `--target-return`, …):
 * parsed and range-checked here, once, with the same one-line error as a config flag:
 * `invalid --seconds: "0" (allowed: a number 0 < seconds ≤ 600)`. Config fields go through
 * src/core/config.ts (src/cli/options.ts); these are the rest.
 */
import { ConfigError, formatValue } from '../core/errors';

/** camelCase key of a `--kebab-case` flag (the error's `field`, as commander names the option). */
const keyOf = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The one error of a bad non-config flag. */
export function flagError(flag: string, value: unknown, allowed: string): ConfigError {
  return new ConfigError(keyOf(flag), value, allowed, `invalid --${flag}: ${formatValue(value)} (allowed: ${allowed})`);
}

const INT = /^[+-]?\d+$/;

/** An integer min ≤ n ≤ max. */
export function intFlag(flag: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const t = String(value).trim();
  const n = Number(t);
  if (!INT.test(t) || n < min || n > max) throw flagError(flag, value, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer ${min} ≤ ${flag} ≤ ${max}`);
  return n;
}

/** A finite number, optionally in (min, max] / [min, max]. */
export function numberFlag(flag: string, value: unknown, range: { min?: number; max?: number; minExclusive?: boolean } = {}): number {
  const t = String(value).trim();
  const n = Number(t);
  const { min, max, minExclusive } = range;
  const lo = min === undefined ? '' : `${min} ${minExclusive ? '<' : '≤'} `;
  const hi = max === undefined ? '' : ` ≤ ${max}`;
  const allowed = min === undefined && max === undefined ? 'a finite number' : `a number ${lo}${flag}${hi}`;
  if (t === '' || !Number.isFinite(n)) throw flagError(flag, value, allowed);
  if (min !== undefined && (minExclusive ? n <= min : n < min)) throw flagError(flag, value, allowed);
  if (max !== undefined && n > max) throw flagError(flag, value, allowed);
  return n;
}

/** A non-empty comma-separated list; with `allowed`, every item one of them. */
export function listFlag(flag: string, value: unknown, allowed?: readonly string[]): string[] {
  const items = String(value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw flagError(flag, value, allowed ? `a comma-separated list of ${allowed.join(', ')}` : 'a non-empty comma-separated list');
  if (allowed) for (const x of items) if (!allowed.includes(x)) throw flagError(flag, x, allowed.join(', '));
  return items;
}

/** A comma-separated list of integers min ≤ n ≤ max. */
export function intListFlag(flag: string, value: unknown, min: number, max: number): number[] {
  const allowed = `comma-separated integers ${min} ≤ ${flag} ≤ ${max}`;
  const items = String(value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw flagError(flag, value, allowed);
  return items.map((s) => {
    const n = Number(s);
    if (!INT.test(s) || n < min || n > max) throw flagError(flag, s, allowed);
    return n;
  });
}

/** One of a fixed set of words. */
export function oneOfFlag<T extends string>(flag: string, value: unknown, values: readonly T[]): T {
  const t = String(value).trim();
  if (!(values as readonly string[]).includes(t)) throw flagError(flag, value, values.join(', '));
  return t as T;
}
