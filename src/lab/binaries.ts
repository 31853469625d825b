import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { CannotRunError } from '../errors.js';

/** The OS binaries the lab runs, and the Debian package that brings each. */
const LAB_BINARIES = { haproxy: 'haproxy', 'redis-server': 'redis-server' } as const;
export type LabBinary = keyof typeof LAB_BINARIES;

const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

/**
 * Where lab binaries are looked for: $PARITY_LAB_BIN_PATH alone when set (a custom build, or
 * a test of the missing-binary path), else PATH and the usual sbin folders.
 */
function searchDirs(): string[] {
  const override = process.env.PARITY_LAB_BIN_PATH;
  if (override !== undefined) return override.split(':').filter(Boolean);
  return [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
}

/** Absolute path of a binary, or null. */
export function findBinary(name: string): string | null {
  const dirs = searchDirs();
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

/** Resolve every lab binary or fail with one line that says how to install them. */
export function requireBinaries(): Record<LabBinary, string> {
  const missing = missingBinaries();
  if (missing.length > 0) {
    const pkgs = missing.map((m) => LAB_BINARIES[m]).join(' ');
    throw new CannotRunError(
      `lab: ${missing.join(' and ')} not installed (Debian package${missing.length > 1 ? 's' : ''} ${pkgs}); install with: sudo apt-get install -y ${pkgs}, or run: parity lab up --install (as root)`,
    );
  }
  return { haproxy: findBinary('haproxy')!, 'redis-server': findBinary('redis-server')! };
}

/** `parity lab up --install`: install the missing packages with apt-get (root only). */
export function installBinaries(log: (line: string) => void): void {
  const missing = missingBinaries();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new CannotRunError(
      `lab: --install needs root to run apt-get; run: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  const pkgs = missing.map((m) => LAB_BINARIES[m]);
  log(`installing ${pkgs.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const res = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'ignore', env });
  if (res.status !== 0)
    throw new CannotRunError(`lab: apt-get install ${pkgs.join(' ')} failed (exit ${res.status})`);
}
