// The CLI's half of "the drill always restores X". The drill runs in a vitest worker thread,
// which cannot catch signals and dies with its process; before it deregisters X it leaves a
// pending-restore file, and removes it once X is registered again. The CLI watches that file:
// on SIGINT/SIGTERM during the run, and after the suites ended (a crash, a kill), a file still
// there means X is out of its target group, and the CLI registers it again itself, or says
// loudly, with the exact command, that it could not.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elbv2 } from '../aws/client.js';
import { registerTarget, type PendingRestore } from '../aws/drill.js';
import { targetContext } from '../contract/target.js';
import type { ParityConfig } from '../config/schema.js';
import { firstLine } from '../errors.js';

export interface DrillGuard {
  /** For the suites: PARITY_DRILL_PENDING. */
  file: string;
  /** Restore what a pending file names (if any), stop watching, remove the folder. Idempotent. */
  close(): Promise<void>;
}

/** Put back the target a pending-restore file names; true when there was nothing to do or it worked. */
async function restorePending(
  file: string,
  config: ParityConfig,
  log: (line: string) => void,
): Promise<boolean> {
  if (!existsSync(file)) return true;
  let p: PendingRestore;
  try {
    p = JSON.parse(readFileSync(file, 'utf8')) as PendingRestore;
  } catch {
    return true; // torn while being written: DeregisterTargets was not sent yet
  }
  const ctx = targetContext(config, p.env, { disruptive: true, deadline: Date.now() + 30_000 });
  const e = elbv2(ctx);
  try {
    await registerTarget(e, p.targetGroupArn, p.target);
    rmSync(file, { force: true });
    log(
      `parity: the failover drill did not finish; registered ${p.target.id} again in ${p.targetGroupArn} (healthy after its health checks)`,
    );
    return true;
  } catch (err) {
    log(
      `parity: !!! ${p.target.id} NOT RESTORED after the failover drill (${firstLine(err)}); put it back by hand:`,
    );
    log(`parity: !!!   ${p.command}`);
    return false;
  } finally {
    e.client.destroy();
  }
}

/** Watch a run that may include the drill. */
export function drillGuard(config: ParityConfig, log: (line: string) => void): DrillGuard {
  const dir = mkdtempSync(join(tmpdir(), 'parity-drill-'));
  const file = join(dir, 'pending.json');
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await restorePending(file, config, log);
      rmSync(dir, { recursive: true, force: true });
    })());
  // Runs before any other handler (e.g. the one that stops a lab started for this run).
  const onSignal = (signal: NodeJS.Signals) => {
    void close().finally(() => {
      // Nobody else exits for us (a config target installs no other handler).
      if (process.listenerCount(signal) === 0) process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.prependListener('SIGINT', onSignal);
  process.prependListener('SIGTERM', onSignal);
  return { file, close };
}
