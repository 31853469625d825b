// A fresh machine: the lab finds haproxy and redis-server, installs them when it may (root,
// apt-get, not refused), else says in one line how. Detection is tested with
// PARITY_LAB_BIN_PATH pointing at an empty folder (the real packages stay installed: other
// work on this machine uses them); the install path runs a stand-in apt-get (PARITY_APT_GET)
// that links the real binaries into that folder, and the real apt-get where the test runs
// as root (a no-op for installed packages).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aptGet, aptInstall, findBinary, installPlan } from '../src/lab/binaries.js';
import { runCli as parity } from './helpers/cli.js';
import { processesMentioning } from './helpers/procs.js';
import { missingTestPackages } from './global-setup.js';

const work = mkdtempSync(join(tmpdir(), 'parity-bins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const root = process.getuid?.() === 0;
const both = { packages: ['haproxy', 'redis-server'], what: 'haproxy and redis-server' };
const lineOf = (p: ReturnType<typeof installPlan>) => (p.action === 'none' ? '' : p.line);

describe('installPlan (pure)', () => {
  it('root with apt-get installs, saying what and how to refuse', () => {
    expect(installPlan({ ...both, uid: 0, aptGet: '/usr/bin/apt-get', refused: false })).toEqual({
      action: 'install',
      packages: ['haproxy', 'redis-server'],
      aptGet: '/usr/bin/apt-get',
      line: 'lab: haproxy and redis-server not installed; installing the Debian packages haproxy redis-server with apt-get (--no-install or PARITY_NO_INSTALL=1 refuses)',
    });
  });
  it('otherwise one line with the exact command', () => {
    expect(installPlan({ ...both, uid: 1000, aptGet: '/usr/bin/apt-get', refused: false })).toMatchObject({
      action: 'tell',
      line: 'lab: haproxy and redis-server not installed (Debian packages haproxy redis-server); install with: sudo apt-get install -y haproxy redis-server',
    });
    expect(lineOf(installPlan({ ...both, uid: 0, aptGet: '/usr/bin/apt-get', refused: true }))).toBe(
      'lab: haproxy and redis-server not installed (Debian packages haproxy redis-server); install with: apt-get install -y haproxy redis-server (automatic install refused by --no-install / PARITY_NO_INSTALL)',
    );
    expect(
      lineOf(installPlan({ packages: ['haproxy'], what: 'haproxy', uid: 0, aptGet: null, refused: false })),
    ).toBe(
      'lab: haproxy not installed (Debian package haproxy); install with: apt-get install -y haproxy (no apt-get on this machine: install the equivalent packages)',
    );
    expect(installPlan({ ...both, packages: [], uid: 0, aptGet: 'x', refused: false })).toEqual({
      action: 'none',
    });
  });
});

/** An empty folder to look for binaries in: the lab sees a fresh machine. */
const emptyBin = () => mkdtempSync(join(work, 'bin-'));

describe('detection on a fresh machine (PARITY_LAB_BIN_PATH = an empty folder)', () => {
  it('refused (--no-install, PARITY_NO_INSTALL=1): exit 3, one line with the command, nothing started', async () => {
    const labDir = join(work, 'lab-refused');
    const env = { PARITY_LAB_BIN_PATH: emptyBin(), PARITY_LAB_DIR: labDir };
    const viaFlag = await parity(['lab', 'up', '--no-install'], { env });
    const viaEnv = await parity(['lab', 'up'], { env: { ...env, PARITY_NO_INSTALL: '1' } });
    for (const run of [viaFlag, viaEnv]) {
      expect(run.code).toBe(3);
      expect(run.stderr).toBe(
        `parity: lab: haproxy and redis-server not installed (Debian packages haproxy redis-server); install with: ${root ? '' : 'sudo '}apt-get install -y haproxy redis-server (automatic install refused by --no-install / PARITY_NO_INSTALL)\n`,
      );
    }
    const smoke = await parity(['smoke', '--no-install'], { env, cwd: work });
    expect(smoke.code).toBe(3);
    expect(smoke.stderr).toContain('parity: lab: haproxy and redis-server not installed');
    expect(processesMentioning(labDir)).toEqual([]);
  });

  it.runIf(root)(
    'as root: installs with apt-get (a stand-in that links the real binaries), one line, then runs',
    async () => {
      const bin = emptyBin();
      const log = join(work, 'apt-args');
      const fake = join(work, 'apt-get');
      const real = { haproxy: findBinary('haproxy')!, redis: findBinary('redis-server')! };
      writeFileSync(
        fake,
        `#!/bin/sh\necho "$@" >> '${log}'\nln -sf '${real.haproxy}' '${bin}/haproxy'\nln -sf '${real.redis}' '${bin}/redis-server'\n`,
      );
      chmodSync(fake, 0o755);
      const labDir = join(work, 'lab-fresh');
      const env = {
        PARITY_LAB_BIN_PATH: bin,
        PARITY_LAB_DIR: labDir,
        PARITY_APT_GET: fake,
        PARITY_NO_INSTALL: '',
      };
      try {
        const up = await parity(['lab', 'up', '--json'], { env });
        expect(up.code, up.stderr).toBe(0);
        const lines = up.stderr.split('\n').filter((l) => /install/.test(l));
        expect(lines).toEqual([
          'lab: haproxy and redis-server not installed; installing the Debian packages haproxy redis-server with apt-get (--no-install or PARITY_NO_INSTALL=1 refuses)',
        ]);
        expect(readFileSync(log, 'utf8')).toBe(
          '-o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends haproxy redis-server\n',
        );
      } finally {
        await parity(['lab', 'down'], { env });
      }
      expect(processesMentioning(labDir)).toEqual([]);
    },
  );

  it.runIf(root)(
    'apt-get that finds the lock taken says so once; unknown packages update the lists once',
    async () => {
      const calls = join(work, 'apt-calls');
      const fake = join(work, 'apt-get-locked');
      // install fails "Unable to locate" until an update ran; every run first waits for the lock
      writeFileSync(
        fake,
        `#!/bin/sh\necho "$@" >> '${calls}'\necho 'Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1 (apt-get)' >&2\n` +
          `case "$*" in *update*) touch '${calls}.updated'; exit 0;; esac\n` +
          `[ -e '${calls}.updated' ] || { echo 'E: Unable to locate package haproxy' >&2; exit 100; }\nexit 0\n`,
      );
      chmodSync(fake, 0o755);
      const lines: string[] = [];
      await aptInstall(fake, ['haproxy'], (l) => lines.push(l));
      expect(
        readFileSync(calls, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.replace('-o DPkg::Lock::Timeout=300 ', '')),
      ).toEqual([
        'install -y -qq --no-install-recommends haproxy',
        'update -qq',
        'install -y -qq --no-install-recommends haproxy',
      ]);
      expect(lines).toContain(
        'apt-get: waiting for the dpkg lock another apt-get or dpkg holds (up to 300 s)',
      );
      // a failure is one line with apt's own error
      const failing = join(work, 'apt-get-fails');
      writeFileSync(failing, `#!/bin/sh\necho 'E: Package haproxy has a broken dependency' >&2\nexit 100\n`);
      chmodSync(failing, 0o755);
      await expect(aptInstall(failing, ['haproxy'], () => {})).rejects.toThrow(
        'apt-get install haproxy failed (exit 100): E: Package haproxy has a broken dependency',
      );
    },
  );

  it.runIf(root && aptGet({ PATH: process.env.PATH }) !== null)(
    'the real apt-get install of the lab packages succeeds (a no-op where they are installed)',
    async () => {
      await aptInstall(aptGet({ PATH: process.env.PATH })!, ['haproxy', 'redis-server'], () => {});
      expect(findBinary('haproxy')).not.toBeNull();
      expect(findBinary('redis-server')).not.toBeNull();
    },
    12 * 60_000,
  );

  it('the npm test global setup sees what is missing the same way', () => {
    const saved = process.env.PARITY_LAB_BIN_PATH;
    process.env.PARITY_LAB_BIN_PATH = emptyBin();
    try {
      expect(missingTestPackages().packages.slice(0, 2)).toEqual(['haproxy', 'redis-server']);
    } finally {
      if (saved === undefined) delete process.env.PARITY_LAB_BIN_PATH;
      else process.env.PARITY_LAB_BIN_PATH = saved;
    }
    expect(missingTestPackages().packages).toEqual([]);
  });
});
