// How a parity process ends when it is told to (SIGINT, SIGTERM, SIGHUP) or finds itself
// orphaned (its parent, e.g. `npx` cancelled by a CI runner, is gone): every part that
// started something registers how to stop it (onStop); the first signal runs those, bounded,
// prints one line saying what was stopped, and exits 128+signo (130, 143, 129).
import { isAlive } from './alive.js';

const EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

interface Stopper {
  what: string;
  /** A string it returns says what was stopped instead of `what` (e.g. how it ended). */
  stop: () => Promise<void | string> | void | string;
}

const stoppers = new Set<Stopper>();
let stopping: StopSignal | undefined;
let installed = false;

/** True once a stop began: loops and spawns check it, so nothing new starts while stopping. */
export function isStopping(): boolean {
  return stopping !== undefined;
}

/**
 * For the command's error path: while a stop is under way, the error is its consequence (a
 * killed child, an aborted wait), so nothing is printed and the stop's own exit code wins.
 */
export function stopInProgress(): Promise<never> | undefined {
  return stopping ? new Promise<never>(() => {}) : undefined;
}

/** Register how to stop something this process started; returns the unregister function. */
export function onStop(what: string, stop: Stopper['stop']): () => void {
  const s = { what, stop };
  stoppers.add(s);
  return () => void stoppers.delete(s);
}

/** Stop everything registered (newest first, each bounded), then exit with the signal's code. */
async function stopAndExit(signal: StopSignal, why: string, boundMs = 20_000): Promise<never> {
  stopping = signal;
  // Held until the exit below: the command's own flow may end first (its work was cut off),
  // and the process must not exit with that flow's code before everything here is stopped.
  setInterval(() => {}, 60_000);
  const all = [...stoppers].reverse();
  stoppers.clear();
  const stopped: string[] = [];
  for (const s of all) {
    const said = await Promise.race([
      Promise.resolve()
        .then(s.stop)
        .then(
          (v) => (typeof v === 'string' ? v : s.what),
          () => undefined,
        ),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), boundMs).unref()),
    ]);
    stopped.push(said ?? `${s.what} (not confirmed)`);
  }
  process.stderr.write(
    `parity: ${why}: stopped ${stopped.length ? stopped.join(', ') : 'nothing was running'}\n`,
  );
  process.exit(EXIT[signal]);
}

/**
 * Install the handlers (once, at CLI start). A second signal while stopping exits at once.
 * The parent is polled: when it is gone (our ppid changed, or its pid no longer exists), the
 * process stops as under SIGTERM.
 */
export function installLifecycle(opts: { pollMs?: number } = {}): void {
  if (installed) return;
  installed = true;
  for (const sig of Object.keys(EXIT) as StopSignal[]) {
    process.on(sig, () => {
      if (stopping) process.exit(EXIT[sig]);
      void stopAndExit(sig, sig);
    });
  }
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (stopping) return;
    if (process.ppid !== parent || !isAlive(parent))
      void stopAndExit('SIGTERM', `parent process ${parent} exited`);
  }, opts.pollMs ?? 500);
  timer.unref();
}
