// Unit tests of the pure parts of the checks: identity extraction, health predicates,
// request templating, session keys and TTLs, cookie attributes, config errors, reports.
// targets.registered runs against fake DescribeTargets functions: no ELBv2 endpoint exists yet.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { targetContext } from '../src/contract/target.js';
import { deployConsistency } from '../src/checks/deploy.js';
import { judgeHealth } from '../src/checks/health.js';
import { cookieAttributes } from '../src/checks/sticky.js';
import { describeRow, targetsReachable, targetsRegistered } from '../src/checks/targets.js';
import type { DescribeTargets, TargetHealthRow } from '../src/contract/target.js';
import { parseConfig } from '../src/config/load.js';
import { closeHttp, type HttpResponse } from '../src/http/client.js';
import { extract } from '../src/http/identity.js';
import { buildRequest, fill } from '../src/http/request-spec.js';
import { describeRedisError } from '../src/redis/client.js';
import { sessionKey, sidOf, ttlProblem } from '../src/redis/session-key.js';
import type { RunResults } from '../src/report/model.js';
import { newRunId, writeRun } from '../src/report/results-json.js';
import { formatTable } from '../src/report/table.js';

const res = (over: Partial<HttpResponse> = {}): HttpResponse => ({
  status: 200,
  headers: {},
  body: '',
  ms: 1,
  setCookies: [],
  ...over,
});

const config = (extra = '') =>
  parseConfig(
    `environments:\n  staging: { role: staging, url: http://127.0.0.1:9 }\n${extra}`,
    'test.yaml',
    {},
  );

describe('identity extraction', () => {
  it('reads a header whatever its case', () => {
    const r = res({ headers: { 'X-Instance-Id': 'i-a', 'x-app-version': '1.2.3' } });
    expect(extract({ header: 'x-instance-id' }, r)).toBe('i-a');
    expect(extract({ header: 'X-APP-VERSION' }, r)).toBe('1.2.3');
    expect(extract({ header: 'x-other' }, r)).toBeUndefined();
  });

  it('reads a JSON pointer, stringifying numbers, undefined when absent or not JSON', () => {
    const r = res({ body: JSON.stringify({ node: 'i-b', build: { n: 42 }, nil: null }) });
    expect(extract({ path: '/whoami', json: '/node' }, r)).toBe('i-b');
    expect(extract({ path: '/whoami', json: '/build/n' }, r)).toBe('42');
    expect(extract({ path: '/whoami', json: '/missing' }, r)).toBeUndefined();
    expect(extract({ path: '/whoami', json: '/nil' }, r)).toBeUndefined();
    expect(extract({ path: '/whoami', json: '/node' }, res({ body: '<html>' }))).toBeUndefined();
  });
});

describe('config errors (one line naming the key)', () => {
  it('accepts identity and version from a JSON body', () => {
    const c = config(
      'app:\n  identity: { path: /whoami, json: /node }\n  version: { path: /whoami, json: /build }\n',
    );
    expect(c.app.identity).toEqual({ path: '/whoami', json: '/node' });
    expect(c.app.sticky.cookie).toBe('AWSALB');
    expect(c.app.session.redisKey).toBe('chatmrpt:{sid}');
  });

  it('names the key of an invalid identity extractor', () => {
    expect(() => config('app:\n  identity: { path: whoami, json: node }\n')).toThrow(/app\.identity/);
  });

  it('names an unknown key', () => {
    expect(() => config('app:\n  stickyy: {}\n')).toThrow(/unknown key "stickyy"/);
  });

  it('names an unset ${VAR} and its key', () => {
    expect(() =>
      parseConfig(
        'environments:\n  staging: { role: staging, url: http://x, redis: { url: "${NOPE_REDIS}" } }\n',
        'c.yaml',
        {},
      ),
    ).toThrow(/environments\.staging\.redis\.url: environment variable NOPE_REDIS is not set/);
  });

  it('an unknown environment is a usage error naming the known ones', () => {
    expect(() => targetContext(config(), 'prod')).toThrow(
      /environments\.prod: no such environment \(known: staging\)/,
    );
  });
});

describe('health predicate', () => {
  const body = JSON.stringify({ overall: 'degraded', services: { redis: 'ok' } });
  it('fails a 200 whose JSON says degraded, naming pointer and value', () => {
    const v = judgeHealth(res({ body }), 200, { '/overall': 'healthy' });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual(['/overall is "degraded" (expected "healthy")']);
    expect(v.values).toEqual({ '/overall': 'degraded' });
  });
  it('passes on matching status and values, including nested pointers', () => {
    expect(judgeHealth(res({ body }), 200, { '/services/redis': 'ok' }).ok).toBe(true);
  });
  it('reports a wrong status, a missing pointer and a non-JSON body', () => {
    expect(judgeHealth(res({ status: 503, body }), 200, {}).problems).toEqual(['status 503 (expected 200)']);
    expect(judgeHealth(res({ body }), 200, { '/nope': true }).problems).toEqual([
      '/nope missing (expected true)',
    ]);
    expect(judgeHealth(res({ body: 'OK' }), 200, { '/overall': 'healthy' }).problems).toEqual([
      'body is not JSON',
    ]);
  });
});

describe('request templating', () => {
  it('fills {marker} in path, headers, JSON and form file name and content', async () => {
    const vars = { marker: 'parity-abc' };
    expect(fill('/x/{marker}/{other}', vars)).toBe('/x/parity-abc/{other}');
    const json = buildRequest(
      {
        method: 'POST',
        path: '/s/{marker}',
        headers: { 'X-Tag': 't-{marker}' },
        json: { a: ['{marker}'], n: 1 },
      },
      vars,
      { authorization: 'Bearer t' },
    );
    expect(json).toMatchObject({ method: 'POST', path: '/s/parity-abc' });
    expect(json.headers).toEqual({
      'x-tag': 't-parity-abc',
      'content-type': 'application/json',
      authorization: 'Bearer t',
    });
    expect(JSON.parse(json.body as string)).toEqual({ a: ['parity-abc'], n: 1 });

    const form = buildRequest(
      {
        method: 'POST',
        path: '/upload',
        form: { csv_file: { filename: '{marker}.csv', content: 'id\n{marker}\n' }, note: 'n-{marker}' },
      },
      vars,
    );
    const fd = form.body as FormData;
    const file = fd.get('csv_file') as File;
    expect(file.name).toBe('parity-abc.csv');
    expect(await file.text()).toBe('id\nparity-abc\n');
    expect(fd.get('note')).toBe('n-parity-abc');
  });
});

describe('session keys and TTL', () => {
  it('takes the sid before the first dot of a signed cookie', () => {
    expect(sidOf('0123abcd.sig.more')).toBe('0123abcd');
    expect(sidOf('plain')).toBe('plain');
    expect(sidOf('a%2Eb.sig')).toBe('a');
    expect(sessionKey('chatmrpt:{sid}', 'abc')).toBe('chatmrpt:abc');
  });
  it('accepts 0 < ttl <= configured and >= 0.9 × configured, else says why', () => {
    expect(ttlProblem(86400, 86400)).toBeUndefined();
    expect(ttlProblem(77760, 86400)).toBeUndefined();
    expect(ttlProblem(3600, 86400)).toBe('TTL 3600 s is shorter than the configured 86400 s');
    expect(ttlProblem(86401, 86400)).toMatch(/longer/);
    expect(ttlProblem(-1, 86400)).toMatch(/no TTL/);
    expect(ttlProblem(-2, 86400)).toMatch(/does not exist/);
  });
});

describe('redis errors', () => {
  it('are one line without the password', () => {
    const url = 'redis://:s3cret@10.0.0.5:6380';
    expect(
      describeRedisError(url, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe('redis 10.0.0.5:6380: connection refused');
    const wrong = describeRedisError(
      url,
      new Error('WRONGPASS invalid username-password pair or user is disabled.'),
    );
    expect(wrong).toBe('redis 10.0.0.5:6380: authentication failed (wrong password or user)');
    expect(wrong).not.toContain('s3cret');
  });
});

describe('sticky cookie attributes', () => {
  it('records name and attributes, never the value', () => {
    const a = cookieAttributes('AWSALBCORS=SECRETVALUE; Path=/; Max-Age=604800; SameSite=None; Secure');
    expect(a).toEqual({
      name: 'AWSALBCORS',
      path: '/',
      maxAge: 604800,
      secure: true,
      httpOnly: false,
      sameSite: 'none',
    });
    expect(JSON.stringify(a)).not.toContain('SECRETVALUE');
  });
});

describe('targets.registered (fake DescribeTargets)', () => {
  const withAws = config().environments.staging;
  const ctx = {
    ...targetContext(config(), 'staging'),
    env: { ...withAws, aws: { region: 'us-east-2', loadBalancerName: 'chatmrpt-staging-alb' } },
  };
  const fake =
    (rows: TargetHealthRow[]): DescribeTargets =>
    async () =>
      rows;
  const healthy: TargetHealthRow[] = [
    { id: 'i-a', port: 5000, state: 'healthy' },
    { id: 'i-b', port: 5000, state: 'healthy' },
  ];

  it('skips without aws config, and without a collector', async () => {
    const noAws = await targetsRegistered(targetContext(config(), 'staging'), fake(healthy));
    expect(noAws).toMatchObject({ status: 'skip', diagnosis: expect.stringMatching(/no aws config/) });
    expect((await targetsRegistered(ctx)).status).toBe('skip');
  });

  it('passes with exactly expectedInstances healthy targets', async () => {
    const r = await targetsRegistered(ctx, fake(healthy));
    expect(r).toMatchObject({ id: 'targets.registered', status: 'pass' });
    expect(r.diagnosis).toContain('i-a, i-b');
  });

  it('fails naming state and reason of each unhealthy target', async () => {
    const r = await targetsRegistered(
      ctx,
      fake([
        healthy[0],
        {
          id: 'i-b',
          port: 5000,
          state: 'unhealthy',
          reason: 'Target.FailedHealthChecks',
          description: 'Health checks failed',
        },
      ]),
    );
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toBe(
      'chatmrpt-staging-alb: i-b:5000 unhealthy (Target.FailedHealthChecks: Health checks failed)',
    );
  });

  it('fails on the wrong number of targets', async () => {
    const r = await targetsRegistered(ctx, fake([healthy[0]]));
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toMatch(/1 targets registered, expected 2/);
    expect(describeRow({ id: 'i-c', state: 'draining', reason: 'Target.DeregistrationInProgress' })).toBe(
      'i-c draining (Target.DeregistrationInProgress)',
    );
  });

  it('a collector error is status error with its one line', async () => {
    const r = await targetsRegistered(ctx, async () => {
      throw new Error('AccessDenied: not authorized to perform elasticloadbalancing:DescribeTargetHealth');
    });
    expect(r).toMatchObject({ status: 'error', diagnosis: expect.stringMatching(/^AccessDenied/) });
  });
});

describe('reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parity-reports-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const results = (runId: string): RunResults => ({
    schemaVersion: 1,
    runId,
    mode: 'smoke',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    environments: { staging: { url: 'http://x', role: 'staging' } },
    checks: [
      { id: 'health.alb', env: 'staging', status: 'pass', diagnosis: 'ok', durationMs: 1, evidence: {} },
    ],
    criteria: [],
    summary: { passed: 1, failed: 0, errored: 0, skipped: 0 },
  });

  it('writes <run-id>/ with the four reports and repoints latest', async () => {
    const a = newRunId('smoke', new Date('2026-01-01T00:00:00Z'));
    expect(a).toMatch(/^20260101T000000Z-smoke-[0-9a-f]{4}$/);
    await writeRun(dir, results('run-a'));
    const { dir: runDir } = await writeRun(dir, results('run-b'));
    expect(runDir).toBe(join(dir, 'run-b'));
    expect(readdirSync(runDir).sort()).toEqual(['junit.xml', 'results.json', 'signoff.html', 'signoff.md']);
    expect(lstatSync(join(dir, 'latest')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'latest'))).toBe('run-b');
    expect(JSON.parse(readFileSync(join(dir, 'latest', 'results.json'), 'utf8')).runId).toBe('run-b');
    expect(JSON.parse(readFileSync(join(dir, 'run-a', 'results.json'), 'utf8')).runId).toBe('run-a');
  });

  it('prints one table line per check', () => {
    const checks = results('x').checks;
    expect(formatTable(checks).split('\n')[1]).toMatch(/^health\.alb\s+staging\s+PASS\s+ok$/);
    const long = [{ ...checks[0], diagnosis: 'x'.repeat(300) }];
    expect(formatTable(long).split('\n')[1]).toContain('x'.repeat(300));
    expect(formatTable(long, 80).split('\n')[1].length).toBeLessThanOrEqual(80);
  });
});

describe('a target that accepts connections but never answers', () => {
  it('times out within the deadline once; later checks of the run fail at once', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const cfg = parseConfig(
      `environments:\n  staging: { role: staging, url: 'http://127.0.0.1:${port}' }\n`,
      't.yaml',
      {},
    );
    try {
      const t0 = Date.now();
      const first = await targetsReachable({ ...targetContext(cfg, 'staging'), deadline: Date.now() + 600 });
      expect(first.status).toBe('error');
      expect(first.diagnosis).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}: timed out after \\d+ ms$`));
      expect(Date.now() - t0).toBeLessThan(2000);
      const t1 = Date.now();
      const next = await deployConsistency(targetContext(cfg, 'staging'));
      expect(next.status).toBe('error');
      expect(next.diagnosis).toMatch(/timed out after \d+ ms \(earlier in this run; not tried again\)$/);
      expect(Date.now() - t1).toBeLessThan(500);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
      await closeHttp();
    }
  });
});
