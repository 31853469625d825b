// The OS binaries the lab runs (haproxy, redis-server), found on this machine or, on a fresh
// one, installed from the Debian packages when parity runs as root with apt-get (unless
// refused: --no-install or PARITY_NO_INSTALL=1); otherwise one line with the exact command.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { CannotRunError } from '../errors.js';

/** The OS binaries the lab runs, and the Debian package that brings each. */
export const LAB_BINARIES = { haproxy: 'haproxy', 'redis-server': 'redis-server' } as const;
export type LabBinary = keyof typeof LAB_BINARIES;

const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

/**
 * Where lab binaries are looked for: $PARITY_LAB_BIN_PATH alone when set (a custom build, or
 * a test of the missing-binary path), else PATH and the usual sbin folders.
 */
function searchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env.PARITY_LAB_BIN_PATH;
  if (override !== undefined) return override.split(':').filter(Boolean);
  return [...(env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
}

/** Absolute path of a binary, or null. */
export function findBinary(name: string, dirs = searchDirs()): string | null {
  for (const dir of dirs) {
    const candidate = `${dir}/${name}`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function missingBinaries(): LabBinary[] {
  return (Object.keys(LAB_BINARIES) as LabBinary[]).filter((b) => !findBinary(b));
}

/** Install refused by the user: PARITY_NO_INSTALL=1 (what --no-install sets too). */
export function installRefused(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PARITY_NO_INSTALL !== undefined && env.PARITY_NO_INSTALL !== '' && env.PARITY_NO_INSTALL !== '0';
}

/** --install / --no-install win over PARITY_NO_INSTALL; the lab reads the variable. */
export function applyInstallFlag(install: boolean | undefined): void {
  if (install === true) process.env.PARITY_NO_INSTALL = '';
  if (install === false) process.env.PARITY_NO_INSTALL = '1';
}

/** The apt-get to run (PARITY_APT_GET overrides it: a test's stand-in), or null when there is none. */
export function aptGet(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PARITY_APT_GET) return env.PARITY_APT_GET;
  return findBinary('apt-get', [...(env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH]);
}

export type InstallPlan =
  | { action: 'none' }
  | { action: 'install'; packages: string[]; aptGet: string; line: string }
  | { action: 'tell'; packages: string[]; line: string };

/**
 * Pure: what to do about missing packages. Root with apt-get and not refused: install them;
 * otherwise one line with the exact command (and why parity did not run it).
 */
export function installPlan(opts: {
  /** Debian packages that bring what is missing. */
  packages: string[];
  /** What is missing, for the line ("haproxy and redis-server"). */
  what: string;
  uid: number | undefined;
  aptGet: string | null;
  refused: boolean;
  /** Who needs them: "lab", "npm test". */
  who?: string;
}): InstallPlan {
  const { packages } = opts;
  if (packages.length === 0) return { action: 'none' };
  const who = opts.who ?? 'lab';
  const list = packages.join(' ');
  const root = opts.uid === 0;
  const plural = packages.length > 1 ? 's' : '';
  if (root && opts.aptGet && !opts.refused) {
    return {
      action: 'install',
      packages,
      aptGet: opts.aptGet,
      line: `${who}: ${opts.what} not installed; installing the Debian package${plural} ${list} with apt-get (--no-install or PARITY_NO_INSTALL=1 refuses)`,
    };
  }
  const command = `${root ? '' : 'sudo '}apt-get install -y ${list}`;
  const why = opts.refused
    ? ' (automatic install refused by --no-install / PARITY_NO_INSTALL)'
    : !opts.aptGet
      ? ' (no apt-get on this machine: install the equivalent packages)'
      : '';
  return {
    action: 'tell',
    packages,
    line: `${who}: ${opts.what} not installed (Debian package${plural} ${list}); install with: ${command}${why}`,
  };
}

/** How long apt-get may wait for the dpkg lock another apt-get or dpkg holds. */
const APT_LOCK_TIMEOUT_S = 300;
/** The whole install's bound (a download on a slow mirror included). */
const APT_TIMEOUT_MS = 15 * 60_000;

/** One apt-get run; resolves with its exit code and the tail of its output. */
function runApt(
  bin: string,
  args: string[],
  log: (line: string) => void,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['-o', `DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT_S}`, ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let saidWaiting = false;
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
      // Another apt-get/dpkg holds the lock (a concurrent install): say so once, then wait.
      if (!saidWaiting && /Waiting for cache lock|Could not get lock/i.test(output)) {
        saidWaiting = true;
        log(
          `apt-get: waiting for the dpkg lock another apt-get or dpkg holds (up to ${APT_LOCK_TIMEOUT_S} s)`,
        );
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGTERM'), APT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const lastLine = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => /^E:|error/i.test(l))
    .pop() ??
  s.trim().split('\n').pop() ??
  '';

/**
 * `apt-get install -y PKGS` (a no-op for what is already installed), waiting a bounded time for
 * the dpkg lock when another install runs. The package lists are updated only when apt does
 * not know a package yet (a fresh container has none).
 */
export async function aptInstall(
  bin: string,
  packages: string[],
  log: (line: string) => void,
): Promise<void> {
  const install = () => runApt(bin, ['install', '-y', '-qq', '--no-install-recommends', ...packages], log);
  let res = await install();
  if (res.code !== 0 && /Unable to locate package|has no installation candidate/i.test(res.output)) {
    const update = await runApt(bin, ['update', '-qq'], log);
    if (update.code !== 0)
      throw new CannotRunError(`apt-get update failed (exit ${update.code}): ${lastLine(update.output)}`);
    res = await install();
  }
  if (res.code !== 0) {
    throw new CannotRunError(
      `apt-get install ${packages.join(' ')} failed (exit ${res.code}): ${lastLine(res.output)}`,
    );
  }
}

const and = (xs: string[]) => xs.join(' and ');

/**
 * Every lab binary's path. When some are missing: install them (root, apt-get, not refused)
 * with one line saying so, else fail with one line giving the exact command.
 */
export async function ensureBinaries(
  log: (line: string) => void = () => {},
): Promise<Record<LabBinary, string>> {
  const missing = missingBinaries();
  const plan = installPlan({
    packages: missing.map((m) => LAB_BINARIES[m]),
    what: and(missing),
    uid: process.getuid?.(),
    aptGet: aptGet(),
    refused: installRefused(),
  });
  if (plan.action === 'tell') throw new CannotRunError(plan.line);
  if (plan.action === 'install') {
    log(plan.line);
    await aptInstall(plan.aptGet, plan.packages, log);
    const still = missingBinaries();
    if (still.length) {
      throw new CannotRunError(
        `lab: apt-get installed ${plan.packages.join(' ')}, but ${and(still)} ${still.length > 1 ? 'are' : 'is'} still not found in ${searchDirs().join(':') || '(an empty PARITY_LAB_BIN_PATH)'}`,
      );
    }
  }
  return { haproxy: findBinary('haproxy')!, 'redis-server': findBinary('redis-server')! };
}
