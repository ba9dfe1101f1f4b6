/**
 * `policygrad export`: a checkpoint's trained policy as DIR/policy.safetensors plus DIR/policy.json
 * (src/train/export.ts). Reads the checkpoint only; each file is written atomically, so an export that
 * fails half-way leaves no half file and nothing already trained is touched.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../core/errors';
import { parseCheckpoint } from '../train/checkpoint';
import { exportPolicy } from '../train/export';
import { readCheckpointFile, writeAtomic } from './io';

export interface ExportFlags {
  checkpoint?: string;
  out?: string;
  json?: boolean;
}

/** A file-system error code in words, for one-line messages. */
function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EEXIST: 'a file of that name is in the way',
    ENOTDIR: 'a part of the path is a file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
  };
  return code ? `${code}${words[code] ? ` (${words[code]})` : ''}` : String(e);
}

/**
 * Create `dir` and its missing parents one level at a time: Node's `mkdirSync(…, { recursive: true })`
 * never returns for a path under /proc (it retries the ENOENT forever), so it is not used here.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d);
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'EEXIST' });
}

export async function exportCommand(flags: ExportFlags): Promise<number> {
  const dir = flags.out;
  if (dir === undefined || dir.trim() === '') throw new UserError(`invalid --out: ${JSON.stringify(dir ?? '')} (allowed: a directory path; it is created if missing)`);
  if (flags.checkpoint === undefined || flags.checkpoint.trim() === '') throw new UserError(`invalid --checkpoint: ${JSON.stringify(flags.checkpoint ?? '')} (allowed: a checkpoint.json file written by policygrad train)`);
  const files = exportPolicy(parseCheckpoint(readCheckpointFile(flags.checkpoint)));
  try {
    makeDirs(dir);
  } catch (e) {
    throw new UserError(`cannot create --out directory ${dir}: ${why(e)}`);
  }
  for (const f of files) {
    const path = join(dir, f.name);
    try {
      writeAtomic(path, f.bytes);
    } catch (e) {
      throw new UserError(`cannot write ${path}: ${why(e)}`);
    }
  }
  const summary = { event: 'export', out: dir, files: files.map((f) => ({ name: f.name, bytes: f.bytes.length })) };
  if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stdout.write(`exported ${files.map((f) => `${join(dir, f.name)} (${f.bytes.length} bytes)`).join(' and ')}\n`);
  return 0;
}
