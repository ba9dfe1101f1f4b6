#!/usr/bin/env node
// The `policygrad` command: runs the CLI that `npm run build:cli` bundles into dist/cli.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('policygrad: the CLI is not built yet; run `npm run build:cli` first\n');
  process.exit(2);
}
await import(entry);
