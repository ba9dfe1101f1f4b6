/**
 * Form and URL-query validation for the page. There is ONE validation layer: src/core/config.ts
 * (`FIELDS`, `configFromStrings`, `allowedText`). This module only maps its `ConfigError`s onto
 * the form's fields so each one can show its own inline message.
 */
import { configFromStrings, FIELDS, allowedText, type Config, type FieldName } from '../core/config';
import { ConfigError } from '../core/errors';
import { ALGOS, type Algo } from '../core/types';

/** Raw text of each shown field, exactly as typed (or as read from the URL). */
export type FieldTexts = Partial<Record<FieldName, string>>;
/** One message per bad field. */
export type FieldErrors = Partial<Record<string, string>>;

/** The text a field shows for a value (inverse of config.ts `parseField`). */
export function fieldText(name: FieldName, value: unknown): string {
  const f = FIELDS[name];
  if (f.kind === 'intList') return (value as number[]).join(',');
  return String(value);
}

/** Default text of every field. */
export function defaultTexts(): Record<FieldName, string> {
  const out = {} as Record<FieldName, string>;
  for (const k of Object.keys(FIELDS) as FieldName[]) out[k] = fieldText(k, FIELDS[k].default);
  return out;
}

/**
 * Validate texts with config.ts. Each field is first checked alone (over the defaults), so every bad
 * field gets its own message; then the whole set, so cross-field rules (minibatches ≤ envs × steps)
 * land on the field config.ts names.
 */
export function validateTexts(texts: FieldTexts): { config?: Config; errors: FieldErrors } {
  const errors: FieldErrors = {};
  for (const [k, v] of Object.entries(texts)) {
    if (v === undefined) continue;
    try {
      configFromStrings({ [k]: v });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // A lone field can only fail itself or a cross-field rule with the defaults; report it here.
      errors[k] = e.message;
    }
  }
  if (Object.keys(errors).length > 0) return { errors };
  try {
    return { config: configFromStrings(texts as Record<string, string>), errors };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    errors[e.field] = e.message;
    return { errors };
  }
}

/** Hint under a field: its allowed range, from config.ts. */
export function fieldHint(name: FieldName): string {
  return `${FIELDS[name].doc} — ${allowedText(name)}`;
}

/** Parse the estimators list (comma separated) — the page's one field that is not a config field. */
export function parseEstimators(text: string): { algos?: Algo[]; error?: string } {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const allowed = `1–${ALGOS.length} of ${ALGOS.join(', ')}`;
  if (parts.length === 0) return { error: `choose at least one estimator (allowed: ${allowed})` };
  for (const p of parts) {
    if (!(ALGOS as readonly string[]).includes(p)) return { error: `invalid estimator: ${JSON.stringify(p.slice(0, 40))} (allowed: ${allowed})` };
  }
  return { algos: [...new Set(parts)] as Algo[] };
}

/**
 * Check a config-field text alone with config.ts (e.g. the labs' γ, λ, seed): the value or the
 * message config.ts gives.
 */
export function checkField(name: FieldName, text: string): { value?: number; error?: string } {
  try {
    const c = configFromStrings({ [name]: text });
    return { value: c[name] as number };
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message };
    throw e;
  }
}

/**
 * A page-local number setting that is not a config field (lab sliders, sample counts), checked
 * in the same words config.ts uses: `invalid <name>: <value> (allowed: …)`.
 */
export function checkNumber(name: string, text: string, min: number, max: number, integer = false): { value?: number; error?: string } {
  const t = text.trim();
  const v = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    const shown = JSON.stringify(text.length > 60 ? text.slice(0, 57) + '...' : text);
    return { error: `invalid ${name}: ${shown} (allowed: ${integer ? 'an integer' : 'a number'} ${min} ≤ ${name} ≤ ${max})` };
  }
  return { value: v };
}
