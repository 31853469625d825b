// One `lab up` at a time per lab folder: a lock file holding the starter's pid, taken with
// O_EXCL before the starter even looks at the folder's state (a second starter that read a
// half-written state would take it for a stale lab and stop the first one's processes). A
// second starter is refused with one line naming the holder; a lock whose holder is gone
// (killed) is stale and taken over, under a second exclusive file so that two processes
// breaking the same stale lock never both end up holding it.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CannotRunError } from '../errors.js';
import { sleep } from '../util.js';
import { isAlive } from '../process/alive.js';

const lockFile = (dir: string) => join(dir, 'lock');

function holderOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Create `file` holding our pid, exclusively; false when it exists. */
function create(file: string): boolean {
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

/**
 * Remove `file` if the pid in it is `stale` (dead), holding `file.break` meanwhile: only one
 * process at a time decides, and it re-reads the lock under that guard, so a fresh lock
 * written by a faster starter in between is never removed.
 */
function breakStale(file: string, stale: number | undefined): void {
  const guard = `${file}.break`;
  if (!create(guard)) {
    // Another process is breaking it; its guard is stale only if that process died there.
    const breaker = holderOf(guard);
    if (breaker !== undefined && !isAlive(breaker)) rmSync(guard, { force: true });
    return;
  }
  try {
    if (holderOf(file) === stale) rmSync(file, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

/** The live pid holding the lab folder's lock (not this process), if any. */
export function lockHolder(dir: string): number | undefined {
  const pid = holderOf(lockFile(dir));
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/** Take the lab folder's lock or throw naming its holder; returns the release function (idempotent). */
export async function lockLab(dir: string): Promise<() => void> {
  const file = lockFile(dir);
  for (let attempt = 0; attempt < 20; attempt++) {
    if (create(file)) {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (holderOf(file) === process.pid) rmSync(file, { force: true });
      };
    }
    const holder = holderOf(file);
    if (holder !== undefined && holder !== process.pid && isAlive(holder))
      throw new CannotRunError(
        `lab up: another parity (pid ${holder}) is starting the lab in ${dir}; wait for it, or run "parity lab down"`,
      );
    // Stale (its holder is gone), or just created and not yet written (holder unreadable):
    // an empty file is given a moment before it counts as torn.
    if (holder === undefined) await sleep(25);
    if (holderOf(file) === holder) breakStale(file, holder);
  }
  throw new CannotRunError(`lab up: could not take the lock ${file}`);
}
