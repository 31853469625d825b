// The CLI's half of "journey teardown also after SIGINT" (src/checks/journey/pending.ts): a
// folder the journeys leave their pending teardowns in; on a stop (src/process/lifecycle.ts),
// and after the suites ended (a crash, a kill at the deadline), what is left there is sent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendPendingTeardowns } from '../checks/journey/pending.js';
import { onStop } from '../process/lifecycle.js';

export interface TeardownGuard {
  /** For the suites: PARITY_TEARDOWN_PENDING. */
  dir: string;
  /** Send what is pending, stop watching, remove the folder. Idempotent. */
  close(): Promise<void>;
}

export function teardownGuard(log: (line: string) => void): TeardownGuard {
  const dir = mkdtempSync(join(tmpdir(), 'parity-teardown-'));
  let closed: Promise<void> | undefined;
  // Registered before the suites' runner, so on a stop it runs after vitest was stopped
  // (newest first) and before a lab started for this run is taken down.
  const unregister = onStop('journey teardown', () => close());
  const close = () =>
    (closed ??= (async () => {
      unregister();
      await sendPendingTeardowns(dir, log);
      rmSync(dir, { recursive: true, force: true });
    })());
  return { dir, close };
}
