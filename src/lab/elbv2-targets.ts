// DeregisterTargets / RegisterTargets for the lab's ELBv2 endpoint, done the way the ALB does
// them, on HAProxy through its runtime API:
// - deregister: the server goes to MAINT at once (no new request, sticky ones included, is
//   sent to it; in-flight ones finish), the target reads `draining` for the target group's
//   deregistration delay, then leaves DescribeTargetHealth; when the delay ends, whatever is
//   still connected is cut (as AWS closes connections then). A delay of 0 cuts at once.
// - register: the server leaves MAINT marked down, so HAProxy needs HealthyThresholdCount
//   passing checks ("rise") before routing to it; until then the target reads `initial`.
// What was done is kept in <labdir>/registrations.json; an entry holds only while HAProxy still
// shows the state it produced (a restarted HAProxy, e.g. a fault applied, starts afresh).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabApiError } from '../errors.js';
import { runtimeCommand, type ServerStat } from './runtime-api.js';
import type { EnvTopology } from './topology.js';

export type Registration = { deregisteredAt: number } | { registeredAt: number };
/** env → instance id → what the API last did to it. */
export type Registrations = Record<string, Record<string, Registration>>;

const registrationsFile = (labDir: string) => join(labDir, 'registrations.json');

export function readRegistrations(labDir: string): Registrations {
  const file = registrationsFile(labDir);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Registrations;
  } catch {
    return {};
  }
}

function writeRegistrations(labDir: string, regs: Registrations): void {
  const file = registrationsFile(labDir);
  writeFileSync(file + '.tmp', JSON.stringify(regs));
  renameSync(file + '.tmp', file);
}

const isMaint = (s: ServerStat | undefined) => !!s && /^MAINT/i.test(s.status);

/**
 * The live view of one target after the API's actions: 'draining' (deregistered, within the
 * delay), 'gone' (deregistered, delay over: absent from DescribeTargetHealth), 'initial'
 * (registered again, not yet risen), or undefined (HAProxy's own state applies). Pure.
 */
export function registrationState(
  reg: Registration | undefined,
  stat: ServerStat | undefined,
  delaySeconds: number,
  now: number,
): 'draining' | 'gone' | 'initial' | undefined {
  if (!reg || !stat) return undefined;
  if ('deregisteredAt' in reg) {
    if (!isMaint(stat)) return undefined; // HAProxy restarted since: the entry is stale
    return now < reg.deregisteredAt + delaySeconds * 1000 ? 'draining' : 'gone';
  }
  // Registered again: "initial" while HAProxy has not yet counted `rise` passing checks, unless
  // the last check failed (then HAProxy's own view, unhealthy, is the truth).
  const status = stat.status.toUpperCase();
  const check = stat.checkStatus.toUpperCase();
  if (status.startsWith('DOWN') && (check === '' || check.startsWith('INI') || check === 'L7OK')) {
    return 'initial';
  }
  return undefined;
}

export interface TargetRef {
  id: string;
  port?: number;
}

// Timers that cut what is left connected when a deregistration delay ends (this process only).
const cuts = new Map<string, NodeJS.Timeout>();

/**
 * Cut every request still in flight to a server, client side included: the client sees its
 * connection closed, as when an ALB closes a target's connections. (`shutdown sessions server`
 * alone is not enough: HAProxy quietly retries a request cut on a reused server connection.)
 */
async function cutStreams(socketPath: string, server: string, listed?: string): Promise<void> {
  const sessions = listed ?? (await runtimeCommand(socketPath, 'show sess'));
  const ids = [...sessions.matchAll(/^(0x[0-9a-f]+):.* srv=(\S+) /gm)]
    .filter((m) => m[2] === server)
    .map((m) => m[1]);
  const cmds = [...ids.map((id) => `shutdown session ${id}`), `shutdown sessions server tg/${server}`];
  await runtimeCommand(socketPath, cmds.join('; '));
}

export type TargetAction = 'DeregisterTargets' | 'RegisterTargets';

/** One DeregisterTargets/RegisterTargets request: targets of one environment, on its HAProxy. */
export interface TargetChange {
  labDir: string;
  env: string;
  topo: EnvTopology;
  socketPath: string;
  stats: ServerStat[];
  targets: TargetRef[];
}

/**
 * DeregisterTargets or RegisterTargets, recorded in registrations.json. Deregistering an
 * unknown or already deregistered target is a no-op, as in AWS. Only the environment's
 * instances can be registered (its running EC2 instances); registering a registered one is a no-op.
 */
export async function changeTargets(action: TargetAction, c: TargetChange): Promise<void> {
  if (action === 'RegisterTargets') assertRegistrable(c);
  const step = action === 'DeregisterTargets' ? deregisterOne : registerOne;
  const regs = readRegistrations(c.labDir);
  regs[c.env] ??= {};
  for (const t of c.targets) await step(c, t, regs);
  writeRegistrations(c.labDir, regs);
}

type Step = (c: TargetChange, t: TargetRef, regs: Registrations) => Promise<void>;

const deregisterOne: Step = async (c, t, regs) => {
  if (t.port !== undefined && t.port !== c.topo.targetGroup.port) return; // another (id, port): not registered
  const stat = c.stats.find((s) => s.name === t.id);
  if (!stat || isMaint(stat)) return;
  const maint = `set server tg/${t.id} state maint`;
  const delay = c.topo.targetGroup.deregistrationDelaySeconds;
  // A delay of 0 cuts at once. The in-flight requests are listed in the same command line that
  // takes the server out, so none can finish unnoticed in between (on a busy machine a second
  // round trip took long enough for all of them to end, and the cut found nothing to cut).
  const listed = await runtimeCommand(c.socketPath, delay === 0 ? `${maint}; show sess` : maint);
  if (delay === 0) await cutStreams(c.socketPath, t.id, listed).catch(() => {});
  const at = Date.now();
  regs[c.env][t.id] = { deregisteredAt: at };
  writeRegistrations(c.labDir, regs); // before the delayed cut, which checks it
  if (delay === 0) return;
  const key = `${c.env}/${t.id}`;
  clearTimeout(cuts.get(key));
  const cut = async () => {
    cuts.delete(key);
    const now = readRegistrations(c.labDir)[c.env]?.[t.id];
    if (now && 'deregisteredAt' in now && now.deregisteredAt === at) {
      await cutStreams(c.socketPath, t.id).catch(() => {});
    }
  };
  cuts.set(key, setTimeout(() => void cut(), delay * 1000).unref());
};

const registerOne: Step = async (c, t, regs) => {
  const stat = c.stats.find((s) => s.name === t.id)!;
  if (!isMaint(stat)) return;
  const key = `${c.env}/${t.id}`;
  clearTimeout(cuts.get(key));
  cuts.delete(key);
  // One command line: out of MAINT and marked down together, so it is never routed before it rose.
  await runtimeCommand(c.socketPath, `set server tg/${t.id} state ready; set server tg/${t.id} health down`);
  regs[c.env][t.id] = { registeredAt: Date.now() };
};

/** RegisterTargets refuses the whole request if one target is not a running instance or names another port. */
function assertRegistrable({ topo, stats, targets }: TargetChange): void {
  const bad = targets.filter((t) => {
    const inst = topo.instances.find((i) => i.id === t.id);
    return !inst || !inst.registered || inst.down || !stats.some((s) => s.name === t.id);
  });
  if (bad.length) {
    throw new LabApiError(
      'InvalidTarget',
      `The following targets are not in a running state and cannot be registered: '${bad.map((t) => t.id).join(', ')}'`,
    );
  }
  const wrongPort = targets.find((t) => t.port !== undefined && t.port !== topo.targetGroup.port);
  if (wrongPort) {
    throw new LabApiError(
      'ValidationError',
      `the lab's target group serves port ${topo.targetGroup.port} only (got ${wrongPort.port} for ${wrongPort.id})`,
    );
  }
}
