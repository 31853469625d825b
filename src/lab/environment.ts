// Process control of the lab: the ports an environment keeps, starting its Redis servers,
// app instances and HAProxy (and the shared ELBv2 and EC2 endpoints), and waiting until all answer.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { PortTakenError, StopWaiting } from '../errors.js';
import { fixturePath } from '../paths.js';
import { bundleEntry } from './bundle.js';
import { admitsWorld } from './ec2-model.js';
import { freeLoopbackAddress } from './public-address.js';
import { haproxyConfig } from './haproxy-config.js';
import { sleep } from '../util.js';
import { freePorts, isOurs, spawnDetached, tcpExchange, waitFor } from './processes.js';
import { serverStats } from './runtime-api.js';
import { writeState, type EnvState, type LabState, type ProcessRecord } from './state.js';
import type { EnvTopology, Topology } from './topology.js';
import { uploadEnv } from './uploads.js';
import { frontendEnv } from './frontend.js';

/** The ports an environment keeps for its whole life, so its URLs survive a fault being applied. */
export interface EnvPorts {
  lb: number;
  redis: Record<string, number>;
  instances: Record<string, number>;
}

export async function allocatePorts(topo: EnvTopology): Promise<EnvPorts> {
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

export function portsOf(env: EnvState): EnvPorts {
  return {
    lb: env.lbPort,
    redis: Object.fromEntries(Object.entries(env.redis).map(([k, v]) => [k, v.port])),
    instances: Object.fromEntries(env.instances.map((i) => [i.id, i.port])),
  };
}

/** HAProxy takes a socket path of at most 97 bytes (sun_path, less its temp suffix). */
const MAX_SOCKET_PATH = 90;

/**
 * HAProxy's runtime API socket: in the environment's folder, unless that path is too long for
 * a unix socket (a deep TMPDIR), where HAProxy would exit at start. Then a short path in /tmp,
 * named by the folder (labDown removes it).
 */
function runtimeSocketPath(envDir: string): string {
  const inside = join(envDir, 'haproxy.sock');
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside;
  return join(
    '/tmp',
    `parity-haproxy-${createHash('sha256').update(envDir).digest('hex').slice(0, 16)}.sock`,
  );
}

export async function startEnvironment(
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
    socketPath: runtimeSocketPath(envDir),
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
  // EC2 "public" addresses: a free loopback address per instance that has one; the instance
  // answers there (on the target port) only when its security group admits the world.
  for (const [i, inst] of topo.instances.entries()) {
    if (inst.publicIp)
      env.instances[i].publicIp = await freeLoopbackAddress(topo.targetGroup.port, env.instances);
  }

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
    const pid = await spawnApp(state, name, topo, i);
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

/**
 * Start instance number i of an environment (its state already in `state`) at the version its
 * state names, and set its pid there; the caller records the process. `bootMs`: a restart's
 * boot time before it listens (`parity lab deploy`).
 */
export async function spawnApp(
  state: LabState,
  name: string,
  topo: EnvTopology,
  i: number,
  bootMs = 0,
): Promise<number> {
  const envDir = join(state.dir, name);
  const env = state.environments[name];
  const inst = topo.instances[i];
  const publicPort = topo.targetGroup.port;
  const pid = spawnDetached({
    command: process.execPath,
    args: [await bundleEntry(fixturePath('app/server.ts'), 'app'), `--lab-dir=${state.dir}`],
    logFile: join(envDir, `app-${inst.id}.log`),
    env: {
      ...process.env,
      PORT: String(env.instances[i].port),
      HOST: '127.0.0.1',
      INSTANCE_ID: inst.id,
      APP_VERSION: env.instances[i].version,
      REDIS_URL: env.redis[inst.redis].url,
      SESSION_SECRET: `lab-${name}-secret`,
      SESSION_TTL: String(topo.app.sessionTtlSeconds),
      HEALTH: inst.health,
      LATENCY_MS: String(inst.latencyMs),
      ...(bootMs ? { BOOT_DELAY_MS: String(bootMs) } : {}),
      ...(env.instances[i].publicIp && admitsWorld(topo, publicPort)
        ? { PUBLIC_HOST: env.instances[i].publicIp, PUBLIC_PORT: String(publicPort) }
        : {}),
      ...(topo.app.identityHeaders === false ? { IDENTITY_HEADERS: '0' } : {}),
      ...(topo.app.sessionCookie ? { SESSION_COOKIE: topo.app.sessionCookie } : {}),
      ...(topo.app.redisPrefix !== undefined ? { REDIS_PREFIX: topo.app.redisPrefix } : {}),
      ...(topo.app.sessionStore === 'memory' ? { SESSION_STORE: 'memory' } : {}),
      ...uploadEnv(envDir, topo, inst.id),
      ...frontendEnv(topo.app),
      ...(topo.app.stream?.buffered ? { STREAM_BUFFERED: '1' } : {}),
    },
  });
  env.instances[i].pid = pid;
  return pid;
}

/** The lab's ELBv2 and EC2 APIs (one process for every environment, a port each); started alongside the environments. */
export async function startElbv2(state: LabState, timeoutMs: number): Promise<void> {
  const [[port, ec2Port], entry] = await Promise.all([
    freePorts(2),
    bundleEntry(fileURLToPath(new URL('./elbv2-main.ts', import.meta.url)), 'elbv2'),
  ]);
  const pid = spawnDetached({
    command: process.execPath,
    args: [entry, `--lab-dir=${state.dir}`, `--port=${port}`, `--ec2-port=${ec2Port}`],
    logFile: join(state.dir, 'elbv2.log'),
  });
  state.processes.push({ pid, role: 'elbv2', name: 'elbv2' });
  state.elbv2 = { url: `http://127.0.0.1:${port}`, port };
  state.ec2 = { url: `http://127.0.0.1:${ec2Port}`, port: ec2Port };
  writeState(state);
  for (const [what, url] of [
    ['ELBv2 endpoint', state.elbv2.url],
    ['EC2 endpoint', state.ec2.url],
  ]) {
    await waitFor(
      what,
      async () => {
        if (!isOurs(pid, state.dir)) throw exited(what, join(state.dir, 'elbv2.log'));
        const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000, reset: true });
        await res.body.dump();
        return res.statusCode === 200;
      },
      timeoutMs,
    );
  }
}

/** The error for a lab process that exited while starting, with the cause when its log tells it. */
function exited(what: string, logFile: string): StopWaiting {
  let tail = '';
  try {
    tail = readFileSync(logFile, 'utf8').slice(-4000);
  } catch {
    // no log yet
  }
  if (/EADDRINUSE|Address already in use|cannot bind socket/i.test(tail)) {
    return new PortTakenError(`${what} exited: its port was taken`);
  }
  return new StopWaiting(`${what} exited; see ${logFile}`);
}

/** Where a lab process logs. */
function logFileOf(state: LabState, p: ProcessRecord): string {
  return join(state.dir, p.env ?? '', p.role === 'app' ? `app-${p.name}.log` : `${p.name}.log`);
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
export async function waitHealthy(state: LabState, topology: Topology, timeoutMs: number): Promise<void> {
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
