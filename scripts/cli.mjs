#!/usr/bin/env node
// `npm run cli -- <args>`: run the `policygrad` CLI, building it first only when its inputs changed
// since the last build made here (scripts/cli-build.mjs).
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './cli-build.mjs';

if (ensureBuilt(fileURLToPath(new URL('..', import.meta.url))) === 'failed') {
  process.stderr.write('policygrad: building the CLI failed\n');
  process.exit(1);
}
// the CLI reads process.argv as `node <script> <args…>`, the same shape as here
await import(new URL('../bin/policygrad.mjs', import.meta.url).href);
