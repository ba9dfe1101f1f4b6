/**
 * The run configuration: every field typed, ranged, defaulted and documented in one table (`FIELDS`).
 * The same table serves the CLI flags, the page's form and URL query, and config / checkpoint files;
 * errors name the field, the bad value and the allowed range.
 */
import { z } from 'zod';
import { ACTIVATIONS, ALGOS, BACKENDS, ENV_NAMES } from './types';
import { ConfigError, formatValue } from './errors';

type Num = { min: number; max: number; minExclusive?: boolean; maxExclusive?: boolean };
export type FieldSpec =
  | ({ kind: 'int' } & Num & { default: number })
  | ({ kind: 'float' } & Num & { default: number })
  | { kind: 'enum'; values: readonly string[]; default: string }
  | { kind: 'bool'; default: boolean }
  | { kind: 'intList'; minLength: number; maxLength: number; min: number; max: number; default: number[] };

/**
 * A field: its spec plus the CLI flag, a short `label` for the page's form (the symbol or unit:
 * "γ discount", "lr (Adam)") and a one-line description.
 */
export type Field = FieldSpec & { flag: string; label: string; doc: string };

export const FIELDS = {
  env: { kind: 'enum', values: ENV_NAMES, default: 'cartpole', flag: 'env', label: 'environment', doc: 'environment' },
  algo: { kind: 'enum', values: ALGOS, default: 'ppo', flag: 'algo', label: 'estimator', doc: 'estimator / algorithm' },
  backend: { kind: 'enum', values: BACKENDS, default: 'cpu', flag: 'backend', label: 'engine', doc: 'engine backend' },
  numEnvs: { kind: 'int', min: 1, max: 65536, default: 8, flag: 'envs', label: 'env count N', doc: 'parallel environments' },
  totalSteps: { kind: 'int', min: 1, max: 1e10, default: 200_000, flag: 'steps', label: 'total env steps', doc: 'total env steps to train for' },
  seed: { kind: 'int', min: 0, max: 4294967295, default: 1, flag: 'seed', label: 'seed', doc: 'random seed (u32)' },
  numSteps: { kind: 'int', min: 1, max: 4096, default: 128, flag: 'num-steps', label: 'rollout length T', doc: 'rollout length per env per update' },
  gamma: { kind: 'float', min: 0, max: 1, default: 0.99, flag: 'gamma', label: 'γ discount', doc: 'discount γ' },
  lambda: { kind: 'float', min: 0, max: 1, default: 0.95, flag: 'lambda', label: 'λ GAE', doc: 'GAE λ' },
  lr: { kind: 'float', min: 0, max: 1, minExclusive: true, default: 2.5e-4, flag: 'lr', label: 'lr (Adam)', doc: 'Adam learning rate' },
  annealLr: { kind: 'bool', default: true, flag: 'anneal-lr', label: 'anneal lr → 0', doc: 'anneal the learning rate linearly to 0' },
  adamEps: { kind: 'float', min: 0, max: 1, minExclusive: true, default: 1e-5, flag: 'adam-eps', label: 'Adam ε', doc: 'Adam ε' },
  maxGradNorm: { kind: 'float', min: 0, max: 1e6, minExclusive: true, default: 0.5, flag: 'max-grad-norm', label: 'max ‖∇‖ (clip norm)', doc: 'global gradient-norm clip' },
  epochs: { kind: 'int', min: 1, max: 100, default: 4, flag: 'epochs', label: 'epochs K (PPO)', doc: 'update epochs per rollout (PPO)' },
  minibatches: { kind: 'int', min: 1, max: 65536, default: 4, flag: 'minibatches', label: 'minibatches M (PPO)', doc: 'minibatches per epoch (PPO)' },
  clip: { kind: 'float', min: 0, max: 10, minExclusive: true, default: 0.2, flag: 'clip', label: 'clip ε (PPO)', doc: 'PPO clip ε' },
  entCoef: { kind: 'float', min: 0, max: 10, default: 0.01, flag: 'ent-coef', label: 'entropy coef β', doc: 'entropy bonus β' },
  vfCoef: { kind: 'float', min: 0, max: 100, default: 0.5, flag: 'vf-coef', label: 'value coef c_v', doc: 'value-loss coefficient' },
  klCoef: { kind: 'float', min: 0, max: 100, default: 0, flag: 'kl-coef', label: 'KL penalty β_KL', doc: 'PPO KL-penalty coefficient β_KL (0 = off)' },
  targetKl: { kind: 'float', min: 0, max: 10, default: 0, flag: 'target-kl', label: 'target KL (early stop)', doc: 'PPO early-stop KL (0 = off)' },
  normAdv: { kind: 'bool', default: true, flag: 'norm-adv', label: 'normalise Â', doc: 'normalise advantages per minibatch (PPO)' },
  hidden: { kind: 'intList', minLength: 1, maxLength: 4, min: 1, max: 1024, default: [64, 64], flag: 'hidden', label: 'hidden widths', doc: 'hidden layer widths' },
  activation: { kind: 'enum', values: ACTIVATIONS, default: 'tanh', flag: 'activation', label: 'activation', doc: 'hidden activation' },
  baselineDecay: { kind: 'float', min: 0, max: 1, maxExclusive: true, default: 0.9, flag: 'baseline-decay', label: 'baseline decay (EMA)', doc: 'running-mean baseline decay' },
  varianceGroups: { kind: 'int', min: 2, max: 4096, default: 8, flag: 'groups', label: 'variance groups G', doc: 'env groups for gradient variance' },
  maxFaults: { kind: 'int', min: 1, max: 1000, default: 3, flag: 'max-faults', label: 'max non-finite updates', doc: 'stop after this many consecutive non-finite updates (each is rolled back)' },
  varianceEvery: { kind: 'int', min: 0, max: 1_000_000, default: 0, flag: 'variance-every', label: 'variance every N updates', doc: 'measure gradient variance every N updates (0 = off)' },
} as const satisfies Record<string, Field>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

type ValueOf<F> = F extends { kind: 'int' | 'float' }
  ? number
  : F extends { kind: 'bool' }
    ? boolean
    : F extends { kind: 'intList' }
      ? number[]
      : F extends { values: readonly (infer V)[] }
        ? V
        : never;

/** A complete, validated configuration. */
export type Config = { -readonly [K in FieldName]: ValueOf<(typeof FIELDS)[K]> };

/** The allowed range of a field, as printed in error messages and form hints. */
export function allowedText(name: FieldName, label: string = name): string {
  const f: Field = FIELDS[name];
  switch (f.kind) {
    case 'enum':
      return `one of ${f.values.join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'intList':
      return `${f.minLength}–${f.maxLength} comma-separated integers, each ${f.min}–${f.max}`;
    case 'int':
    case 'float': {
      const lo = f.minExclusive ? `${f.min} <` : `${f.min} ≤`;
      const hi = f.maxExclusive ? `< ${f.max}` : `≤ ${f.max}`;
      return `${f.kind === 'int' ? 'an integer' : 'a number'} ${lo} ${label} ${hi}`;
    }
  }
}

function zodFor(f: Field): z.ZodType {
  switch (f.kind) {
    case 'enum':
      return z.enum(f.values as [string, ...string[]]);
    case 'bool':
      return z.boolean();
    case 'intList':
      return z.array(z.number().int().min(f.min).max(f.max)).min(f.minLength).max(f.maxLength);
    case 'int':
    case 'float': {
      let s = z.number().refine(Number.isFinite);
      if (f.kind === 'int') s = s.refine(Number.isInteger);
      return s.refine((v) => (f.minExclusive ? v > f.min : v >= f.min) && (f.maxExclusive ? v < f.max : v <= f.max));
    }
  }
}

/** The zod schema generated from `FIELDS`: unknown keys are rejected. */
export const configSchema = z.strictObject(
  Object.fromEntries(FIELD_NAMES.map((k) => [k, zodFor(FIELDS[k])])) as Record<FieldName, z.ZodType>,
);

export function defaultConfig(): Config {
  const c: Record<string, unknown> = {};
  for (const k of FIELD_NAMES) {
    const d = FIELDS[k].default;
    c[k] = Array.isArray(d) ? [...d] : d;
  }
  return c as Config;
}

/**
 * Validate a partial configuration (from JSON, a checkpoint, the form) over the defaults.
 * Throws `ConfigError` naming the first bad field.
 */
export function validateConfig(partial: Record<string, unknown>): Config {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new ConfigError('config', partial, 'an object of config fields');
  }
  for (const k of Object.keys(partial)) {
    if (!(k in FIELDS)) throw new ConfigError(k, partial[k], `a known field (${FIELD_NAMES.join(', ')})`, `unknown field ${formatValue(k)} (known fields: ${FIELD_NAMES.join(', ')})`);
  }
  const merged = { ...defaultConfig(), ...partial };
  const r = configSchema.safeParse(merged);
  if (!r.success) {
    const name = r.error.issues[0].path[0] as FieldName;
    throw new ConfigError(name, (merged as Record<string, unknown>)[name], allowedText(name));
  }
  const c = r.data as Config;
  checkCrossField(c);
  return c;
}

/** Constraints between fields. */
function checkCrossField(c: Config): void {
  const batch = c.numEnvs * c.numSteps;
  if (c.minibatches > batch) {
    throw new ConfigError('minibatches', c.minibatches, `an integer 1 ≤ minibatches ≤ envs × num-steps = ${batch}`);
  }
}

/** Parse one field from text (CLI flag, URL query, form input). */
export function parseField(name: FieldName, text: string): unknown {
  const f: Field = FIELDS[name];
  const t = text.trim();
  const bad = (): never => {
    throw new ConfigError(name, text, allowedText(name));
  };
  switch (f.kind) {
    case 'enum':
      return t;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(t)) return true;
      if (/^(false|0|no|off)$/i.test(t)) return false;
      return bad();
    case 'intList': {
      if (t === '') return bad();
      const parts = t.split(',').map((p) => p.trim());
      if (parts.some((p) => !/^[+-]?\d+$/.test(p))) return bad();
      return parts.map(Number);
    }
    case 'int':
    case 'float': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) && !/^[+-]?(Infinity|NaN)$/.test(t)) return bad();
      const v = Number(t);
      return v;
    }
  }
}

/**
 * Parse string-valued settings (CLI flags, URL query) keyed by config name. Unknown keys and bad
 * values throw `ConfigError`. The result is a complete, validated config.
 */
export function configFromStrings(values: Record<string, string>): Config {
  const partial: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (!(k in FIELDS)) throw new ConfigError(k, v, 'a known field', `unknown field ${formatValue(k)} (known fields: ${FIELD_NAMES.join(', ')})`);
    partial[k] = parseField(k as FieldName, v);
  }
  return validateConfig(partial);
}

/** Number of updates a config asks for: ⌈totalSteps / (numEnvs · numSteps)⌉ (at least 1). */
export function numUpdatesOf(c: Pick<Config, 'totalSteps' | 'numEnvs' | 'numSteps'>): number {
  return Math.max(1, Math.ceil(c.totalSteps / (c.numEnvs * c.numSteps)));
}
