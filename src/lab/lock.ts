// One `lab up` at a time per lab folder: a lock file holding the starter's pid
// (src/process/pid-lock.ts), taken before the starter even looks at the folder's state (a
// second starter that read a half-written state would take it for a stale lab and stop the
// first one's processes). A second starter is refused with one line naming the holder.
import { join } from 'node:path';
import { CannotRunError } from '../errors.js';
import { isAlive } from '../process/alive.js';
import { holderOf, takeLock } from '../process/pid-lock.js';

const lockFile = (dir: string) => join(dir, 'lock');

/** The live pid holding the lab folder's lock (not this process), if any. */
export function lockHolder(dir: string): number | undefined {
  const pid = holderOf(lockFile(dir));
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/** Take the lab folder's lock or throw naming its holder; returns the release function (idempotent). */
export async function lockLab(dir: string): Promise<() => void> {
  const file = lockFile(dir);
  const got = await takeLock(file);
  if ('release' in got) return got.release;
  if ('holder' in got)
    throw new CannotRunError(
      `lab up: another parity (pid ${got.holder}) is starting the lab in ${dir}; wait for it, or run "parity lab down"`,
    );
  throw new CannotRunError(`lab up: could not take the lock ${file}`);
}
