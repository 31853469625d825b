// One `lab up` at a time per lab folder: a lock file holding the starter's pid, taken with
// O_EXCL. A second starter is refused with one line naming the holder; a lock whose holder is
// gone (killed) is stale and taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CannotRunError } from '../errors.js';

const lockFile = (dir: string) => join(dir, 'lock');

function holderOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lab folder's lock or throw naming its holder; returns the release function (idempotent). */
export function lockLab(dir: string): () => void {
  const file = lockFile(dir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (holderOf(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = holderOf(file);
      if (holder !== undefined && holder !== process.pid && alive(holder))
        throw new CannotRunError(
          `lab up: another parity (pid ${holder}) is starting the lab in ${dir}; wait for it, or run "parity lab down"`,
        );
      // Stale (its holder is gone) or torn: remove it and try again.
      rmSync(file, { force: true });
    }
  }
  throw new CannotRunError(`lab up: could not take the lock ${file}`);
}
