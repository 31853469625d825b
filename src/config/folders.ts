// The two folders parity's commands work in besides the reports: the lab's (PARITY_LAB_DIR,
// else .parity/lab here) and the system's temporary folder (TMPDIR, else /tmp), where a
// temporary lab and each run's scratch files go. A bad one is one line naming the setting
// (exit 2), before anything starts, not a raw ENOTDIR/ENOENT from deep inside.
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

const WHY: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  ELOOP: 'a loop of symbolic links',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

const why = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return WHY[code] ?? (code || (err as Error).message);
};

/** A probe file made and removed: the folder takes new files. */
function writable(dir: string): string | undefined {
  const probe = join(dir, `.parity-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
    return undefined;
  } catch (err) {
    return `cannot be written (${why(err)})`;
  }
}

/**
 * What is wrong with `dir` as a folder parity works in, or undefined. `mayCreate`: a missing
 * folder is made later (the lab's), so its nearest existing ancestor must be a writable folder.
 */
export function folderProblem(dir: string, opts: { mayCreate: boolean }): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return 'it is a file, not a folder';
    return writable(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return why(err);
    if (!opts.mayCreate) return 'no such folder';
    const up = dirname(dir);
    return up === dir ? 'no such folder' : folderProblem(up, opts);
  }
}

/** The setting that names the temporary folder, and the folder. */
export function tempFolder(): { setting: string; dir: string } {
  return { setting: process.env.TMPDIR ? 'TMPDIR' : 'the temporary folder', dir: tmpdir() };
}

/** The temporary folder takes new files; else a UsageError naming TMPDIR. */
export function checkTempFolder(): void {
  const { setting, dir } = tempFolder();
  const problem = folderProblem(dir, { mayCreate: false });
  if (problem) throw new UsageError(`${setting} ${dir}: ${problem} (set TMPDIR to a writable folder)`);
}

/** The lab's folder can be made and written; else a UsageError naming PARITY_LAB_DIR. */
export function checkLabFolder(dir: string): void {
  const problem = folderProblem(dir, { mayCreate: true });
  if (!problem) return;
  const setting = process.env.PARITY_LAB_DIR ? 'PARITY_LAB_DIR' : 'the lab folder';
  throw new UsageError(`${setting} ${dir}: ${problem} (set PARITY_LAB_DIR to a writable folder)`);
}
