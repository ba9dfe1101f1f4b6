/**
 * Checkpoints kept in the browser's IndexedDB, so a closed tab or a crashed worker loses nothing:
 * the worker writes each run's latest checkpoint (one entry per env + algorithm) every few updates
 * and when the run ends or pauses; the trainer page lists them and restores one like a loaded file.
 * IndexedDB exists in pages and workers alike; where it does not (or is blocked) every call fails
 * with a plain Error the caller reports.
 */

export interface SavedCheckpoint {
  /** `${env}-${algo}-s${seed}`: the latest checkpoint of that env, algorithm and seed (the seeds of one
   * estimator train side by side; keyed by the pair alone they overwrote each other) */
  key: string;
  /** file name it downloads as */
  name: string;
  env: string;
  algo: string;
  /** the run's seed (absent in entries written before seeds were keyed) */
  seed?: number;
  update: number;
  /** Date.now() when written */
  savedAt: number;
  /** the checkpoint file's text (serializeCheckpoint) */
  text: string;
}

export type SavedSummary = Omit<SavedCheckpoint, 'text'>;

const DB_NAME = 'policygrad';
const STORE = 'checkpoints';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('IndexedDB is not available here'));
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`IndexedDB: ${req.error?.message ?? 'cannot open'}`));
    req.onblocked = () => reject(new Error('IndexedDB: blocked by another tab'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction failed'}`));
      tx.onabort = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction aborted (storage full?)'}`));
    });
  } finally {
    db.close();
  }
}

/** Write (replace) the latest checkpoint of its env + algorithm. */
export async function saveCheckpoint(entry: Omit<SavedCheckpoint, 'key' | 'savedAt'>): Promise<void> {
  const row: SavedCheckpoint = { ...entry, key: savedKey(entry.env, entry.algo, entry.seed ?? 0), savedAt: Date.now() };
  await withStore('readwrite', (s) => s.put(row));
}

/** The IndexedDB key of a run's autosaved checkpoint. */
export function savedKey(env: string, algo: string, seed: number): string {
  return `${env}-${algo}-s${seed}`;
}

/** Every saved checkpoint without its text, newest first. */
export async function listSaved(): Promise<SavedSummary[]> {
  const rows = await withStore<SavedCheckpoint[]>('readonly', (s) => s.getAll());
  return rows.map(({ text: _text, ...rest }) => rest).sort((a, b) => b.savedAt - a.savedAt);
}

export async function loadSaved(key: string): Promise<SavedCheckpoint | undefined> {
  return withStore<SavedCheckpoint | undefined>('readonly', (s) => s.get(key) as IDBRequest<SavedCheckpoint | undefined>);
}
