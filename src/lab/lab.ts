// The lab's orchestration: bring both environments up (retrying a lost port race), report
// their status, apply a fault to a running lab, and stop everything it started.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CannotRunError, ErrorCode, hasCode, UsageError } from '../errors.js';
import { defaultLabDir } from '../paths.js';
import { checkLabFolder } from '../config/folders.js';
import { ensureBinaries } from './binaries.js';
import { allocatePorts, portsOf, startElbv2, startEnvironment, waitHealthy } from './environment.js';
import { applyFaults, findFault } from './faults.js';
import { writeLabConfig } from './lab-config.js';
import { onStop, isStopping } from '../process/lifecycle.js';
import { lockHolder, lockLab } from './lock.js';
import { isOurs, processesOf, stopPid } from './processes.js';
import { seedUserSession } from './seed.js';
import { readState, removeState, writeState, writeTopology, type LabState } from './state.js';
import { labStatus } from './status.js';
import { loadTopology, type Topology } from './topology.js';
import { sleep } from '../util.js';

// Re-exported: the status can be read without loading the orchestration (src/lab/status.ts).
export { labStatus, type LabStatus } from './status.js';

export interface LabOptions {
  dir?: string;
  faults?: string[];
  /** Topology to run instead of fixtures/lab/topology.yaml (faults are applied on top). */
  topology?: Topology;
  log?: (line: string) => void;
  /** How long to wait for everything to be healthy. */
  timeoutMs?: number;
}

/** Start both environments; returns once every running target answers through its LB. */
export async function labUp(opts: LabOptions = {}): Promise<LabState> {
  const dir = opts.dir ?? defaultLabDir();
  const faults = opts.faults ?? [];
  const log = opts.log ?? (() => {});
  const topology = applyFaults(opts.topology ?? loadTopology(), faults);
  const timeoutMs = opts.timeoutMs ?? 20_000;

  if (!opts.dir) checkLabFolder(dir);
  const bins = await ensureBinaries(log);
  mkdirSync(dir, { recursive: true });
  // One starter per lab folder, taken before the folder's state is read: a second `lab up` is
  // refused naming the holder's pid (reading the first one's half-written state, it would
  // take it for a stale lab and stop its processes).
  const unlock = await lockLab(dir);
  let starting: Promise<unknown> | undefined;
  // Stopped mid-start (a signal, the parent's death): the start stops spawning (isStopping),
  // and the lab ends fully down. A lab that was already running is not this command's to stop.
  const unregister = onStop(`the lab starting in ${dir}`, async () => {
    if (starting) {
      await Promise.race([starting.catch(() => {}), new Promise((r) => setTimeout(r, 10_000).unref())]);
      await labDown(dir);
    }
    unlock();
  });
  try {
    const existing = labStatus(dir);
    if (existing.running && existing.state) {
      if (sameList(existing.state.faults, faults)) return existing.state;
      throw new UsageError(
        `lab already running in ${dir} with faults [${existing.state.faults.join(', ')}]; run "parity lab down" first`,
      );
    }
    starting = Promise.resolve();
    if (existing.state || processesOf(dir).length) {
      log(`cleaning up a stale lab in ${dir}`);
      await labDown(dir);
    }
    return await startWithRetries({ dir, faults, topology, bins, timeoutMs, log }, (p) => (starting = p));
  } finally {
    unregister();
    unlock();
  }
}

/** What one start of the lab needs. */
interface LabStart {
  dir: string;
  faults: string[];
  topology: Topology;
  bins: Record<'haproxy' | 'redis-server', string>;
  timeoutMs: number;
  log: (line: string) => void;
}

async function startWithRetries(spec: LabStart, track: (p: Promise<unknown>) => void): Promise<LabState> {
  // Free ports are picked, released, then bound by the new process: another program can take
  // one in between. Such a start is retried with fresh ports (bounded).
  for (let attempt = 1; ; attempt++) {
    const start = startLab(spec);
    track(start);
    try {
      return await start;
    } catch (err) {
      await labDown(spec.dir);
      if (hasCode(err, ErrorCode.PortTaken) && attempt < 3 && !isStopping()) {
        spec.log(`lab up: ${err.message}; retrying with other ports`);
        continue;
      }
      throw err instanceof UsageError || err instanceof CannotRunError
        ? err
        : new CannotRunError(`lab up failed: ${(err as Error).message}`);
    }
  }
}

async function startLab({ dir, faults, topology, bins, timeoutMs, log }: LabStart): Promise<LabState> {
  const state: LabState = {
    version: 1,
    dir,
    startedAt: new Date().toISOString(),
    faults,
    environments: {},
    processes: [],
    ready: false,
  };
  writeState(state);
  writeTopology(dir, topology);
  await Promise.all([
    startElbv2(state, timeoutMs),
    ...Object.entries(topology.environments).map(async ([name, topo]) => {
      const ports = await allocatePorts(topo);
      await startEnvironment(state, name, topo, ports, bins, timeoutMs);
    }),
  ]);
  await waitHealthy(state, topology, timeoutMs);
  await seedUserSession(state, 'production');
  state.config = writeLabConfig(state, topology);
  state.ready = true;
  writeState(state);
  log(`lab up in ${dir}`);
  return state;
}

/** Stop every process the lab started (by pid) and remove its state. Safe on a stale or absent lab. */
export async function labDown(dir = defaultLabDir()): Promise<{ stopped: number }> {
  // A `lab up` still starting in this folder (another process, holding the lock) would go on
  // spawning after the scan below: it is told to stop first, and takes its half-up lab down.
  await stopStarter(dir);
  const state = readState(dir);
  const recorded = (state?.processes ?? []).filter((p) => isOurs(p.pid, dir)).map((p) => p.pid);
  // Also every process naming the folder: one whose pid never reached the state file.
  const pids = [...new Set([...recorded, ...processesOf(dir)])];
  await Promise.all(pids.map((pid) => stopPid(pid, dir)));
  removeState(dir);
  // A runtime socket placed outside the folder (its path was too long there) goes too.
  for (const env of Object.values(state?.environments ?? {}))
    if (!env.socketPath.startsWith(`${dir}/`)) rmSync(env.socketPath, { force: true });
  // The lab's own config points at ports that are now closed: it goes with the lab.
  // (Also when the state file is gone or torn: the config is always at the same place.)
  if (state?.config) rmSync(state.config, { force: true });
  rmSync(join(dir, 'parity.config.yaml'), { force: true });
  return { stopped: pids.length };
}

/** SIGTERM the parity process holding the folder's lock, and wait (bounded) until it exits. */
async function stopStarter(dir: string): Promise<void> {
  const pid = lockHolder(dir);
  if (pid === undefined || !isParityCli(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && lockHolder(dir) === pid) await sleep(50);
}

/** The pid runs parity's CLI (bin/parity.js), not some process that reused a dead holder's pid. */
function isParityCli(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((a) => /parity(\.js)?$/.test(a));
  } catch {
    return false;
  }
}

/** Apply a fault to a running lab: restart the affected environment with the patched topology, same ports. */
export async function labFault(
  name: string,
  opts: { dir?: string; topology?: Topology } = {},
): Promise<LabState> {
  const dir = opts.dir ?? defaultLabDir();
  const status = labStatus(dir);
  if (!status.running || !status.state)
    throw new UsageError(`no running lab in ${dir}; run "parity lab up" first`);
  const state = status.state;
  const fault = findFault(name);
  const faults = [...state.faults, name];
  const topology = applyFaults(opts.topology ?? loadTopology(), faults);
  const topo = topology.environments[fault.env];
  const envState = state.environments[fault.env];
  if (!topo || !envState) throw new UsageError(`fault "${name}" targets unknown environment "${fault.env}"`);
  const ports = portsOf(envState);
  const extra = await allocatePorts(topo);
  for (const [k, v] of Object.entries(extra.redis)) ports.redis[k] ??= v;

  writeTopology(dir, topology);
  const own = state.processes.filter((p) => p.env === fault.env);
  await Promise.all(own.map((p) => stopPid(p.pid, dir)));
  state.processes = state.processes.filter((p) => p.env !== fault.env);
  state.faults = faults;
  state.ready = false;
  writeState(state);
  await startEnvironment(state, fault.env, topo, ports, await ensureBinaries(), 20_000);
  await waitHealthy(state, { environments: { [fault.env]: topo } }, 20_000);
  await seedUserSession(state, fault.env === 'production' ? 'production' : undefined);
  state.config = writeLabConfig(state, topology);
  state.ready = true;
  writeState(state);
  return state;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
