// Where a failover drill records the target it took out, so that whoever comes later finds it:
// the drill writes a record just before DeregisterTargets and removes it once RegisterTargets
// succeeded. Records live in the per-user state folder (src/io/state-dir.ts), one file per
// drill, named after the load balancer (region, endpoint, name or ARN), so that every later
// command of that environment, from any working directory, finds what was left out. A record
// whose writer is still alive is a drill in progress, not a target left out. No AWS SDK here:
// every command reads these records first (the restore itself: src/run/drill-guard.ts).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { effectiveEndpoint } from '../config/aws-endpoints.js';
import type { ParityConfig } from '../config/schema.js';
import { stateDir } from '../io/state-dir.js';
import { isAlive } from '../process/alive.js';
import type { AwsConfig } from './client.js';
import type { PendingRestore } from './drill.js';

const pendingDir = () => join(stateDir(), 'pending-restore');

/** The load balancer's identity as a file-name prefix (no secret, nothing to escape). */
function albKey(aws: AwsConfig): string {
  const id = [aws.region, effectiveEndpoint(aws) ?? '', aws.loadBalancerArn ?? aws.loadBalancerName ?? ''];
  return createHash('sha256').update(JSON.stringify(id)).digest('hex').slice(0, 16);
}

/** A fresh record path for one drill of this load balancer (its folder created). */
export function newPendingFile(aws: AwsConfig): string {
  mkdirSync(pendingDir(), { recursive: true });
  return join(pendingDir(), `${albKey(aws)}-${process.pid}-${randomBytes(4).toString('hex')}.json`);
}

/**
 * The drill lock of this load balancer: in the lab's folder when the target is a lab (every
 * user of that lab shares it), else in the state folder (every run of this user on this
 * machine). Two runners on two machines share neither: see docs/drill.md.
 */
export function drillLockFile(aws: AwsConfig, labDir?: string): string {
  if (labDir) return join(labDir, 'drill.lock');
  mkdirSync(stateDir(), { recursive: true });
  return join(stateDir(), `drill-${albKey(aws)}.lock`);
}

export interface PendingEntry {
  file: string;
  record: PendingRestore;
  /** The drill that wrote it (or its CLI) is still running: X is out on purpose, for now. */
  live: boolean;
}

/** Every record of this environment's load balancer, oldest first. */
export function pendingRestores(config: ParityConfig, envName: string): PendingEntry[] {
  const aws = config.environments[envName]?.aws;
  if (!aws) return [];
  const prefix = `${albKey(aws)}-`;
  let names: string[];
  try {
    names = readdirSync(pendingDir()).filter((n) => n.startsWith(prefix) && n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: PendingEntry[] = [];
  for (const name of names) {
    const file = join(pendingDir(), name);
    try {
      const record = JSON.parse(readFileSync(file, 'utf8')) as PendingRestore;
      const live = [record.pid, record.parentPid].some((p) => typeof p === 'number' && isAlive(p));
      out.push({ file, record, live });
    } catch {
      // torn while being written (atomic writes make this a leftover .tmp only): not a record
    }
  }
  return out.sort((a, b) => a.record.deregisteredAt.localeCompare(b.record.deregisteredAt));
}

/** The parity command that puts back what this environment's drills left out. */
export function restoreCommand(envName: string, configFile?: string): string {
  return `parity drill --restore --env ${envName}${configFile ? ` --config ${configFile}` : ''}`;
}

/** The loud lines a command prints first when a target of its environment was left out. */
export function leftOutLines(p: PendingEntry, restore: string): string[] {
  const r = p.record;
  if (p.live) {
    return [
      `parity: note: a failover drill (pid ${r.pid}) has ${r.target.id} out of ${r.targetGroupArn} right now; it registers it again itself`,
    ];
  }
  return [
    `parity: !!! ${r.target.id} was left out of its target group by a failover drill that did not finish (deregistered ${r.deregisteredAt}): ${r.env} runs with one target fewer`,
    `parity: !!!   put it back: ${restore}`,
    `parity: !!!   (or by hand: ${r.command})`,
  ];
}
