/** What a summary records so a run can be repeated: versions, backend, adapter, the full config. */
import type { Trainer } from '../train/trainer';

declare const __POLICYGRAD_VERSION__: string;

export function runInfo(trainer: Trainer): Record<string, unknown> {
  return {
    versions: {
      policygrad: typeof __POLICYGRAD_VERSION__ === 'string' ? __POLICYGRAD_VERSION__ : 'dev',
      node: process.version,
    },
    backend: trainer.engine.backend,
    adapter: trainer.engine.where,
    config: trainer.config,
  };
}
