// Issue 12 (hardening II): one test per defect an adversarial user found, each through the CLI
// as the user ran it, against local servers that misbehave on purpose (127.0.0.1 only).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { healthyApp, httpServer, rawServer, redisServer, type Local } from './helpers/bad-servers.js';
import { BIN, runCli, type CliResult } from './helpers/cli.js';
import { staging, workspace } from './helpers/workspace.js';

const { work, keep, configFile, freshPath } = workspace('parity-hardening-');

function parity(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(args, { env, cwd: work, timeoutMs: 100_000 });
}

/** Never a stack trace, never killed by the timeout. */
function clean(r: CliResult): void {
  expect(r.code, `killed (hung?): ${r.stderr}`).not.toBeNull();
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
}

interface CheckRow {
  id: string;
  status: string;
  diagnosis: string;
}
/** The checks of a `--json` run. */
const checksOf = (r: CliResult) => (JSON.parse(r.stdout) as { checks: CheckRow[] }).checks;

/** `parity smoke --json` with a config, its reports in a folder of its own (tests run concurrently). */
const smokeJson = (config: string) =>
  parity(['smoke', '--config', config, '--out', freshPath('reports'), '--json']);

/** A raw TCP server that reads a request and closes the connection without answering. */
const closingServer = () => rawServer((s) => s.destroy());

const loadArgs = (config: string) => ['load', '--config', config, '--duration', '2', '--connections', '2'];

describe.concurrent('5: outputs checked before the run', { timeout: 150_000 }, () => {
  // Root ignores permission bits: an unwritable place is a path under a regular FILE (and,
  // where this process may mount, a read-only tmpfs below).
  const aFile = join(work, 'a-regular-file');
  writeFileSync(aFile, 'not a folder\n');
  const refused = (r: CliResult, path: string, why: string) => {
    clean(r);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([`parity: --out ${path}: cannot be written (${why})`]);
  };
  const under = 'a part of the path is a file, not a folder';
  const cases: [string, (config: string, out: string) => string[], string][] = [
    ['smoke', (c, o) => ['smoke', '--config', c, '--out', o], 'sub'],
    ['nightly', (c, o) => ['nightly', '--config', c, '--out', o], 'sub'],
    ['signoff', (c, o) => ['signoff', '--config', c, '--out', o], 'sub'],
    [
      'fingerprint --out',
      (c, o) => ['fingerprint', '--config', c, '--env', 'staging', '--out', o],
      'sub/fp.json',
    ],
    ['load --out', (c, o) => [...loadArgs(c), '--out', o], 'sub/load.json'],
    ['load --shard --out', (c, o) => [...loadArgs(c), '--shard', '1/2', '--out', o], 'sub/part-1.json'],
  ];
  for (const [name, args, rel] of cases) {
    it(`${name} inside a path that is a file: exit 2 in one line, not one request sent`, async () => {
      const app = await keep(healthyApp());
      const out = join(aFile, rel);
      refused(await parity(args(configFile(staging(app.url)), out)), out, under);
      expect(app.hits).toEqual([]);
    });
  }

  it('a read-only file system (tmpfs mounted ro): smoke and load --shard refused, not one request sent', async (t) => {
    const ro = mkdtempSync(join(work, 'ro-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]).status === 0;
    // Mounting needs CAP_SYS_ADMIN: without it the path-under-a-file cases above stand alone.
    if (!mounted) return t.skip();
    try {
      const app = await keep(healthyApp());
      const config = configFile(staging(app.url));
      refused(
        await parity(['smoke', '--config', config, '--out', join(ro, 'reports')]),
        join(ro, 'reports'),
        'read-only file system',
      );
      const part = join(ro, 'part-1.json');
      refused(
        await parity([...loadArgs(config), '--shard', '1/2', '--out', part]),
        part,
        'read-only file system',
      );
      expect(app.hits).toEqual([]);
    } finally {
      spawnSync('umount', [ro]);
    }
  });

  it('fingerprint --out and load --shard --out create missing parent folders', async () => {
    const app = await keep(healthyApp());
    const config = configFile(staging(app.url));
    const fp = join(work, 'new-fp', 'a', 'b', 'fp.json');
    const part = join(work, 'new-part', 'c', 'd', 'part-1.json');
    const [f, l] = await Promise.all([
      parity(['fingerprint', '--config', config, '--env', 'staging', '--samples', '1', '--out', fp]),
      parity([...loadArgs(config), '--shard', '1/2', '--out', part]),
    ]);
    clean(f);
    clean(l);
    expect(l.code, l.stderr).toBe(0);
    expect(existsSync(part), l.stderr).toBe(true);
    expect(JSON.parse(readFileSync(part, 'utf8'))).toHaveProperty('shard');
    expect(existsSync(fp), f.stderr).toBe(true);
    expect(JSON.parse(readFileSync(fp, 'utf8'))).toMatchObject({ env: 'staging' });
  });
});

describe.concurrent('6: load accounting', { timeout: 150_000 }, () => {
  it('a server that closes every connection: the requests are errors, load.distribution FAILS (exit 1) naming the cause', async () => {
    const srv = await keep(closingServer());
    const r = await parity([...loadArgs(configFile(staging(srv.url))), '--json']);
    clean(r);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as {
      errors: number;
      errorRate: number;
      checks: { status: string; diagnosis: string }[];
    };
    expect(out.errors).toBeGreaterThan(0);
    expect(out.errorRate).toBe(1);
    expect(out.checks[0].status).toBe('fail');
    expect(out.checks[0].diagnosis).toMatch(
      /\d+ requests got no response: .*closed the connection without answering/,
    );
  });

  it('a server that answers 302 to everything: the diagnosis says the load measured the redirect', async () => {
    let k = 0;
    const srv = await keep(
      httpServer((_req, res) => {
        res.writeHead(302, { location: '/login', 'x-instance-id': k++ % 2 ? 'i-a' : 'i-b' });
        res.end();
      }),
    );
    const r = await parity(loadArgs(configFile(staging(srv.url))));
    clean(r);
    expect(r.stdout).toMatch(
      /load\.distribution .*most answers were redirects \(302×[\d,]+ of [\d,]+\): the load measured the redirect, not the app/,
    );
  });
});

/** A stand-in ALB whose identity header names a new "instance" on every answer. */
function manyIdentities(): Promise<Local> {
  let k = 0;
  return httpServer((req, res) => {
    const id = `i-${String(k++).padStart(17, '0')}`;
    res.writeHead(200, { 'content-type': 'application/json', 'x-instance-id': id, 'x-app-version': '1.0.0' });
    res.end(req.url === '/health' ? '{"overall":"healthy"}' : '{"status":"ok"}');
  });
}

describe.concurrent('7: bounded diagnoses', { timeout: 150_000 }, () => {
  it('an identity header with thousands of values: load.distribution FAILS naming the count and the first few', async () => {
    const srv = await keep(manyIdentities());
    const r = await parity([...loadArgs(configFile(staging(srv.url))), '--json']);
    clean(r);
    expect(r.code, r.stderr).toBe(1);
    const check = checksOf(r)[0];
    expect(check.status).toBe('fail');
    expect(check.diagnosis).toMatch(
      /^[\d,]+ instances answered, expected 2: i-\d+ 1, i-\d+ 1, i-\d+ 1 and [\d,]+ more/,
    );
    expect(check.diagnosis.length).toBeLessThanOrEqual(700);
    // The human output too: no line of it is longer than a few hundred characters.
    const human = await parity(loadArgs(configFile(staging(srv.url))));
    for (const line of (human.stdout + human.stderr).split('\n'))
      expect(line.length).toBeLessThanOrEqual(700);
  });

  it('no diagnosis of a smoke run is longer than a few hundred characters', async () => {
    const srv = await keep(manyIdentities());
    const r = await smokeJson(configFile(staging(srv.url)));
    clean(r);
    const checks = checksOf(r);
    expect(checks.length).toBeGreaterThan(5);
    for (const c of checks) expect(c.diagnosis.length, c.diagnosis).toBeLessThanOrEqual(700);
  });
});

/** A raw HTTP/1.1 server whose every answer carries a header with a control character in its value. */
const badHeaderServer = () =>
  rawServer((s) => {
    const body = '{"overall":"healthy"}';
    s.write(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-instance-id: i-a\r\nX-Debug: a\u0001b\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
  });

describe.concurrent('8: diagnoses name the real cause', { timeout: 150_000 }, () => {
  const fingerprint = async (url: string, extra: string) =>
    parity([
      'fingerprint',
      '--env',
      'staging',
      '--samples',
      '1',
      '--config',
      configFile(staging(url, extra)),
      '--out',
      freshPath('fp', 'json'),
    ]);
  const aws = (endpoint: string) =>
    `    aws: { region: us-east-2, loadBalancerName: chatmrpt-alb, endpoint: "${endpoint}" }\n`;
  const lastLine = (r: CliResult) => r.stderr.trimEnd().split('\n').pop() ?? '';
  /** A stand-in AWS endpoint that gives every request the same answer. */
  const answering = (status: number, type: string, body: string) =>
    keep(
      httpServer((_req, res) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      }),
    );

  it('AWS answering HTTP 500 forever: "the ELBv2 endpoint answered HTTP 500 five times"', async () => {
    const app = await keep(healthyApp());
    const elb = await answering(500, 'text/plain', 'Internal Server Error');
    const r = await fingerprint(app.url, aws(elb.url));
    clean(r);
    expect(r.code).toBe(3);
    expect(lastLine(r)).toMatch(
      /: the ELBv2 endpoint answered HTTP 500 five times \(DescribeLoadBalancers\)/,
    );
    expect(elb.hits).toHaveLength(5);
  });

  it('an HTML 200 from the AWS endpoint: "the endpoint answered HTML, not the AWS API"', async () => {
    const app = await keep(healthyApp());
    const elb = await answering(200, 'text/html', '<html><body>Sign in</body></html>');
    const r = await fingerprint(app.url, aws(elb.url));
    clean(r);
    expect(r.code).toBe(3);
    expect(lastLine(r)).toMatch(/: the endpoint answered HTML, not the AWS API/);
    expect(r.stderr).not.toMatch(/not found/);
  });

  it('https:// to a plain-HTTP port: "TLS handshake failed: the server does not speak TLS"', async () => {
    const app = await keep(healthyApp());
    const r = await smokeJson(configFile(staging(app.url.replace('http:', 'https:'))));
    clean(r);
    const health = checksOf(r).find((c) => c.id === 'health.alb')!;
    expect(health.diagnosis).toMatch(/TLS handshake failed: the server does not speak TLS/);
    expect(r.stdout + r.stderr).not.toMatch(/SSL routines|openssl/);
  });

  it('rediss:// to a plain Redis: "TLS handshake failed: the server does not speak TLS", not "timed out"', async () => {
    const app = await keep(healthyApp());
    const redis = await keep(redisServer());
    const r = await fingerprint(app.url, `    redis: { url: "rediss://127.0.0.1:${redis.port}" }\n`);
    clean(r);
    expect(r.code).toBe(3);
    expect(lastLine(r)).toMatch(
      /redis 127\.0\.0\.1:\d+: TLS handshake failed: the server does not speak TLS/,
    );
  });

  it('a control character in an unrelated response header: "invalid response header X-Debug: control character"', async () => {
    const srv = await keep(badHeaderServer());
    const r = await smokeJson(configFile(staging(srv.url)));
    clean(r);
    expect(checksOf(r).find((c) => c.id === 'health.alb')!.diagnosis).toMatch(
      /invalid response header X-Debug: control character \(0x01\)/,
    );
    expect(r.stdout).not.toMatch(/body length does not match/);
  });
});

describe.concurrent('9: the sticky cookie', { timeout: 150_000 }, () => {
  /** A stand-in ALB that sets the given Set-Cookie on every answer; ids alternate. */
  const albSetting = (setCookie: string) => {
    let k = 0;
    return httpServer((req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-instance-id': k++ % 2 ? 'i-00000000000000a01' : 'i-00000000000000b02',
        'x-app-version': '1.0.0',
        'set-cookie': setCookie,
      });
      res.end(req.url === '/health' ? '{"overall":"healthy"}' : '{}');
    });
  };
  for (const [setCookie, why] of [
    ['AWSALB=; Expires=Tue, 08 Dec 2026 10:00:00 GMT; Path=/', /set AWSALB with an empty value/],
    ['AWSALB', /set AWSALB without a value/],
  ] as const)
    it(`Set-Cookie: ${setCookie.split(';')[0]} → sticky.cookie FAILS naming the cause`, async () => {
      const srv = await keep(albSetting(setCookie));
      const r = await smokeJson(configFile(staging(srv.url)));
      clean(r);
      const cookie = checksOf(r).find((c) => c.id === 'sticky.cookie')!;
      expect(cookie.status).toBe('fail');
      expect(cookie.diagnosis).toMatch(why);
    });
});

describe.concurrent('10: config', { timeout: 150_000 }, () => {
  it('load.duration: 0.0001ms in the config → exit 2, one line naming the config key (not --duration)', async () => {
    const app = await keep(healthyApp());
    const r = await parity([
      'load',
      '--config',
      configFile(staging(app.url, 'load: { duration: 0.0001ms }\n')),
    ]);
    clean(r);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(
      /^parity: config error: load\.duration must be at least 1 s and at most 600 s, got [\d.e-]+ s$/,
    );
    expect(r.stdout).toBe('');
    expect(app.hits).toHaveLength(0);
  });

  it('an environment whose ${VAR} is unset is an error only for a run that uses it', async () => {
    const app = await keep(healthyApp());
    const config = configFile(
      staging(app.url) + '  production:\n    role: production\n    url: ${PROD_URL_NEVER_SET_4711}\n',
    );
    const used = await parity(['load', '--config', config, '--env', 'production']);
    expect(used.code).toBe(2);
    expect(used.stderr.trimEnd()).toMatch(
      /environments\.production\.url: environment variable PROD_URL_NEVER_SET_4711 is not set$/,
    );
    const unused = await parity([
      'load',
      '--config',
      config,
      '--duration',
      '1',
      '--connections',
      '1',
      '--json',
    ]);
    clean(unused);
    expect(unused.stderr).not.toMatch(/is not set/);
    expect(JSON.parse(unused.stdout).requests).toBeGreaterThan(0);
  });
});

describe.concurrent('11: smaller', { timeout: 150_000 }, () => {
  const root = join(import.meta.dirname, '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    allowScripts?: Record<string, boolean>;
  };

  it('parity --version prints the package version', async () => {
    const r = await parity(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('lab status with no lab: exit 0, "not running", "state": "not-running" in --json', async () => {
    const lab = mkdtempSync(join(work, 'no-lab-'));
    const [human, json] = await Promise.all([
      parity(['lab', 'status'], { PARITY_LAB_DIR: lab }),
      parity(['lab', 'status', '--json'], { PARITY_LAB_DIR: lab }),
    ]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr.trim()).toBe(`lab: not running (${lab})`);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ state: 'not-running', running: false, environments: {} });
  });

  it('lab down removes the lab config (dead ports) even when the state file is gone', async () => {
    const lab = mkdtempSync(join(work, 'lab-config-'));
    const config = join(lab, 'parity.config.yaml');
    writeFileSync(config, 'environments:\n  staging:\n    url: http://127.0.0.1:9\n');
    const r = await parity(['lab', 'down'], { PARITY_LAB_DIR: lab });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(config)).toBe(false);
  });

  it('every dependency with an install script is covered by allowScripts (npm ci prints no warning)', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const scripted = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(scripted.length).toBeGreaterThan(0); // esbuild's postinstall, at least
    for (const name of scripted) expect(pkg.allowScripts?.[name], name).toBe(true);
  });
});

describe('a reader that goes away', () => {
  // `parity lab faults | head -0`: the reader closed its end before parity wrote. The command
  // ends as it would (exit 0), not on an unhandled EPIPE with a stack trace.
  it('stdout closed before the first write: exit 0, no stack trace', async () => {
    const child = spawn(process.execPath, [BIN, 'lab', 'faults'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code, stderr).toBe(0);
  });
});
