// The one path every output of parity takes: stdout and stderr (guarded once at CLI start)
// and every file (reports, history, fingerprints, shard parts, the lab's files) go through
// scrubText, so no secret reaches any of them whichever module produced the text.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { scrubText } from '../secrets.js';
import { escapeControls } from '../text.js';

let guarded = false;

/**
 * Scrub everything written to process.stdout and process.stderr from now on (idempotent), and
 * show control characters as escapes (src/text.ts: escapeControls). A
 * reader that went away (`parity lab status | head -1`) ends that stream's output, not the
 * command: it finishes (and stops what it started) with nobody reading, rather than die on an
 * unhandled EPIPE with a stack trace.
 */
export function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    let gone = false;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      gone = true;
    });
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      gone ||
      write(
        typeof chunk === 'string' || Buffer.isBuffer(chunk)
          ? escapeControls(scrubText(chunk.toString()))
          : chunk,
        ...rest,
      )) as typeof stream.write;
  }
}

/** Write a file (parent folders created) with its secrets scrubbed; atomically when `atomic`. */
export function writeOutputSync(path: string, text: string, opts: { atomic?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  if (!opts.atomic) return writeFileSync(path, scrubText(text));
  // A concurrent reader never sees a torn file.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, scrubText(text));
  renameSync(tmp, path);
}

export async function writeOutput(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, scrubText(text));
}

export async function appendOutput(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, scrubText(text));
}
