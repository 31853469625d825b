import { StopWaiting } from '../errors.js';
import { spawn } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { isStopping } from '../process/lifecycle.js';
import { createServer, connect } from 'node:net';
import { sleep } from '../util.js';

/** Reserve n distinct free TCP ports on 127.0.0.1 (held together so none is handed out twice). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface SpawnSpec {
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Start a process that outlives this one (the lab keeps running after `lab up` returns).
 * Its output goes to a log file; the caller records the pid at once so `down` can find it.
 */
export function spawnDetached(spec: SpawnSpec): number {
  // Nothing new starts once a stop began (the stop then finds a lab it can take down whole).
  if (isStopping()) throw new StopWaiting(`not starting ${spec.command}: parity is stopping`);
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether pid is alive AND still one of ours: its command line contains the marker (the
 * lab's folder). A recycled pid belonging to someone else is never signalled.
 */
export function isOurs(pid: number, marker: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false; // zombie: already dead
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/**
 * Every live process whose command line names the lab folder (an argument that is the folder
 * or a path inside it): what `lab down` stops besides the recorded pids, so a process whose
 * pid never reached the state file (its starter killed in between) is found too.
 */
export function processesOf(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z/.test(stat)) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // The folder itself, a path inside it, or an option's value (`--lab-dir=<dir>`).
      if (args.some((a) => a === dir || a.includes(`${dir}/`) || a.endsWith(`=${dir}`)))
        pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** Stop one of our processes: SIGTERM, then SIGKILL after graceMs. Resolves when it is gone. */
export async function stopPid(pid: number, marker: string, graceMs = 2000): Promise<void> {
  if (!isOurs(pid, marker)) return;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(pid, marker)) return;
    await sleep(25);
  }
  signal(pid, 'SIGKILL');
  const hard = Date.now() + 2000;
  while (Date.now() < hard && isOurs(pid, marker)) await sleep(25);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Poll fn until it returns a value (not undefined/false) or the time is up. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 50,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new Error(`stopped waiting for ${what}`);
    if (isStopping()) throw new StopWaiting(`stopped waiting for ${what}: parity is stopping`);
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (err instanceof StopWaiting) throw err;
      lastError = err;
    }
    await sleep(intervalMs);
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}

/** One-shot TCP exchange (Redis PING, HAProxy runtime API). */
export function tcpExchange(
  target: { port: number; host?: string } | { path: string },
  payload: string,
  timeoutMs = 1000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = 'path' in target ? connect(target.path) : connect(target.port, target.host ?? '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (d) => {
      out += d.toString();
      if ('port' in target && out.includes('\r\n')) sock.end();
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
