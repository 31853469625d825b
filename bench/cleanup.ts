// A bench that is stopped (Ctrl-C, SIGTERM, SIGHUP, its parent gone) or whose output's reader
// went away (`| head`: EPIPE on stdout) still stops the lab it started and removes its temp
// folder, through the CLI's own stop handling (src/process/lifecycle.ts). A bench that ends by
// itself cleans up in its `finally`, as before; this covers the ends that skip it.
import { installLifecycle, onStop } from '../src/process/lifecycle.js';

let watchingStdout = false;

/**
 * Run `stop` (bounded) if the bench is stopped before it cleans up itself. Returns the bench's
 * own cleanup, for its `finally`: `stop`, once, no longer registered.
 */
export function cleanupOnStop(what: string, stop: () => Promise<void> | void): () => Promise<void> {
  installLifecycle();
  if (!watchingStdout) {
    watchingStdout = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.kill(process.pid, 'SIGTERM'); // the stoppers run, then the bench exits 143
    });
  }
  const unregister = onStop(what, stop);
  return async () => {
    unregister();
    await stop();
  };
}
