/**
 * Form and URL-query validation for the page. There is ONE validation layer: src/core/config.ts
 * (`FIELDS`, `configFromStrings`, `allowedText`). This module only maps its `ConfigError`s onto
 * the form's fields so each one can show its own inline message.
 */
import { configFromStrings, FIELDS, allowedText, type Config, type FieldName } from '../core/config';
import { ConfigError, formatValue } from '../core/errors';
import { parseSeeds, SEEDS_ALLOWED } from '../train/seeds';
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

/** A field's label on the form: config.ts's short `label` (the CLI keeps its flags). */
export function fieldLabel(name: FieldName): string {
  return FIELDS[name].label;
}

/**
 * What a page preset holds (src/core/presets.ts `PagePreset`): its env, the estimators side by side,
 * the env count on WebGPU and on the CPU engine, and config values over config.ts's defaults.
 */
export interface PresetLike {
  id: string;
  env: string;
  estimators: readonly string[];
  gpuEnvs: number;
  cpuEnvs: number;
  config: Partial<Config>;
}

/**
 * The page's texts for a preset: config.ts's defaults under the preset's values, its env and
 * estimators, the backend asked for, and the env count for the engine that will run it: `gpuEnvs`
 * when the GPU is asked for and WebGPU works, else `cpuEnvs` (the worker falls back to the CPU).
 */
export function presetTexts(p: PresetLike, webgpu: boolean, backend = 'gpu'): Record<string, string> {
  const t: Record<string, string> = { ...defaultTexts() };
  for (const [k, v] of Object.entries(p.config)) if (k in FIELDS && v !== undefined) t[k] = fieldText(k as FieldName, v);
  delete t.algo;
  t.env = p.env;
  t.backend = backend;
  t.numEnvs = String(backend === 'gpu' && webgpu ? p.gpuEnvs : p.cpuEnvs);
  t.estimators = p.estimators.join(',');
  t.preset = p.id;
  return t;
}

/**
 * Move the form from one preset's texts to another's: a field still showing the old preset's value
 * takes the new one; a field the user edited (its text differs from the old preset's) keeps it.
 * `keep` names fields that keep their text whatever (the one just changed).
 */
export function rebaseTexts(texts: Record<string, string>, from: Record<string, string>, to: Record<string, string>, keep: readonly string[] = []): Record<string, string> {
  const out = { ...texts };
  for (const [k, v] of Object.entries(to)) if (!keep.includes(k) && (texts[k] === undefined || texts[k] === from[k])) out[k] = v;
  return out;
}

/** The fields whose text differs from the preset's (the form marks them "edited"). */
export function editedFields(texts: Record<string, string>, preset: Record<string, string>): Set<string> {
  return new Set(Object.keys(texts).filter((k) => k !== 'preset' && preset[k] !== undefined && texts[k] !== preset[k]));
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
 * The page's seeds field (not a config field; src/train/seeds.ts `parseSeeds`): a count from the
 * form's seed ("3": seed, seed+1, seed+2) or a list ("1,2,3"), in the words the CLI's --seeds uses.
 */
export function checkSeeds(text: string, base: number): { seeds?: number[]; error?: string } {
  const seeds = parseSeeds(text, base);
  return seeds ? { seeds } : { error: `invalid seeds: ${formatValue(text)} (allowed: ${SEEDS_ALLOWED})` };
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
