/** What a summary records so a run can be repeated: versions, backend, adapter, the full config. */
import type { Trainer } from '../train/trainer';

declare const __POLICYGRAD_VERSION__: string;

/** The program versions a result was made with (also `bench --out`'s bench.json). */
export function versions(): Record<string, string> {
  return {
    policygrad: typeof __POLICYGRAD_VERSION__ === 'string' ? __POLICYGRAD_VERSION__ : 'dev',
    node: process.version,
  };
}

export function runInfo(trainer: Trainer): Record<string, unknown> {
  return {
    versions: versions(),
    backend: trainer.engine.backend,
    adapter: trainer.engine.where,
    config: trainer.config,
  };
}
