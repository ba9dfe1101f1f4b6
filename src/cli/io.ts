/**
 * Output for the CLI: atomic file writes (write a temporary file, then rename) so a crash or Ctrl-C
 * never leaves half a file, and a quiet exit when the reader of stdout or stderr goes away.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CheckpointError } from '../core/errors';

export function writeAtomic(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function readCheckpointFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(code === 'ENOENT' ? `checkpoint file not found: ${path}` : `cannot read checkpoint ${path}: ${code ?? String(e)}`);
  }
}

/**
 * A closed output pipe (`policygrad train --json | head -1`) ends the program quietly with exit code 0,
 * as SIGPIPE ends other command-line tools, instead of an unhandled EPIPE error and its stack trace.
 * Other stream errors are rethrown unchanged.
 */
export function exitQuietlyOnClosedPipe(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(0);
      throw e;
    });
  }
}
