import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { fileURLToPath } from 'node:url';
import { CannotRunError, UsageError } from '../errors.js';
import { requireBinaries } from './binaries.js';
import { bundleEntry } from './bundle.js';
import { topologyFile } from './elbv2-server.js';
import { applyFaults, findFault } from './faults.js';
import { haproxyConfig } from './haproxy-config.js';
import { defaultLabDir, fixturePath } from './paths.js';
import {
  freePorts,
  isOurs,
  sleep,
  spawnDetached,
  StopWaiting,
  stopPid,
  tcpExchange,
  waitFor,
} from './processes.js';
import { serverStats } from './runtime-api.js';
import {
  readState,
  removeState,
  writeState,
  type EnvState,
  type LabState,
  type ProcessRecord,
} from './state.js';
import { loadTopology, type EnvTopology, type Topology } from './topology.js';

export interface LabOptions {
  dir?: string;
  faults?: string[];
  /** Topology to run instead of fixtures/lab/topology.yaml (faults are applied on top). */
  topology?: Topology;
  log?: (line: string) => void;
  /** How long to wait for everything to be healthy. */
  timeoutMs?: number;
}

/** The ports an environment keeps for its whole life, so its URLs survive a fault being applied. */
interface EnvPorts {
  lb: number;
  redis: Record<string, number>;
  instances: Record<string, number>;
}

/** Start both environments; returns once every running target answers through its LB. */
export async function labUp(opts: LabOptions = {}): Promise<LabState> {
  const dir = opts.dir ?? defaultLabDir();
  const faults = opts.faults ?? [];
  const log = opts.log ?? (() => {});
  const topology = applyFaults(opts.topology ?? loadTopology(), faults);
  const timeoutMs = opts.timeoutMs ?? 20_000;

  const existing = labStatus(dir);
  if (existing.running && existing.state) {
    if (sameList(existing.state.faults, faults)) return existing.state;
    throw new UsageError(
      `lab already running in ${dir} with faults [${existing.state.faults.join(', ')}]; run "parity lab down" first`,
    );
  }
  if (existing.state) {
    log(`cleaning up a stale lab in ${dir}`);
    await labDown(dir);
  }
  const bins = requireBinaries();
  mkdirSync(dir, { recursive: true });
  // Free ports are picked, released, then bound by the new process: another program can take
  // one in between. Such a start is retried with fresh ports (bounded).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLab(dir, faults, topology, bins, timeoutMs, log);
    } catch (err) {
      await labDown(dir);
      if (err instanceof PortTaken && attempt < 3) {
        log(`lab up: ${err.message}; retrying with other ports`);
        continue;
      }
      throw err instanceof UsageError || err instanceof CannotRunError
        ? err
        : new CannotRunError(`lab up failed: ${(err as Error).message}`);
    }
  }
}

async function startLab(
  dir: string,
  faults: string[],
  topology: Topology,
  bins: Record<'haproxy' | 'redis-server', string>,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<LabState> {
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

/** A lab process exited because its port was taken (a race with another program). */
class PortTaken extends StopWaiting {}

/** The error for a lab process that exited while starting, with the cause when its log tells it. */
function exited(what: string, logFile: string): StopWaiting {
  let tail = '';
  try {
    tail = readFileSync(logFile, 'utf8').slice(-4000);
  } catch {
    // no log yet
  }
  if (/EADDRINUSE|Address already in use|cannot bind socket/i.test(tail)) {
    return new PortTaken(`${what} exited: its port was taken`);
  }
  return new StopWaiting(`${what} exited; see ${logFile}`);
}

/** Where a lab process logs. */
function logFileOf(state: LabState, p: ProcessRecord): string {
  return join(state.dir, p.env ?? '', p.role === 'app' ? `app-${p.name}.log` : `${p.name}.log`);
}

/** Stop every process the lab started (by pid) and remove its state. Safe on a stale or absent lab. */
export async function labDown(dir = defaultLabDir()): Promise<{ stopped: number }> {
  const state = readState(dir);
  if (!state) return { stopped: 0 };
  const alive = state.processes.filter((p) => isOurs(p.pid, dir));
  await Promise.all(alive.map((p) => stopPid(p.pid, dir)));
  removeState(dir);
  return { stopped: alive.length };
}

export interface LabStatus {
  dir: string;
  state: LabState | null;
  alive: ProcessRecord[];
  dead: ProcessRecord[];
  /** Every recorded process is alive and the lab finished starting. */
  running: boolean;
}

export function labStatus(dir = defaultLabDir()): LabStatus {
  const state = readState(dir);
  if (!state) return { dir, state: null, alive: [], dead: [], running: false };
  const alive = state.processes.filter((p) => isOurs(p.pid, dir));
  const dead = state.processes.filter((p) => !alive.includes(p));
  return { dir, state, alive, dead, running: state.ready && dead.length === 0 && alive.length > 0 };
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
  await startEnvironment(state, fault.env, topo, ports, requireBinaries(), 20_000);
  await waitHealthy(state, { environments: { [fault.env]: topo } }, 20_000);
  await seedUserSession(state, fault.env === 'production' ? 'production' : undefined);
  state.config = writeLabConfig(state, topology);
  state.ready = true;
  writeState(state);
  return state;
}

/** The lab JSON of the design's contract (`lab up --json`, `lab status --json`). */
export function labJson(state: LabState) {
  const environments: Record<string, unknown> = {};
  for (const [name, env] of Object.entries(state.environments)) {
    environments[name] = {
      url: env.url,
      instances: env.instances.map((i) => ({ id: i.id, url: i.url })),
      redis: env.redis.main?.url,
      ...(state.elbv2 ? { elbv2: state.elbv2.url } : {}),
    };
  }
  return { environments, config: state.config };
}

async function allocatePorts(topo: EnvTopology): Promise<EnvPorts> {
  const redisNames = [...new Set(['main', ...topo.instances.map((i) => i.redis)])];
  const ports = await freePorts(1 + redisNames.length + topo.instances.length);
  return {
    lb: ports[0],
    redis: Object.fromEntries(redisNames.map((n, i) => [n, ports[1 + i]])),
    instances: Object.fromEntries(
      topo.instances.map((inst, i) => [inst.id, ports[1 + redisNames.length + i]]),
    ),
  };
}

function portsOf(env: EnvState): EnvPorts {
  return {
    lb: env.lbPort,
    redis: Object.fromEntries(Object.entries(env.redis).map(([k, v]) => [k, v.port])),
    instances: Object.fromEntries(env.instances.map((i) => [i.id, i.port])),
  };
}

async function startEnvironment(
  state: LabState,
  name: string,
  topo: EnvTopology,
  ports: EnvPorts,
  bins: Record<'haproxy' | 'redis-server', string>,
  timeoutMs: number,
): Promise<void> {
  const envDir = join(state.dir, name);
  mkdirSync(envDir, { recursive: true });
  const record = (p: ProcessRecord) => {
    state.processes.push(p);
    writeState(state);
  };
  const redisNames = [...new Set(['main', ...topo.instances.map((i) => i.redis)])];
  const env: EnvState = {
    url: `http://127.0.0.1:${ports.lb}`,
    lbPort: ports.lb,
    socketPath: join(envDir, 'haproxy.sock'),
    haproxyConfig: join(envDir, 'haproxy.cfg'),
    redis: Object.fromEntries(
      redisNames.map((r) => [r, { port: ports.redis[r], url: `redis://127.0.0.1:${ports.redis[r]}` }]),
    ),
    instances: topo.instances.map((inst) => ({
      id: inst.id,
      port: ports.instances[inst.id],
      url: `http://127.0.0.1:${ports.instances[inst.id]}`,
      version: inst.version ?? topo.app.version,
      registered: inst.registered,
      down: inst.down,
    })),
  };
  state.environments[name] = env;

  for (const r of redisNames) {
    const pid = spawnDetached({
      command: bins['redis-server'],
      args: [...redisArgs(ports.redis[r], envDir), '--dbfilename', `redis-${r}.rdb`],
      logFile: join(envDir, `redis-${r}.log`),
    });
    record({ pid, role: 'redis', env: name, name: `redis-${r}` });
  }
  // Unregistered targets are not started: only registered ones are EC2 instances of this plan.
  for (const [i, inst] of topo.instances.entries()) {
    if (inst.down || !inst.registered) continue;
    const pid = spawnDetached({
      command: process.execPath,
      args: [await bundleEntry(fixturePath('app/server.ts'), 'app'), `--lab-dir=${state.dir}`],
      logFile: join(envDir, `app-${inst.id}.log`),
      env: {
        ...process.env,
        PORT: String(ports.instances[inst.id]),
        HOST: '127.0.0.1',
        INSTANCE_ID: inst.id,
        APP_VERSION: env.instances[i].version,
        REDIS_URL: env.redis[inst.redis].url,
        SESSION_SECRET: `lab-${name}-secret`,
        SESSION_TTL: String(topo.app.sessionTtlSeconds),
        HEALTH: inst.health,
        LATENCY_MS: String(inst.latencyMs),
        ...(topo.app.identityHeaders === false ? { IDENTITY_HEADERS: '0' } : {}),
        ...(topo.app.sessionCookie ? { SESSION_COOKIE: topo.app.sessionCookie } : {}),
        ...(topo.app.redisPrefix !== undefined ? { REDIS_PREFIX: topo.app.redisPrefix } : {}),
      },
    });
    env.instances[i].pid = pid;
    record({ pid, role: 'app', env: name, name: inst.id });
  }
  // HAProxy starts only once the apps answer, so its first health checks pass and the
  // targets are in service at once (else rise x interval seconds go by).
  await Promise.all(
    env.instances
      .filter((i) => i.pid !== undefined)
      .map((inst) =>
        waitFor(
          `app ${name}/${inst.id}`,
          async () => {
            if (!isOurs(inst.pid!, state.dir)) {
              throw exited(`app ${inst.id}`, join(envDir, `app-${inst.id}.log`));
            }
            return pingOk(`${inst.url}/ping`);
          },
          timeoutMs,
        ),
      ),
  );
  writeFileSync(
    env.haproxyConfig,
    haproxyConfig(topo, {
      frontendPort: ports.lb,
      socketPath: env.socketPath,
      instancePorts: ports.instances,
    }),
  );
  const pid = spawnDetached({
    command: bins.haproxy,
    args: ['-f', env.haproxyConfig, '-db'],
    logFile: join(envDir, 'haproxy.log'),
  });
  record({ pid, role: 'haproxy', env: name, name: 'haproxy' });
}

/** The effective topology (faults applied), which the ELBv2 endpoint answers from. Atomic: it reads it per request. */
function writeTopology(dir: string, topology: Topology): void {
  const file = topologyFile(dir);
  writeFileSync(file + '.tmp', JSON.stringify(topology, null, 2));
  renameSync(file + '.tmp', file);
}

/** The lab's ELBv2 API (one process for every environment); started alongside the environments. */
async function startElbv2(state: LabState, timeoutMs: number): Promise<void> {
  const [[port], entry] = await Promise.all([
    freePorts(1),
    bundleEntry(fileURLToPath(new URL('./elbv2-main.ts', import.meta.url)), 'elbv2'),
  ]);
  const pid = spawnDetached({
    command: process.execPath,
    args: [entry, `--lab-dir=${state.dir}`, `--port=${port}`],
    logFile: join(state.dir, 'elbv2.log'),
  });
  state.processes.push({ pid, role: 'elbv2', name: 'elbv2' });
  state.elbv2 = { url: `http://127.0.0.1:${port}`, port };
  writeState(state);
  await waitFor(
    'ELBv2 endpoint',
    async () => {
      if (!isOurs(pid, state.dir)) throw exited('ELBv2 endpoint', join(state.dir, 'elbv2.log'));
      const res = await request(state.elbv2!.url, { headersTimeout: 1000, bodyTimeout: 1000, reset: true });
      await res.body.dump();
      return res.statusCode === 200;
    },
    timeoutMs,
  );
}

/**
 * A real production always holds some user sessions; the lab's starts empty. One simulated user
 * signs in (through the LB, so the app stores the session with its own TTL), so that read-only
 * probes of production's session plane (fingerprint) have something to observe. This is the lab
 * playing a user, not parity writing to production.
 */
async function seedUserSession(state: LabState, envName: string | undefined): Promise<void> {
  const env = envName ? state.environments[envName] : undefined;
  if (!env) return;
  const res = await request(`${env.url}/auth/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'lab-user@example.org', password: 'lab' }),
    headersTimeout: 2000,
    bodyTimeout: 2000,
    reset: true,
  });
  await res.body.dump();
  if (res.statusCode !== 200)
    throw new Error(`seeding a user session in ${envName} answered ${res.statusCode}`);
}

/**
 * A throwaway redis-server on 127.0.0.1: no persistence, and its original command line kept
 * (no process-title rewrite), so the lab can recognise its pid by the folder in it.
 */
export function redisArgs(port: number, dir: string): string[] {
  return [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ...['--set-proc-title', 'no', '--dir', dir],
  ];
}

/** Wait until Redis answers, every running app answers, and the LB routes to each of them. */
async function waitHealthy(state: LabState, topology: Topology, timeoutMs: number): Promise<void> {
  const stop = new AbortController();
  const waits: Promise<unknown>[] = [];
  for (const [name, topo] of Object.entries(topology.environments)) {
    const env = state.environments[name];
    for (const [r, redis] of Object.entries(env.redis)) {
      waits.push(
        waitFor(
          `redis ${name}/${r}`,
          async () => (await tcpExchange({ port: redis.port }, 'PING\r\n')).startsWith('+PONG'),
          timeoutMs,
          50,
          stop.signal,
        ),
      );
    }
    // HAProxy takes a few hundred ms to run its first check of each server ("INI" until then,
    // which the ELBv2 API reports as "initial"): the lab is up once every target was checked.
    const checked = env.instances.filter((i) => i.registered).length;
    waits.push(
      waitFor(
        `${name} load balancer's first health checks`,
        async () => {
          const stats = await serverStats(env.socketPath);
          return (
            stats.length === checked && stats.every((s) => s.checkStatus && !s.checkStatus.startsWith('INI'))
          );
        },
        timeoutMs,
        25,
        stop.signal,
      ),
    );
    const routable = env.instances.filter(
      (i, idx) => i.registered && !i.down && (topo.instances[idx]?.weight ?? 1) > 0,
    );
    waits.push(
      (async () => {
        const seen = new Set<string>();
        await waitFor(
          `${name} load balancer to reach ${routable.map((i) => i.id).join(', ')}`,
          async () => {
            const id = await pingOk(`${env.url}/whoami`);
            if (typeof id === 'string') seen.add(id);
            return routable.every((i) => seen.has(i.id));
          },
          timeoutMs,
          10,
          stop.signal,
        );
      })(),
    );
  }
  // Fail fast if a process dies while we wait (bad config, port taken) instead of timing out.
  const watchdog = (async () => {
    while (!stop.signal.aborted) {
      await sleep(200);
      const dead = state.processes.find((p) => !isOurs(p.pid, state.dir));
      if (dead && !stop.signal.aborted) {
        throw exited(`${dead.env ?? 'lab'} ${dead.name} (pid ${dead.pid})`, logFileOf(state, dead));
      }
    }
  })();
  watchdog.catch(() => {});
  try {
    await Promise.race([Promise.all(waits), watchdog]);
  } finally {
    stop.abort();
  }
}

/** GET url; on a 200 the X-Instance-Id, else the body's `node` (/whoami, when identity headers are off); else false. */
async function pingOk(url: string): Promise<string | false> {
  const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000, reset: true });
  const body = await res.body.text();
  if (res.statusCode !== 200) return false;
  const header = res.headers['x-instance-id'];
  if (header) return String(header);
  try {
    return String((JSON.parse(body) as { node?: unknown }).node ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** The parity config the lab writes for itself, so every command can run against it. */
function writeLabConfig(state: LabState, topology: Topology): string {
  const environments: Record<string, unknown> = {};
  for (const [name, env] of Object.entries(state.environments)) {
    const topo = topology.environments[name];
    environments[name] = {
      role: name === 'production' ? 'production' : 'staging',
      url: env.url,
      redis: { url: env.redis.main.url },
      ...(state.elbv2
        ? {
            aws: {
              region: 'us-east-2',
              loadBalancerName: topo?.loadBalancer.name,
              endpoint: state.elbv2.url,
            },
          }
        : {}),
    };
  }
  const config = {
    environments,
    app: {
      expectedInstances: 2,
      sticky: { cookie: 'AWSALB', durationSeconds: 86400 },
      session: { ttlSeconds: 86400 },
    },
    // All-out: the lab is this machine, its own capacity is what a lab run measures.
    load: { path: '/ping', connections: 20, duration: '5s', rate: 'all-out' },
  };
  const file = join(state.dir, 'parity.config.yaml');
  writeFileSync(file, `# written by "parity lab up" for the embedded lab\n${stringify(config)}`);
  return file;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
