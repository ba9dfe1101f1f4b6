/**
 * Checkpoint files: parameters, optimiser state, env and RNG counters, step, config and a format
 * version, as one JSON document with base64 typed arrays (portable between Node and the browser,
 * bit-exact for float32). Reading one validates everything and throws `CheckpointError` with one
 * clear line for an empty, truncated, corrupt or foreign file, or one that does not fit the run.
 */
import { validateConfig, type Config } from '../core/config';
import { CheckpointError, ConfigError } from '../core/errors';
import type { EngineSnapshot, HyperChange } from '../core/types';
import { validateLiveHyper } from '../backends/core';

export const CHECKPOINT_FORMAT = 'policygrad-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** A checkpoint in memory. */
export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  backend: string;
  config: Config;
  paramCount: number;
  snapshot: EngineSnapshot;
  /**
   * The live hyperparameter changes of the run so far, oldest first (`config` already holds their
   * values); optional in the file: checkpoints written before live changes existed have none.
   */
  changes?: HyperChange[];
}

type Typed = Float32Array | Float64Array | Uint32Array;
const DTYPES = { f32: Float32Array, f64: Float64Array, u32: Uint32Array } as const;
type Dtype = keyof typeof DTYPES;
interface EncodedArray {
  dtype: Dtype;
  length: number;
  data: string;
}

function dtypeOf(a: Typed): Dtype {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  return 'u32';
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function encode(a: Typed): EncodedArray {
  return { dtype: dtypeOf(a), length: a.length, data: bytesToBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) };
}

function decode(e: unknown, what: string): Typed {
  const bad = (why: string): never => {
    throw new CheckpointError(`checkpoint is corrupt: ${what} ${why}`);
  };
  if (!e || typeof e !== 'object') return bad('is missing');
  const { dtype, length, data } = e as Partial<EncodedArray>;
  if (typeof dtype !== 'string' || !(dtype in DTYPES)) return bad('has an unknown dtype');
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) return bad('has a bad length');
  if (typeof data !== 'string') return bad('has no data');
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(data);
  } catch {
    return bad('is not valid base64');
  }
  const C = DTYPES[dtype as Dtype];
  if (bytes.length !== length * C.BYTES_PER_ELEMENT) return bad(`holds ${bytes.length} bytes, expected ${length * C.BYTES_PER_ELEMENT}`);
  const out = new C(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function makeCheckpoint(config: Config, backend: string, paramCount: number, snapshot: EngineSnapshot, changes: HyperChange[] = []): Checkpoint {
  return { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, createdAt: new Date().toISOString(), backend, config, paramCount, snapshot, changes };
}

/** The `changes` of a checkpoint file (absent: none), each one checked as a live change is. */
function parseChanges(v: unknown): HyperChange[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new CheckpointError('checkpoint is corrupt: changes is not a list');
  return v.map((c: unknown, i) => {
    const { update, values } = (c ?? {}) as Partial<HyperChange>;
    if (typeof update !== 'number' || !Number.isInteger(update) || update < 1) throw new CheckpointError(`checkpoint is corrupt: changes[${i}].update is not an integer ≥ 1`);
    try {
      return { update, values: validateLiveHyper(values) };
    } catch (e) {
      if (e instanceof ConfigError) throw new CheckpointError(`checkpoint is corrupt: changes[${i}]: ${e.message}`);
      throw e;
    }
  });
}

export function serializeCheckpoint(c: Checkpoint): string {
  const s = c.snapshot;
  return JSON.stringify({
    format: c.format,
    version: c.version,
    createdAt: c.createdAt,
    backend: c.backend,
    config: c.config,
    paramCount: c.paramCount,
    update: s.update,
    envSteps: s.envSteps,
    adamT: s.adamT,
    params: encode(s.params),
    adamM: encode(s.adamM),
    adamV: encode(s.adamV),
    state: Object.fromEntries(Object.entries(s.state).map(([k, v]) => [k, encode(v)])),
    scalars: s.scalars,
    changes: c.changes ?? [],
  });
}

/** Parse and validate a checkpoint file's text. */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || text.trim() === '') throw new CheckpointError('checkpoint is empty');
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch {
    throw new CheckpointError('checkpoint is not valid JSON (truncated or corrupt file?)');
  }
  if (!o || typeof o !== 'object' || o.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`not a policygrad checkpoint (expected "format": "${CHECKPOINT_FORMAT}")`);
  }
  if (o.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`checkpoint format version ${String(o.version)} is not supported (this build reads version ${CHECKPOINT_VERSION})`);
  }
  let config: Config;
  try {
    config = validateConfig(o.config as Record<string, unknown>);
  } catch (e) {
    if (e instanceof ConfigError) throw new CheckpointError(`checkpoint holds an invalid config: ${e.message}`);
    throw e;
  }
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new CheckpointError(`checkpoint is corrupt: ${k} is not a non-negative number`);
    return v;
  };
  const paramCount = num('paramCount');
  const params = decode(o.params, 'params');
  const adamM = decode(o.adamM, 'adamM');
  const adamV = decode(o.adamV, 'adamV');
  for (const [name, a] of [['params', params], ['adamM', adamM], ['adamV', adamV]] as const) {
    if (!(a instanceof Float32Array) || a.length !== paramCount) {
      throw new CheckpointError(`checkpoint is corrupt: ${name} must be ${paramCount} float32 values`);
    }
  }
  const stateIn = o.state;
  if (!stateIn || typeof stateIn !== 'object') throw new CheckpointError('checkpoint is corrupt: state is missing');
  const state: Record<string, Typed> = {};
  for (const [k, v] of Object.entries(stateIn)) state[k] = decode(v, `state.${k}`);
  const scalarsIn = o.scalars;
  if (!scalarsIn || typeof scalarsIn !== 'object') throw new CheckpointError('checkpoint is corrupt: scalars are missing');
  const scalars: Record<string, number> = {};
  for (const [k, v] of Object.entries(scalarsIn)) {
    if (typeof v !== 'number') throw new CheckpointError(`checkpoint is corrupt: scalar ${k} is not a number`);
    scalars[k] = v;
  }
  const changes = parseChanges(o.changes);
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt: String(o.createdAt ?? ''),
    backend: String(o.backend ?? ''),
    config,
    paramCount,
    snapshot: {
      update: num('update'),
      envSteps: num('envSteps'),
      adamT: num('adamT'),
      params: params as Float32Array,
      adamM: adamM as Float32Array,
      adamV: adamV as Float32Array,
      state,
      scalars,
    },
    changes,
  };
}

/** The config fields that fix the network's shape, the environment and the per-env state. */
const SHAPE_FIELDS = ['env', 'hidden', 'activation', 'numEnvs'] as const;

/**
 * Check that a checkpoint fits a run: same env and network shape (and so the same parameter count).
 * Throws `CheckpointError` naming the field that differs.
 */
export function checkCompatible(c: Checkpoint, config: Config, paramCount: number): void {
  for (const f of SHAPE_FIELDS) {
    if (JSON.stringify(c.config[f]) !== JSON.stringify(config[f])) {
      throw new CheckpointError(`checkpoint does not fit this run: its ${f} is ${JSON.stringify(c.config[f])}, the run's is ${JSON.stringify(config[f])}`);
    }
  }
  if (c.paramCount !== paramCount) {
    throw new CheckpointError(`checkpoint does not fit this run: it has ${c.paramCount} parameters, the network has ${paramCount}`);
  }
}
