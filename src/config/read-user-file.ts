// Every file parity reads because a user named it (the config, fingerprints for `parity diff`,
// shard parts for `parity load merge`, files a config refers to) is read here: it must be a
// regular file under a size cap, so a FIFO, /dev/zero or a folder is one line and exit 2 at
// once, never a hang that ignores Ctrl-C or an out-of-memory abort.
//
// How: open with O_NONBLOCK (opening a FIFO for reading otherwise waits for a writer, inside a
// libuv thread that SIGINT cannot interrupt), fstat the descriptor (not the path, which could be
// swapped in between), refuse anything but a regular file, then read at most maxBytes + 1 bytes
// (a file that grows while read, or one that reports size 0 like /proc's, is still bounded).
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** The default cap: far above any config, fingerprint or shard part parity writes. */
const USER_FILE_MAX_BYTES = 10 * 1024 * 1024;

export interface UserFileOptions {
  /** Names the setting in errors: "config file", "fingerprint", "journeys.0.steps.1.request.form.csv.path". */
  what: string;
  /** Refuse a larger file (default USER_FILE_MAX_BYTES, 10 MB). */
  maxBytes?: number;
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const CHUNK = 64 * 1024;

const WHY: Record<string, string> = {
  ENOENT: 'file not found',
  ELOOP: 'a loop of symbolic links (too many levels), not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENAMETOOLONG: 'the path is too long',
};

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'it is a folder, not a file';
  if (st.isFIFO()) return 'it is a named pipe (FIFO), not a regular file';
  if (st.isCharacterDevice()) return 'it is a character device, not a regular file';
  if (st.isBlockDevice()) return 'it is a block device, not a regular file';
  if (st.isSocket()) return 'it is a socket, not a regular file';
  return 'not a regular file';
}

const mb = (n: number) => (n >= 100 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MB` : `${n} bytes`);

const refuse = (o: UserFileOptions, path: string, why: string) => new UsageError(`${o.what} ${path}: ${why}`);

function openError(o: UserFileOptions, path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return refuse(o, path, WHY[code] ?? `cannot be read (${code || (err as Error).message})`);
}

/** The checks on the open descriptor's own stat: a regular file, not above the cap. */
function checkStat(o: UserFileOptions, path: string, st: Stats, max: number): void {
  if (!st.isFile()) throw refuse(o, path, kindOf(st));
  if (st.size > max) throw refuse(o, path, `larger than ${mb(max)} (${mb(st.size)}); not read`);
}

function tooLarge(o: UserFileOptions, path: string, max: number): UsageError {
  return refuse(o, path, `larger than ${mb(max)}; not read`);
}

/**
 * Read a file the user named: a Buffer of its bytes, or a UsageError (exit 2) that is one line
 * "<what> <path>: <why>" (not found, a folder, a FIFO, a device, a symlink loop, over the cap).
 * Asynchronous: the event loop (and so SIGINT) keeps running while it reads.
 */
export async function readUserFile(path: string, opts: UserFileOptions): Promise<Buffer> {
  const max = opts.maxBytes ?? USER_FILE_MAX_BYTES;
  const fh = await open(path, FLAGS).catch((err: unknown) => {
    throw openError(opts, path, err);
  });
  try {
    checkStat(opts, path, await fh.stat(), max);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(CHUNK), 0, CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > max) throw tooLarge(opts, path, max);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    throw err instanceof UsageError ? err : openError(opts, path, err);
  } finally {
    await fh.close();
  }
}

/**
 * The same checks and cap, synchronously, for callers that must stay synchronous (the config
 * loader, used inside each vitest worker). The O_NONBLOCK open and the stat come first, so a
 * FIFO or device never reaches a blocking read; a regular file of at most the cap is then read.
 */
export function readUserFileSync(path: string, opts: UserFileOptions): Buffer {
  const max = opts.maxBytes ?? USER_FILE_MAX_BYTES;
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    throw openError(opts, path, err);
  }
  try {
    checkStat(opts, path, fstatSync(fd), max);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(CHUNK);
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      total += n;
      if (total > max) throw tooLarge(opts, path, max);
      chunks.push(buffer.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    throw err instanceof UsageError ? err : openError(opts, path, err);
  } finally {
    closeSync(fd);
  }
}
