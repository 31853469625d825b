// An output location (--out of a run, a fingerprint, a shard part) is checked, and its folders
// made, before the command sends its first request: a run whose results cannot be written is
// refused at once (exit 2), not found out at its end with the results lost.
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

const WHY: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on the device',
};

function refuse(flag: string, path: string, err: unknown): never {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  throw new UsageError(`${flag} ${path}: cannot be written (${WHY[code] ?? (err as Error).message})`);
}

/** A probe file created and removed in `dir`: the folder takes new files. */
function probe(dir: string): void {
  const file = join(dir, `.parity-write-check-${process.pid}`);
  closeSync(openSync(file, 'wx'));
  rmSync(file, { force: true });
}

/**
 * Make the folder `dir`. A recursive mkdir on a read-only file system reports ENOENT (the
 * folder it could not make is missing): the real cause is found at the nearest existing
 * ancestor (a file there, or a probe that fails there).
 */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let up = dirname(dir);
    while (!existsSync(up) && dirname(up) !== up) up = dirname(up);
    if (!statSync(up).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    probe(up);
    throw err;
  }
}

/** The folder `dir` exists (made if missing) and takes new files; else a UsageError naming `flag`. */
export function ensureWritableDir(dir: string, flag: string): void {
  try {
    makeDir(dir);
    probe(dir);
  } catch (err) {
    refuse(flag, dir, err);
  }
}

/** The file `path` can be written: its parent folder made if missing, the file not a folder nor read-only. */
export function ensureWritableFile(path: string, flag: string): void {
  try {
    makeDir(dirname(path));
    let exists = true;
    try {
      if (statSync(path).isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      exists = false;
    }
    // An existing file is opened for writing without being changed; a new one is probed beside it.
    if (exists) closeSync(openSync(path, 'r+'));
    else probe(dirname(path));
  } catch (err) {
    refuse(flag, path, err);
  }
}
