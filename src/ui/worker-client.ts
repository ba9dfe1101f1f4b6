/** The page's side of the worker protocol: one Worker per page that needs one, typed send / listen. */
import type { FromWorker, ToWorker } from './protocol';

export class WorkerClient {
  private worker: Worker;
  private listeners = new Set<(m: FromWorker) => void>();
  private nextId = 1;

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'policygrad-trainer' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      for (const l of this.listeners) l(e.data);
    };
    this.worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      for (const l of this.listeners) l({ type: 'error', message: `training worker failed: ${e.message || 'unknown error'}` });
    };
  }

  /** A fresh id for a request or a run. */
  id(): number {
    return this.nextId++;
  }

  send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  /** Listen to every message; returns the unsubscribe function. */
  on(l: (m: FromWorker) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  terminate(): void {
    this.worker.terminate();
    this.listeners.clear();
  }
}

/** Save text or bytes as a file download (name shown by the browser; content never rendered as HTML). */
export function download(name: string, text: string | Uint8Array, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
