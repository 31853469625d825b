// The one path every output of parity takes: stdout and stderr (guarded once at CLI start)
// and every file (reports, history, fingerprints, shard parts, the lab's files) go through
// scrubText, so no secret reaches any of them whichever module produced the text.
//
// Every file is written whole or not at all: to a temporary file in the same folder, then
// renamed over the target (a reader, or a full disk, never leaves a torn file). A failure is
// one line naming the file (OutputError).
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { scrubText } from '../secrets.js';
import { escapeControls } from '../text.js';
import { sleep } from '../util.js';

// What an errno means to someone whose disk it is.
const WHY: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EIO: 'input/output error',
  EFBIG: 'file too large',
};

const why = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  return code && WHY[code] ? `${WHY[code]} (${code})` : ((err as Error).message ?? String(err));
};

/** A file (or stream) parity could not write: the message names it and the cause, on one line. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write ${path}: ${why(cause)}`);
  }
}

let guarded = false;

/**
 * Scrub everything written to process.stdout and process.stderr from now on (idempotent), and
 * show control characters as escapes (src/text.ts: escapeControls). A
 * reader that went away (`parity lab status | head -1`) ends that stream's output, not the
 * command: it finishes (and stops what it started) with nobody reading, rather than die on an
 * unhandled EPIPE with a stack trace. Any other write error (stdout on a full disk, or
 * /dev/full: ENOSPC) ends that stream's output too, said once on stderr for stdout; the
 * command's exit code still says what it found.
 */
export function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  const streams = [process.stdout, process.stderr];
  const gone = new Set<NodeJS.WriteStream>();
  for (const stream of streams) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (gone.has(stream)) return;
      gone.add(stream);
      // stdout's failure is said on stderr; stderr's on nothing (stdout may carry --json).
      if (err.code === 'EPIPE' || stream !== process.stdout || gone.has(process.stderr)) return;
      process.stderr.write(`parity: cannot write to stdout: ${why(err)}; its output is dropped\n`);
    });
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      gone.has(stream) ||
      write(
        typeof chunk === 'string' || Buffer.isBuffer(chunk)
          ? escapeControls(scrubText(chunk.toString()))
          : chunk,
        ...rest,
      )) as typeof stream.write;
  }
}

/** A temporary name beside `path` (same folder, so the rename is atomic), unique to this write. */
const tempOf = (path: string) =>
  join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(3).toString('hex')}.tmp`);

/**
 * Write a file whole (parent folders created) with its secrets scrubbed: a temporary file in
 * the same folder, renamed over `path`. On failure the temporary file is removed, `path` is
 * as it was, and an OutputError names `path`. (`opts` is kept for callers that asked for
 * atomic writes before every write was.)
 */
export function writeOutputSync(path: string, text: string, _opts: { atomic?: boolean } = {}): void {
  const tmp = tempOf(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, scrubText(text));
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OutputError(path, err);
  }
}

/** writeOutputSync, without blocking the event loop. */
export async function writeOutput(path: string, text: string): Promise<void> {
  const tmp = tempOf(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, scrubText(text));
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new OutputError(path, err);
  }
}

const LOCK_WAIT_MS = 5000;
// An append holds the lock for milliseconds: one older than this was left by a killed run.
const LOCK_STALE_MS = 10_000;

/**
 * Hold `<path>.lock` (an empty file, created exclusively: on a full disk too, it needs no data
 * block) while `fn` runs: two runs that append to one history file at once must not both read
 * the old file and one lose the other's line. A lock older than 10 s was left by a killed run
 * and is taken over; a fresh one is waited for, at most 5 s, then the write fails naming it.
 */
async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutputError(path, err);
    }
    let age: number;
    try {
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // removed meanwhile: try again
    }
    if (age > LOCK_STALE_MS) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() >= until) throw new OutputError(path, new Error(`${lock} is held by another run`));
    await sleep(50);
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Append text to a file (a history line) atomically: the old content and the new line are
 * written to a temporary file that replaces the old one, under a lock, so a full disk or a
 * crash leaves the file as it was (never a torn last line) and a concurrent appender's line is
 * never lost.
 */
export async function appendOutput(path: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw new OutputError(path, err);
  }
  await withFileLock(path, async () => {
    let old = '';
    try {
      old = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutputError(path, err);
    }
    // A torn last line left by an older parity: ended, so the new line stands on its own.
    if (old && !old.endsWith('\n')) old += '\n';
    await writeOutput(path, old + text);
  });
}
