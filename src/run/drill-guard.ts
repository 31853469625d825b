// The CLI's half of "the drill always restores X". The drill runs in a vitest worker thread,
// which cannot catch signals and dies with its process; before it deregisters X it writes a
// pending-restore record in the per-user state folder (src/aws/pending-restore.ts), and
// removes it once X is registered again. The CLI watches its own record: on SIGINT/SIGTERM/
// SIGHUP during the run (src/process/lifecycle.ts), and after the suites ended (a crash, a
// kill), a record still there means X is out of its target group, and the CLI registers it
// again itself, or says loudly, with the exact command, that it could not. A record nobody
// could restore (both processes killed) stays where every later command finds it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { elbv2 } from '../aws/client.js';
import { drillTargetGroups, registerTarget, targetStates, type PendingRestore } from '../aws/drill.js';
import {
  drillLockFile,
  leftOutLines,
  newPendingFile,
  pendingRestores,
  restoreCommand,
  type PendingEntry,
} from '../aws/pending-restore.js';
import { loadConfigFile } from '../config/load.js';
import type { ParityConfig } from '../config/schema.js';
import { targetContext } from '../contract/target.js';
import { CannotRunError, firstLine } from '../errors.js';
import { onStop } from '../process/lifecycle.js';
import { sleep } from '../util.js';

export interface DrillGuard {
  /** For the suites: PARITY_DRILL_PENDING. */
  file: string;
  /** For the suites: PARITY_DRILL_LOCK. */
  lockFile: string;
  /** Restore what this run's record names (if any), stop watching. Idempotent; false: X is still out. */
  close(): Promise<boolean>;
}

export interface GuardOptions {
  config: ParityConfig;
  env: string;
  /** The lab's folder when the target is a lab: the drill lock lives there. */
  labDir?: string;
  /** The config file the user named (for the restore command line); none for the lab. */
  configFile?: string;
  log: (line: string) => void;
}

/**
 * RegisterTargets for one record, on the environment `envName` only (the AWS gate allows it on
 * role: staging alone), and only into a target group of that environment's load balancer;
 * the record is removed once it worked. Never throws: the outcome is a line.
 */
export async function restoreRecord(
  config: ParityConfig,
  envName: string,
  p: PendingEntry,
  opts: { untilHealthy?: boolean } = {},
): Promise<{ ok: boolean; line: string }> {
  const r = p.record;
  const ctx = targetContext(config, envName, { disruptive: true, deadline: Date.now() + 30_000 });
  let e;
  try {
    e = elbv2(ctx);
    const groups = await drillTargetGroups(e);
    const group = groups.find((g) => g.arn === r.targetGroupArn);
    if (!group) {
      return {
        ok: false,
        line: `parity: !!! ${r.target.id}: the recorded target group ${r.targetGroupArn} is not one of environments.${envName}'s load balancer; not touched (record ${p.file})`,
      };
    }
    await registerTarget(e, r.targetGroupArn, r.target);
    rmSync(p.file, { force: true });
    if (opts.untilHealthy) {
      // A drill next: it takes a target out only while every other one is healthy, so X must
      // have risen first. Bounded as the drill's own restore (docs/drill.md, step 7).
      const hc = group.healthCheck;
      const boundMs = ((hc.intervalSeconds + hc.timeoutSeconds) * (hc.healthyThreshold + 1) + 10) * 1000;
      const end = Date.now() + boundMs;
      const re = { ...e, deadline: end + 10_000 };
      let state = 'absent';
      while (Date.now() < end) {
        state = (await targetStates(re, group.arn)).find((t) => t.id === r.target.id)?.state ?? 'absent';
        if (state === 'healthy') break;
        await sleep(500);
      }
      return {
        ok: true,
        line: `parity: registered ${r.target.id} again in ${r.targetGroupArn} (left out by a failover drill that did not finish); ${state === 'healthy' ? 'healthy' : `still ${state} after ${boundMs / 1000} s`}`,
      };
    }
    return {
      ok: true,
      line: `parity: registered ${r.target.id} again in ${r.targetGroupArn} (left out by a failover drill that did not finish; healthy after its health checks)`,
    };
  } catch (err) {
    return {
      ok: false,
      line: `parity: !!! ${r.target.id} NOT RESTORED (${firstLine(err)}); put it back by hand: ${r.command}`,
    };
  } finally {
    e?.client.destroy();
  }
}

/** This run's own record, if the drill left one. */
function ownRecord(file: string): PendingEntry | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return { file, record: JSON.parse(readFileSync(file, 'utf8')) as PendingRestore, live: false };
  } catch {
    return undefined; // torn while being written: DeregisterTargets was not sent yet
  }
}

/** Watch a run that may include the drill; undefined when the environment has no AWS settings (no drill). */
export function drillGuard(o: GuardOptions): DrillGuard | undefined {
  const aws = o.config.environments[o.env]?.aws;
  if (!aws) return undefined;
  const file = newPendingFile(aws);
  const lockFile = drillLockFile(aws, o.labDir);
  let closed: Promise<boolean> | undefined;
  const close = () =>
    (closed ??= (async () => {
      unregister();
      const own = ownRecord(file);
      if (!own) return true;
      const r = await restoreRecord(o.config, o.env, own);
      if (r.ok) {
        o.log(`parity: the failover drill did not finish; ${r.line.replace(/^parity: /, '')}`);
        return true;
      }
      o.log(r.line);
      o.log(`parity: !!!   or, once that can work: ${restoreCommand(o.env, o.configFile)}`);
      return false;
    })());
  // On SIGINT/SIGTERM/SIGHUP or the parent's death the lifecycle runs this before it stops
  // what was started earlier (e.g. a lab started for this run): newest first. What it says
  // is what happened: never "restored" after a NOT RESTORED.
  const unregister = onStop('the failover drill', async () =>
    (await close())
      ? 'the failover drill (nothing left out)'
      : 'the failover drill (TARGET NOT RESTORED, see above)',
  );
  return { file, lockFile, close };
}

/**
 * Before a command of environment `env` does anything: say loudly what earlier drills left
 * out (and, with `restore`, put it back first: the next disruptive run). Throws, in one line,
 * when something left out could not be put back: a drill must not take out a second target.
 */
export async function leftOutFirst(o: Omit<GuardOptions, 'labDir'> & { restore: boolean }): Promise<void> {
  const cmd = restoreCommand(o.env, o.configFile);
  for (const p of pendingRestores(o.config, o.env)) {
    if (!o.restore || p.live) {
      for (const line of leftOutLines(p, cmd)) o.log(line);
      continue;
    }
    o.log(
      `parity: ${p.record.target.id} was left out by a failover drill that did not finish; putting it back first`,
    );
    const r = await restoreRecord(o.config, o.env, p, { untilHealthy: true });
    o.log(r.line);
    if (!r.ok)
      throw new CannotRunError(
        `the failover drill does not run while ${p.record.target.id} is still out of its target group; put it back first: ${cmd}`,
      );
  }
}

/**
 * For the vitest process orphaned mid-drill (vitest-child.mjs, its test thread already
 * stopped): register the target its record names again; the record stays when that failed.
 */
export async function restoreOrphaned(configFile: string, env: string, file: string): Promise<boolean> {
  const own = ownRecord(file);
  if (!own) return true;
  return (await restoreRecord(loadConfigFile(configFile), env, own)).ok;
}
