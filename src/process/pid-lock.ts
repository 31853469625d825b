// A lock file holding its holder's pid, taken with O_EXCL. A lock whose holder is gone
// (killed) is stale and taken over, under a second exclusive file so that two processes
// breaking the same stale lock never both end up holding it. Used for the lab folder (one
// `lab up` at a time) and the failover drill (one drill at a time per lab or load balancer).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sleep } from '../util.js';
import { isAlive } from './alive.js';

export function holderOf(file: string): number | undefined {
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

export type LockOutcome =
  /** Taken: the release function (idempotent). */
  | { release: () => void }
  /** Held by this live process (not us). */
  | { holder: number }
  /** Neither, after every attempt (a lock file that keeps changing). */
  | { failed: true };

/** Take the lock `file` (its folder must exist). */
export async function takeLock(file: string): Promise<LockOutcome> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (create(file)) {
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          if (holderOf(file) === process.pid) rmSync(file, { force: true });
        },
      };
    }
    const holder = holderOf(file);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) return { holder };
    // Stale (its holder is gone), or just created and not yet written (holder unreadable):
    // an empty file is given a moment before it counts as torn.
    if (holder === undefined) await sleep(25);
    if (holderOf(file) === holder) breakStale(file, holder);
  }
  return { failed: true };
}
