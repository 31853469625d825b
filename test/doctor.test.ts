// `parity doctor`: one line per finding with what to do; exit 0 ready, 2 config, 3 cannot run.
// Everything it probes is local: the lab, a real redis-server with a password, an ELBv2
// stand-in answering AccessDenied, a closed port.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { scrub } from '../src/doctor/doctor.js';
import { closedPort, elbv2Error, redisServer, type Local } from './helpers/bad-servers.js';
import { runCli } from './helpers/cli.js';
import { useLab } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const work = mkdtempSync(join(tmpdir(), 'parity-doctor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const lines = (s: string) => s.trim().split('\n');
// No default lab folder of whoever runs the tests: only the lab each test names.
const parity = (args: string[], opts: Parameters<typeof runCli>[1] = {}) =>
  runCli(args, { ...opts, env: { PARITY_LAB_DIR: join(work, 'no-lab'), ...opts.env } });

describe('on a fresh clone (no config, no lab running)', () => {
  it('says the binaries are missing and how to get them (exit 3), and exits 0 once they are there', async () => {
    const cwd = mkdtempSync(join(work, 'fresh-'));
    const env = { PARITY_LAB_DIR: join(cwd, 'lab') };
    const missing = await parity(['doctor'], {
      cwd,
      env: { ...env, PARITY_LAB_BIN_PATH: mkdtempSync(join(work, 'bin-')) },
    });
    expect(missing.code, missing.stderr).toBe(3);
    expect(lines(missing.stdout)).toEqual([
      'ok   config: no parity.config.yaml in this folder and no --config: the commands run against the embedded lab',
      process.getuid?.() === 0
        ? 'FAIL lab: haproxy and redis-server not found → run "parity lab up" as root (it installs them), or: apt-get install -y haproxy redis-server'
        : 'FAIL lab: haproxy and redis-server not found → sudo apt-get install -y haproxy redis-server',
      `ok   folders: writable: ${process.env.TMPDIR ? 'TMPDIR' : 'the temporary folder'} ${tmpdir()}, PARITY_LAB_DIR ${join(cwd, 'lab')}`,
      'ok   environments: the embedded lab is not running: the commands start it themselves',
    ]);
    const ready = await parity(['doctor'], { cwd, env });
    expect(ready.code, ready.stdout).toBe(0);
    expect(ready.stdout).toMatch(/^ok {3}lab: binaries found: haproxy \/\S+, redis-server \/\S+$/m);
  });
});

describe('with a config', () => {
  const lab = useLab({ topology: stagingOnly() });
  let redis: Local;
  let denied: Local;
  beforeAll(async () => {
    redis = await redisServer({ password: 'hunter2-secret' });
    denied = await elbv2Error('AccessDenied', 403, 'User is not authorized to perform DescribeLoadBalancers');
  });
  afterAll(async () => {
    await redis?.close();
    await denied?.close();
  });

  // The lab's own config as plain YAML data, patched.
  type Cfg = {
    app: Record<string, unknown>;
    environments: {
      staging: { url: string; aws: { endpoint: string }; redis: { url: string } };
    };
  };
  const configWith = (name: string, patch: (cfg: Cfg) => void): string => {
    const cfg = parse(readFileSync(lab.state.config!, 'utf8')) as Cfg;
    patch(cfg);
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, stringify(cfg));
    return file;
  };

  it('all good: one ok line per finding, exit 0; --json carries the same', async () => {
    const file = configWith('good', () => {});
    const run = await parity(['doctor', '--config', file]);
    expect(run.code, run.stdout).toBe(0);
    const out = lines(run.stdout);
    expect(out[0]).toBe(`ok   config: using ${file} (--config)`);
    expect(out).toContain('ok   config: valid: environments staging (staging)');
    expect(out).toContain('ok   staging: AWS credentials: fixed local credentials (loopback endpoint)');
    expect(out.find((l) => l.includes('ELBv2'))).toMatch(
      /^ok {3}staging: ELBv2 chatmrpt-staging-alb: 8 Describe\* calls answered \(DescribeLoadBalancers, .*DescribeTargetHealth, DescribeTags\)$/,
    );
    expect(out.find((l) => l.includes(' ALB '))).toMatch(
      /^ok {3}staging: ALB http:\/\/127\.0\.0\.1:\d+ answered GET \/health 200 in \d+ ms$/,
    );
    expect(out.find((l) => l.includes('PING'))).toMatch(
      /^ok {3}staging: redis 127\.0\.0\.1:\d+ answered PING in \d+ ms$/,
    );
    const json = await parity(['doctor', '--config', file, '--json']);
    const report = JSON.parse(json.stdout);
    expect(report.exitCode).toBe(0);
    expect(report.items.map((i: { status: string }) => i.status)).toEqual(out.map(() => 'ok'));
  });

  it('an unset ${VAR} is a config error naming it and the key (exit 2); set values are never shown', async () => {
    const file = configWith('vars', (cfg) => {
      cfg.environments.staging.redis.url = `redis://:\${REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
      cfg.app.version = { header: 'x-app-version', expected: '${GIT_SHA}' };
    });
    const unset = await parity(['doctor', '--config', file], {
      env: { REDIS_PASSWORD: 'hunter2-secret', GIT_SHA: '' },
    });
    expect(unset.code).toBe(2);
    expect(unset.stdout).toContain('ok   config: variables set (values not shown): REDIS_PASSWORD\n');
    expect(unset.stdout).toContain(
      'FAIL config: ${GIT_SHA} is not set (used by app.version.expected) → export GIT_SHA=...\n',
    );
    const good = await parity(['doctor', '--config', file], {
      env: { REDIS_PASSWORD: 'hunter2-secret', GIT_SHA: 'abc123' },
    });
    expect(good.code, good.stdout).toBe(0);
    expect(good.stdout).toMatch(
      /^ok {3}staging: redis 127\.0\.0\.1:\d+ answered PING in \d+ ms \(with the URL's password\)$/m,
    );
    for (const r of [unset, good]) expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
  });

  it('what cannot be reached is one FAIL line each with what to do (exit 3)', async () => {
    const port = await closedPort();
    const file = configWith('broken', (cfg) => {
      cfg.environments.staging.url = `http://127.0.0.1:${port}`;
      cfg.environments.staging.aws.endpoint = denied.url;
      cfg.environments.staging.redis.url = `redis://:wrong-password@127.0.0.1:${redis.port}`;
    });
    const run = await parity(['doctor', '--config', file]);
    expect(run.code, run.stdout).toBe(3);
    const fails = lines(run.stdout).filter((l) => l.startsWith('FAIL'));
    expect(fails).toEqual([
      `FAIL staging: ALB http://127.0.0.1:${port} unreachable: 127.0.0.1:${port}: connection refused → check environments.staging.url, DNS and that this machine may reach it (security group)`,
      expect.stringMatching(
        /^FAIL staging: ELBv2 DescribeLoadBalancers: .*access denied to elasticloadbalancing:DescribeLoadBalancers.* → allow elasticloadbalancing:DescribeLoadBalancers in the IAM policy of these credentials$/,
      ),
      `FAIL staging: redis 127.0.0.1:${redis.port}: authentication failed (wrong password or user) → check the password in environments.staging.redis.url (or the variable it comes from)`,
    ]);
    expect(run.stdout).not.toContain('wrong-password');
  });

  it('an invalid config is exit 2 naming the key', async () => {
    const file = configWith('invalid', (cfg) => {
      cfg.app.expectedInstance = 2;
    });
    const run = await parity(['doctor', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`FAIL config: ${file}: app: unknown key "expectedInstance"`);
  });
});

describe('scrub', () => {
  it('removes credentials from URLs in any line', () => {
    expect(scrub('redis://:pw@h:1 and rediss://user:pw@h/0 and http://a@b')).toBe(
      'redis://***@h:1 and rediss://***@h/0 and http://***@b',
    );
  });
});
