// When `npm run cli` must rebuild the CLI bundle (dist/cli/main.js): only when its inputs changed.
//
// The inputs are every file under src/ and shaders/ plus the build's config files; their paths and
// contents are hashed, and the hash of the last build made through `ensureBuilt` is kept next to the
// bundle in dist/cli/.inputs-hash. A build through `npm run build:cli` empties dist/cli (Vite's
// emptyOutDir), stamp included, so after any other build the next call rebuilds once rather than
// trust a stamp that may not describe the bundle.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const INPUT_DIRS = ['src', 'shaders'];
export const INPUT_FILES = ['vite.cli.config.ts', 'tsconfig.json', 'package.json', 'package-lock.json'];

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? filesUnder(p) : d.isFile() ? [p] : [];
  });
}

/** SHA-256 over the sorted relative paths and contents of the CLI's inputs under `root`. */
export function inputsHash(root) {
  const files = [
    ...INPUT_DIRS.flatMap((d) => filesUnder(join(root, d))),
    ...INPUT_FILES.map((f) => join(root, f)).filter((f) => existsSync(f)),
  ];
  const h = createHash('sha256');
  for (const f of files.map((p) => relative(root, p).split('\\').join('/')).sort()) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

const entryOf = (root) => join(root, 'dist', 'cli', 'main.js');
const stampOf = (root) => join(root, 'dist', 'cli', '.inputs-hash');

/** `npm run -s build:cli` in `root`; true when it succeeded. */
export function buildCli(root) {
  const r = spawnSync('npm', ['run', '-s', 'build:cli'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return r.status === 0;
}

/**
 * Build the CLI unless the bundle exists and was built here from inputs with the current hash.
 * Returns 'fresh' (nothing to do), 'built', or 'failed'.
 */
export function ensureBuilt(root, build = buildCli) {
  const before = inputsHash(root);
  const stamp = stampOf(root);
  if (existsSync(entryOf(root)) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === before) return 'fresh';
  if (!build(root) || !existsSync(entryOf(root))) return 'failed';
  // record the inputs only if they did not change while the build read them
  if (inputsHash(root) === before) {
    const tmp = `${stamp}.${process.pid}.tmp`;
    writeFileSync(tmp, `${before}\n`);
    renameSync(tmp, stamp);
  }
  return 'built';
}
