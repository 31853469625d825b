// Issue 24 (hardening III), configuration and bad input: one test per defect, through the CLI as
// the user ran it, against local servers on 127.0.0.1 (no lab, but for the stale-lab case).
// Each reproduces the defect on the code before the fix (a hang, a raw errno, a silent 0).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readUserFile, readUserFileSync } from '../src/config/read-user-file.js';
import { UsageError } from '../src/errors.js';
import { healthyApp } from './helpers/bad-servers.js';
import { BIN, runCli, type CliResult } from './helpers/cli.js';
import { staging, workspace } from './helpers/workspace.js';

const { work, keep, configFile, freshPath } = workspace('parity-hardening3-');

/**
 * Killed after 45 s: a hang (a FIFO read waits forever, before the fix) shows as code null. The
 * bound is loose on purpose: the first runs after a change rebuild the CLI's bundle, on a
 * machine shared with other test runs.
 */
const parity = (args: string[], env: NodeJS.ProcessEnv = {}, cwd = work): Promise<CliResult> =>
  runCli(args, { env, cwd, timeoutMs: 45_000 });

/** Exit 2 with exactly this one line on stderr, nothing on stdout, no stack trace, not killed. */
async function refused(run: Promise<CliResult>, line: string | RegExp): Promise<void> {
  const r = await run;
  expect(r.code, `killed (hung?): ${r.stderr}`).not.toBeNull();
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  if (typeof line === 'string') expect(r.stderr.trimEnd()).toBe(line);
  else expect(r.stderr.trimEnd()).toMatch(line);
}

const fifo = (name: string): string => {
  const path = join(work, name);
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
  return path;
};

describe.concurrent('7: files the user names are regular files under a cap', { timeout: 120_000 }, () => {
  it('--config a FIFO (no writer), /dev/zero, a folder, an 11 MB file, a symlink loop: one line, exit 2, at once', async () => {
    const pipe = fifo('config.fifo');
    const big = join(work, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(11 * 1024 * 1024)}\n`);
    const loop = join(work, 'loop-a.yaml');
    symlinkSync(join(work, 'loop-b.yaml'), loop);
    symlinkSync(loop, join(work, 'loop-b.yaml'));
    const cases: [string, string][] = [
      [pipe, 'it is a named pipe (FIFO), not a regular file'],
      ['/dev/zero', 'it is a character device, not a regular file'],
      [work, 'it is a folder, not a file'],
      [big, 'larger than 10 MB (11 MB); not read'],
      [loop, 'a loop of symbolic links (too many levels), not a file'],
    ];
    await Promise.all(
      cases.map(([path, why]) =>
        refused(parity(['smoke', '--config', path]), `parity: config error: config file ${path}: ${why}`),
      ),
    );
  });

  it('parity.config.yaml here that is a symlink loop is named, not taken for "no config" (the lab)', async () => {
    const dir = join(work, 'loop-here');
    mkdirSync(dir);
    symlinkSync(join(dir, 'parity.config.yaml'), join(dir, 'parity.config.yaml'));
    const why = `config file ${join(dir, 'parity.config.yaml')}: a loop of symbolic links (too many levels), not a file`;
    await refused(parity(['smoke', '--out', freshPath('reports')], {}, dir), `parity: config error: ${why}`);
    const doctor = await parity(['doctor'], {}, dir);
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toContain(`FAIL config: ${why}`);
  });

  it('parity diff and parity load merge: a FIFO or /dev/zero is one line, exit 2, at once (no hang, no bad_alloc)', async () => {
    const pipe = fifo('fp.fifo');
    await Promise.all([
      refused(
        parity(['diff', '/dev/zero', pipe]),
        'parity: fingerprint /dev/zero: it is a character device, not a regular file',
      ),
      refused(
        parity(['diff', pipe, '/dev/zero']),
        `parity: fingerprint ${pipe}: it is a named pipe (FIFO), not a regular file`,
      ),
      refused(
        parity(['load', 'merge', pipe, '/dev/zero']),
        /^parity: shard part (\/dev\/zero: it is a character device|.*fp\.fifo: it is a named pipe \(FIFO\)), not a regular file$/,
      ),
      refused(parity(['diff', work, work]), `parity: fingerprint ${work}: it is a folder, not a file`),
    ]);
  });

  it('readUserFile: the cap (named, per call), a FIFO without a writer refused at once, the bytes of a regular file', async () => {
    const file = join(work, 'ten.bin');
    writeFileSync(file, Buffer.alloc(10 * 1024 * 1024 + 1, 1));
    for (const read of [
      readUserFile,
      async (p: string, o: { what: string; maxBytes?: number }) => readUserFileSync(p, o),
    ]) {
      await expect(read(file, { what: 'fingerprint' })).rejects.toThrow(
        new UsageError(`fingerprint ${file}: larger than 10 MB (10 MB); not read`),
      );
      await expect(read(file, { what: 'x', maxBytes: 100 })).rejects.toThrow(/larger than 100 bytes/);
      const small = join(work, 'small.txt');
      writeFileSync(small, 'héllo');
      expect((await read(small, { what: 'x' })).toString('utf8')).toBe('héllo');
      await expect(read(join(work, 'absent'), { what: 'form file' })).rejects.toThrow(
        `form file ${join(work, 'absent')}: file not found`,
      );
    }
    // The async read leaves the event loop free: a FIFO is refused before a 1 s timer fires.
    const pipe = fifo('unit.fifo');
    const timer = new Promise((r) => setTimeout(() => r('timer'), 1000));
    expect(
      await Promise.race([readUserFile(pipe, { what: 'x' }).catch((e: Error) => e.message), timer]),
    ).toBe(`x ${pipe}: it is a named pipe (FIFO), not a regular file`);
  });
});

describe.concurrent(
  '9: waiver expiry is an ISO date, the same in every time zone',
  { timeout: 120_000 },
  () => {
    /** Two fingerprints that differ in one field, the way `parity fingerprint` writes them. */
    const fingerprints = () => {
      const fp = (env: string, role: string, type: string) => ({
        schemaVersion: 1,
        kind: 'parity-fingerprint',
        env,
        role,
        collectedAt: '2026-12-07T12:00:00.000Z',
        samples: 1,
        fields: { 'instances.types': type, 'http.status': 200 },
        raw: {},
        unknown: {},
        volatile: [],
      });
      const a = freshPath('staging', 'json');
      const b = freshPath('production', 'json');
      writeFileSync(a, JSON.stringify(fp('staging', 'staging', 't3.medium')));
      writeFileSync(b, JSON.stringify(fp('production', 'production', 't3.large')));
      return [a, b];
    };
    const waiver = (expires: string) =>
      configFile(
        staging('http://127.0.0.1:9') +
          `fingerprint:\n  expectDifferent:\n    - { path: instances.types, reason: "staging uses t3.medium", expires: "${expires}" }\n`,
      );
    const zones = ['Pacific/Kiritimati', 'UTC', 'Pacific/Pago_Pago'];

    it('"8 Dec 2026" (read in the local zone before) is a config error naming the key, in every zone', async () => {
      const [a, b] = fingerprints();
      const config = waiver('8 Dec 2026');
      for (const TZ of zones)
        await refused(
          parity(['diff', a, b, '--config', config], { TZ }),
          `parity: config error: ${config}: fingerprint.expectDifferent.0.expires: must be an ISO date YYYY-MM-DD (the last day it applies, UTC)`,
        );
    });

    it("today's date (UTC) still applies through the day, the same verdict in Kiritimati (UTC+14) and UTC", async () => {
      const [a, b] = fingerprints();
      // The last day it applies is today, UTC: valid until the day ends, whatever the local zone.
      const today = new Date().toISOString().slice(0, 10);
      const config = waiver(today);
      const runs = await Promise.all(
        zones.map((TZ) => parity(['diff', a, b, '--config', config, '--json'], { TZ })),
      );
      for (const r of runs) {
        expect(r.code, r.stderr).toBe(0);
        const diff = JSON.parse(r.stdout) as {
          differences: { path: string; class: string; note?: string }[];
        };
        expect(diff.differences).toEqual([
          expect.objectContaining({
            path: 'instances.types',
            class: 'expected',
            note: `staging uses t3.medium (until ${today})`,
          }),
        ]);
      }
    });
  },
);

describe.concurrent('smaller', { timeout: 120_000 }, () => {
  it("--converge '' and 0x10 (read as 0 and 16 before) are refused like --expect-version '', nothing sent", async () => {
    const app = await keep(healthyApp());
    const config = configFile(staging(app.url));
    for (const value of ['', '0x10', ' ', '1e3', '-1'])
      await refused(
        parity(['smoke', '--config', config, '--out', freshPath('reports'), '--converge', value]),
        `parity: --converge: must be a number of seconds from 0 to 3600 (got "${value}")`,
      );
    await refused(
      parity(['smoke', '--config', config, '--out', freshPath('reports'), '--deadline', '0x10']),
      'parity: --deadline: must be a number of seconds from 1 to 3600 (got "0x10")',
    );
    expect(app.hits).toEqual([]);
  });

  it('control characters in --expect-version are escaped in every terminal line (stdout and stderr)', async () => {
    const app = await keep(healthyApp());
    const config = configFile(staging(app.url));
    const version = 'v9\x1b[31m\x07\r';
    const r = await parity([
      'smoke',
      '--config',
      config,
      '--out',
      freshPath('reports'),
      '--expect-version',
      version,
      '--converge',
      '1',
    ]);
    expect(r.code, r.stderr).not.toBeNull();
    // eslint-disable-next-line no-control-regex
    expect(r.stdout + r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stderr).toContain('on version v9\\x1b[31m\\x07 (staging)');
  });

  it('TERM=dumb gets no line rewriting (\\e[2K) on a terminal; another terminal does', async (t) => {
    if (spawnSync('script', ['--version']).status !== 0) return t.skip(); // util-linux's pty wrapper
    const app = await keep(healthyApp());
    const config = configFile(staging(app.url));
    const onTty = (TERM: string) => {
      const command = [
        process.execPath,
        BIN,
        'smoke',
        '--config',
        config,
        '--out',
        freshPath('reports'),
        '--converge',
        '1',
      ];
      const r = spawnSync('script', ['-qec', command.map((w) => `'${w}'`).join(' '), '/dev/null'], {
        env: { ...process.env, TERM },
        cwd: work,
        encoding: 'utf8',
        timeout: 30_000,
      });
      return r.stdout;
    };
    expect(onTty('dumb')).not.toContain('\x1b[2K');
    expect(onTty('xterm-256color')).toContain('\x1b[2K');
  });

  it('a Redis URL with a newline or a bad % is a config error at load naming the key (was "URI malformed" at run time)', async () => {
    const cases: [string, RegExp][] = [
      ['redis://:pa%zzss@127.0.0.1:6379', /a "%" that is not a %XX escape/],
      ['redis://127.0.0.1:6379/0\\nFLUSHALL', /must not contain whitespace or control characters/],
    ];
    for (const [url, why] of cases) {
      const config = configFile(staging('http://127.0.0.1:9', `    redis: { url: "${url}" }\n`));
      const r = await parity(['fingerprint', '--config', config, '--env', 'staging', '--samples', '1']);
      await refused(
        Promise.resolve(r),
        new RegExp(`^parity: config error: ${config}: environments\\.staging\\.redis\\.url: `),
      );
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toContain('pa%zzss');
    }
  });

  it('{marker} in a header name and a CRLF header value are config errors (were a run-time failure)', async () => {
    const app = await keep(healthyApp());
    const journey = (headers: string) =>
      configFile(
        staging(app.url) +
          `journeys:\n  - name: j\n    steps:\n      - { name: s, request: { method: POST, path: /x, headers: ${headers} } }\n`,
      );
    await refused(
      parity(['smoke', '--config', journey('{ "x-{marker}": "1" }'), '--out', freshPath('reports')]),
      /^parity: config error: .*: journeys\.0\.steps\.0\.request\.headers\.x-\{marker\}: header names are letters, digits/,
    );
    await refused(
      parity([
        'smoke',
        '--config',
        journey('{ x-a: "1\\r\\nX-Injected: 2" }'),
        '--out',
        freshPath('reports'),
      ]),
      /^parity: config error: .*: journeys\.0\.steps\.0\.request\.headers\.x-a: a header value must not contain CR, LF or NUL$/,
    );
    expect(app.hits).toEqual([]);
  });

  it('--config a folder, PARITY_LAB_DIR under a file, TMPDIR missing: one line naming the setting; doctor checks both folders', async () => {
    await refused(
      parity(['smoke', '--config', work]),
      `parity: config error: config file ${work}: it is a folder, not a file`,
    );
    const aFile = join(work, 'plain-file');
    writeFileSync(aFile, 'x');
    const labDir = join(aFile, 'lab');
    await refused(
      parity(['lab', 'up'], { PARITY_LAB_DIR: labDir }),
      `parity: PARITY_LAB_DIR ${labDir}: a part of the path is a file, not a folder (set PARITY_LAB_DIR to a writable folder)`,
    );
    const noTmp = join(work, 'no-such-tmp');
    await refused(
      parity(['smoke', '--out', freshPath('reports')], { TMPDIR: noTmp }),
      `parity: TMPDIR ${noTmp}: no such folder (set TMPDIR to a writable folder)`,
    );
    const doctor = await parity(['doctor'], { PARITY_LAB_DIR: labDir, TMPDIR: noTmp });
    expect(doctor.code, doctor.stdout).toBe(2);
    expect(doctor.stdout).toContain(
      `FAIL folders: TMPDIR ${noTmp}: no such folder → set TMPDIR to a writable folder`,
    );
    expect(doctor.stdout).toContain(
      `FAIL folders: PARITY_LAB_DIR ${labDir}: a part of the path is a file, not a folder → set PARITY_LAB_DIR to a writable folder`,
    );
    const good = await parity(['doctor'], { PARITY_LAB_DIR: join(work, 'lab-ok') });
    expect(good.stdout).toMatch(/^ok {3}folders: writable: /m);
  });

  it('role is required on every environment of the file, also one whose ${VAR} is unset (was staging by default)', async () => {
    const app = await keep(healthyApp());
    const config = configFile(staging(app.url) + '  production:\n    url: ${PROD_URL_NEVER_SET_24}\n');
    await refused(
      parity(['smoke', '--config', config, '--env', 'staging', '--out', freshPath('reports')]),
      `parity: config error: ${config}: environments.production.role: required: say what this environment is (staging, production, other); an environment without a role is never written, loaded or drilled`,
    );
    expect(app.hits).toEqual([]);
  });

  it('an environment named like production with role: staging gets a loud warning (the run and doctor)', async () => {
    const app = await keep(healthyApp());
    const config = configFile(`environments:\n  prod-eu:\n    role: staging\n    url: ${app.url}\n`);
    const line =
      'WARNING: environments.prod-eu is named like production but has role: staging: parity may write to it, load it and drill it; if it is production, set role: production';
    const r = await parity(['fingerprint', '--config', config, '--env', 'prod-eu', '--samples', '1']);
    expect(r.stderr.split('\n')).toContain(line);
    const doctor = await parity(['doctor', '--config', config]);
    expect(doctor.stdout).toContain(`warn config: ${line.replace('WARNING: ', '')}`);
    const fine = configFile(`environments:\n  prod-eu:\n    role: production\n    url: ${app.url}\n`);
    const quiet = await parity(['fingerprint', '--config', fine, '--env', 'prod-eu', '--samples', '1']);
    expect(quiet.stderr).not.toContain('WARNING');
  });
});

describe('smaller: a stale lab', { timeout: 120_000 }, () => {
  it('parity smoke with a stale default lab says so before it starts a temporary one', async () => {
    const labDir = join(work, 'stale-lab');
    mkdirSync(labDir);
    // The state of a lab whose processes are gone (a reboot, kill -9): a pid that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(
      join(labDir, 'state.json'),
      JSON.stringify({
        version: 1,
        dir: labDir,
        startedAt: new Date().toISOString(),
        faults: [],
        environments: {},
        processes: [{ pid: dead, role: 'haproxy', env: 'staging', name: 'haproxy' }],
        ready: true,
      }),
    );
    const cwd = join(work, 'no-config-here');
    mkdirSync(cwd);
    const r = await runCli(['smoke', '--out', freshPath('reports'), '--deadline', '60'], {
      env: { PARITY_LAB_DIR: labDir },
      cwd,
      timeoutMs: 110_000,
    });
    expect(r.code, r.stderr).not.toBeNull();
    const lines = r.stderr.split('\n');
    const stale = lines.findIndex((l) =>
      l.startsWith(
        `parity: the embedded lab in ${labDir} is not running (stale: staging haproxy (pid ${dead}) gone)`,
      ),
    );
    const starting = lines.findIndex((l) =>
      l.startsWith('parity: no config file; starting the embedded lab in '),
    );
    expect(stale, r.stderr).toBeGreaterThanOrEqual(0);
    expect(starting, r.stderr).toBeGreaterThan(stale);
    // The stale lab's files are left as they were (its own `lab down` clears them).
    expect(parse(readFileSync(join(labDir, 'state.json'), 'utf8'))).toMatchObject({ dir: labDir });
  });
});
