/**
 * Kernel choice by measurement, not by adapter name: at engine creation each candidate (a rollout
 * kernel variant, a learner kernel set, …) runs a few times on a small problem of the run's own shapes,
 * and the fastest is kept. The choice is cached per adapter and problem key — in a JSON file in Node
 * (`${POLICYGRAD_DRIVER_DIR or ~/.cache/policygrad}/tune.json`) and in IndexedDB in the browser — so a
 * second run on the same adapter and shapes starts at once; a cached choice that is no longer a
 * candidate is measured again. `tuneMode()` (POLICYGRAD_TUNE in Node): 'on' (default: measure once,
 * cache), 'fresh' (measure every time, no cache) or 'off' (measure nothing: the adapter fallback, for
 * tests that pin their kernels and must not spend seconds timing at every engine creation).
 *
 *   const r = await autotune(`rollout|${adapter.name}|${shapeKey}`, [
 *     { name: 'blocked', time: () => timeIt(...) },
 *     { name: 'lanes', time: () => timeIt(...) },
 *   ]);
 *   r.choice  // 'blocked'; r.times: ms of each candidate (empty when the choice came from the cache)
 */

/** Where choices persist: a string per key. */
export interface TuneStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface TuneCandidate {
  name: string;
  /** milliseconds of one run of the candidate (it does its own warm-up and synchronisation) */
  time: () => Promise<number>;
}

export interface TuneResult {
  key: string;
  choice: string;
  /** median milliseconds per candidate (only those measured this time) */
  times: Record<string, number>;
  /** the choice came from the store, nothing was measured */
  cached: boolean;
}

export type TuneMode = 'on' | 'fresh' | 'off';

/** POLICYGRAD_TUNE (Node): 'on' (default), 'fresh' or 'off'; anything else is an error naming the choices. */
export function tuneMode(env: Record<string, string | undefined> = isNode() ? process.env : {}): TuneMode {
  const v = env.POLICYGRAD_TUNE;
  if (v === undefined || v === '' || v === 'on') return 'on';
  if (v === 'fresh' || v === 'off') return v;
  throw new Error(`POLICYGRAD_TUNE=${v}: expected on, fresh or off`);
}

/**
 * A choice for `key` among `names`: the store's, if it holds one of them; else `measure()`'s, which is
 * then stored. For candidates that time themselves together (interleaved rounds, shared set-up).
 */
export async function cachedChoice(
  key: string,
  names: readonly string[],
  measure: () => Promise<{ choice: string; times: Record<string, number>; store?: boolean }>,
  store: TuneStore | null = defaultTuneStore(),
): Promise<TuneResult> {
  const hit = store ? await store.get(key).catch(() => undefined) : undefined;
  if (hit !== undefined && names.includes(hit)) return { key, choice: hit, times: {}, cached: true };
  const m = await measure();
  if (store && m.store !== false) await store.set(key, m.choice).catch(() => {});
  return { key, choice: m.choice, times: m.times, cached: false };
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median of the candidate's timings over `reps` runs (after one untimed warm-up run). */
export async function medianTime(time: () => Promise<number>, reps: number): Promise<number> {
  await time();
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) xs.push(await time());
  return median(xs);
}

/**
 * The fastest candidate for `key` (pure in its decision: the smallest median; ties go to the first
 * listed). One candidate is returned without measuring. A candidate whose timing throws is skipped
 * (its error is kept in `times` as NaN); if all throw, the first error is rethrown.
 */
export async function autotune(key: string, candidates: TuneCandidate[], opts: { store?: TuneStore | null; reps?: number } = {}): Promise<TuneResult> {
  if (candidates.length === 0) throw new Error(`autotune ${key}: no candidates`);
  if (candidates.length === 1) return { key, choice: candidates[0].name, times: {}, cached: false };
  const store = opts.store === undefined ? defaultTuneStore() : opts.store;
  const names = candidates.map((c) => c.name);
  return cachedChoice(
    key,
    names,
    async () => {
      const times: Record<string, number> = {};
      let firstError: unknown;
      for (const c of candidates) {
        try {
          times[c.name] = await medianTime(c.time, opts.reps ?? 3);
        } catch (e) {
          times[c.name] = NaN;
          firstError ??= e;
        }
      }
      const choice = fastest(times, names);
      if (choice === undefined) throw firstError;
      return { choice, times };
    },
    store,
  );
}

/** The name with the smallest finite time, first listed on ties; undefined when none is finite. */
export function fastest(times: Record<string, number>, order: string[]): string | undefined {
  let best: string | undefined;
  for (const n of order) {
    const t = times[n];
    if (!Number.isFinite(t)) continue;
    if (best === undefined || t < times[best]) best = n;
  }
  return best;
}

/** A store in memory (tests; and where neither a file nor IndexedDB is available). */
export class MemoryTuneStore implements TuneStore {
  readonly map = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.map.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.map.set(key, value);
  }
}

export function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/** policygrad's cache folder in Node (drivers, tune file): POLICYGRAD_DRIVER_DIR, else ~/.cache/policygrad. */
export function cacheDir(env: Record<string, string | undefined> = isNode() ? process.env : {}): string {
  return env.POLICYGRAD_DRIVER_DIR ?? `${env.XDG_CACHE_HOME ?? `${env.HOME ?? '/root'}/.cache`}/policygrad`;
}

/** The tune file of Node runs. */
export function tuneFilePath(env: Record<string, string | undefined> = isNode() ? process.env : {}): string {
  return `${cacheDir(env)}/tune.json`;
}

/** A JSON file of key → choice (Node). Written atomically (temp file + rename); unreadable = empty. */
export class FileTuneStore implements TuneStore {
  constructor(readonly path: string) {}
  private async fs(): Promise<typeof import('node:fs/promises')> {
    const name = 'node:fs/promises';
    return (await import(/* @vite-ignore */ name)) as typeof import('node:fs/promises');
  }
  private async load(): Promise<Record<string, string>> {
    try {
      const o = JSON.parse(await (await this.fs()).readFile(this.path, 'utf8')) as unknown;
      return o && typeof o === 'object' ? (o as Record<string, string>) : {};
    } catch {
      return {};
    }
  }
  async get(key: string): Promise<string | undefined> {
    const v = (await this.load())[key];
    return typeof v === 'string' ? v : undefined;
  }
  async set(key: string, value: string): Promise<void> {
    const fs = await this.fs();
    const all = await this.load();
    all[key] = value;
    const dir = this.path.slice(0, this.path.lastIndexOf('/'));
    await fs.mkdir(dir, { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(all, null, 1));
    await fs.rename(tmp, this.path);
  }
}

/** IndexedDB (browser): one object store 'tune' in database 'policygrad-tune'. */
export class IdbTuneStore implements TuneStore {
  private db?: Promise<IDBDatabase>;
  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const req = indexedDB.open('policygrad-tune', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('tune');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return this.db;
  }
  async get(key: string): Promise<string | undefined> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const req = db.transaction('tune', 'readonly').objectStore('tune').get(key);
      req.onsuccess = () => resolve(typeof req.result === 'string' ? req.result : undefined);
      req.onerror = () => reject(req.error);
    });
  }
  async set(key: string, value: string): Promise<void> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction('tune', 'readwrite');
      tx.objectStore('tune').put(value, key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
}

/** Node: the tune file (none unless POLICYGRAD_TUNE is 'on'); browser/worker: IndexedDB; else none. */
export function defaultTuneStore(): TuneStore | null {
  if (isNode()) return tuneMode() === 'on' ? new FileTuneStore(tuneFilePath()) : null;
  if (typeof indexedDB !== 'undefined') return new IdbTuneStore();
  return null;
}

/** GPU milliseconds of `encode`'s work: submit, wait for the queue, wall time (timestamp-free). */
export async function timeSubmit(device: GPUDevice, encode: (enc: GPUCommandEncoder) => void): Promise<number> {
  const enc = device.createCommandEncoder();
  encode(enc);
  const t0 = performance.now();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}
