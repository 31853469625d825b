// The production interlocks, proven with witnesses rather than trust: a recording reverse
// proxy in front of production's ALB and of the ELBv2 API as production's config sees it, and
// Redis's own MONITOR (plus INFO commandstats, which also counts what MONITOR hides, such as
// CONFIG) on both environments' Redis, while the real CLI runs against one lab.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DeleteLoadBalancerCommand,
  DeregisterTargetsCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { describe as awsDescribe, gatedSend } from '../src/aws/call.js';
import { elbv2 } from '../src/aws/client.js';
import { ec2 } from '../src/aws/ec2-client.js';
import { targetContext } from '../src/contract/target.js';
import { fingerprintDiff } from '../src/checks/fingerprint.js';
import { loadConfigFile } from '../src/config/load.js';
import type { ParityConfig } from '../src/config/schema.js';
import { UsageError } from '../src/errors.js';
import { assertMethodAllowed, closeHttp, send } from '../src/http/client.js';
import { deleteProbeKey } from '../src/redis/session-key.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { useLab } from './helpers/lab.js';
import { recordingProxy, witnessRedis, type RecordingProxy, type RedisWitness } from './helpers/recorders.js';

const lab = useLab();
const work = mkdtempSync(join(tmpdir(), 'parity-safety-'));

let alb: RecordingProxy; // in front of production's ALB
let api: RecordingProxy; // in front of the ELBv2 API, for production's calls only
let stagingApi: RecordingProxy; // in front of the same API, for staging's calls (the drill's)
let ec2Api: RecordingProxy; // in front of the EC2 API, for production's calls only
let prodRedis: RedisWitness;
let stagingRedis: RedisWitness;
let configFile: string;
let config: ParityConfig;
let endpoints: { path: string; withSession?: boolean }[];

/** Production saw every configured endpoint, by GET and without a cookie (withSession too). */
function expectEndpointsAskedCookieLess(): void {
  expect(endpoints.length).toBeGreaterThan(3);
  expect(endpoints.some((e) => e.withSession)).toBe(true);
  for (const e of endpoints) {
    const asked = alb.requests.filter((r) => r.path === e.path);
    expect(asked.length, `${e.path} was asked of production`).toBeGreaterThan(0);
    expect(
      asked.filter((r) => r.method !== 'GET' || r.cookie !== undefined),
      e.path,
    ).toEqual([]);
  }
}

beforeAll(async () => {
  const prod = lab.state.environments.production;
  alb = await recordingProxy(prod.url);
  api = await recordingProxy(lab.state.elbv2!.url);
  stagingApi = await recordingProxy(lab.state.elbv2!.url);
  ec2Api = await recordingProxy(lab.state.ec2!.url);
  prodRedis = await witnessRedis(prod.redis.main.url);
  stagingRedis = await witnessRedis(lab.state.environments.staging.redis.main.url);
  // The lab's own config, with production's ALB and ELBv2 endpoint behind the recorders.
  const raw = parse(readFileSync(lab.state.config!, 'utf8')) as {
    environments: Record<string, { url: string; aws: { endpoint: string; ec2Endpoint: string } }>;
    fingerprint: { endpoints: { path: string; withSession?: boolean }[] };
  };
  raw.environments.production.url = alb.url;
  raw.environments.production.aws.endpoint = api.url;
  raw.environments.staging.aws.endpoint = stagingApi.url;
  raw.environments.production.aws.ec2Endpoint = ec2Api.url;
  // Node's server (the recorder) adds these hop-by-hop headers that HAProxy does not send.
  // The lab's endpoints, one of them with a session (made on staging only).
  endpoints = raw.fingerprint.endpoints.map((e) =>
    e.path === '/api/session/status' ? { ...e, withSession: true } : e,
  );
  raw.fingerprint = {
    expectDifferent: ['connection', 'keep-alive'].map((h) => ({
      path: `http.headers.${h}`,
      reason: 'added by the test recording proxy in front of production',
    })),
    endpoints,
  } as typeof raw.fingerprint;
  configFile = join(work, 'parity.config.yaml');
  writeFileSync(configFile, stringify(raw));
  config = loadConfigFile(configFile);
});

afterAll(async () => {
  await closeHttp();
  await Promise.all([
    alb?.close(),
    api?.close(),
    stagingApi?.close(),
    ec2Api?.close(),
    prodRedis?.close(),
    stagingRedis?.close(),
  ]);
  rmSync(work, { recursive: true, force: true });
});

const parity = (args: string[]) =>
  runCli([...args, '--config', configFile], { cwd: work, timeoutMs: 60_000 });

/** Start a fresh observation window on every witness. */
async function observe(): Promise<void> {
  alb.requests.length = 0;
  api.requests.length = 0;
  stagingApi.requests.length = 0;
  ec2Api.requests.length = 0;
  await Promise.all([prodRedis.mark(), stagingRedis.mark()]);
}

const actionsOf = (p: RecordingProxy) =>
  p.requests.map((r) => new URLSearchParams(r.body).get('Action') ?? `(none: ${r.method} ${r.path})`);
const actions = () => actionsOf(api);
const ec2Actions = () => actionsOf(ec2Api);

/** Administrative or destructive commands that parity must never send (counted server-wide). */
async function forbiddenCalls(w: RedisWitness): Promise<Record<string, number>> {
  const calls = await w.callsSinceMark();
  return Object.fromEntries(
    Object.entries(calls).filter(([name]) => /^(keys|flushall|flushdb|config(\|.*)?)$/.test(name)),
  );
}

/** Distinct write commands (per the server's COMMAND INFO) seen, optionally only from some clients. */
async function writes(w: RedisWitness, from?: Set<string>): Promise<string[]> {
  await w.settle();
  const out = new Set<string>();
  for (const c of w.commands) {
    if (from && !from.has(c.source)) continue;
    if (await w.isWrite(c.args[0])) out.add(`${c.args[0]} ${c.args[1] ?? ''}`.trim());
  }
  return [...out];
}

/** The production side of every run: GET/HEAD only, Describe* only, no Redis write, nothing forbidden. */
async function expectProductionOnlyRead(opts: { aws: boolean }): Promise<void> {
  expect(alb.requests.length).toBeGreaterThan(0);
  expect(alb.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
  if (opts.aws) expect(actions().length).toBeGreaterThan(0);
  expect(actions().filter((a) => !a.startsWith('Describe'))).toEqual([]);
  // EC2 too: the instances, AMIs and security groups are only ever described.
  if (opts.aws) expect(ec2Actions()).toEqual(expect.arrayContaining(['DescribeInstances']));
  expect(ec2Actions().filter((a) => !a.startsWith('Describe'))).toEqual([]);
  expect(await writes(prodRedis)).toEqual([]); // from any client: parity's GETs made the app write nothing either
  expect(await forbiddenCalls(prodRedis)).toEqual({});
}

function resultsOf(r: CliResult): { checks: { id: string; status: string; diagnosis: string }[] } {
  expect(r.code, r.stderr).not.toBeNull();
  return JSON.parse(r.stdout) as { checks: { id: string; status: string; diagnosis: string }[] };
}

/**
 * Staging's session plane after a run: parity's own connection wrote nothing but DELs; every key
 * written during the run (by the app, for parity's probe through the ALB) was written with a TTL,
 * and parity DEL'd it, so none is left.
 */
async function expectStagingCleanedUp(): Promise<{ written: string[] }> {
  await stagingRedis.settle();
  const mine = stagingRedis.clientsNamed('parity');
  expect(mine.size, 'parity opened no named Redis connection on staging').toBeGreaterThan(0);
  const parityWrites = stagingRedis.commands.filter((c) => mine.has(c.source));
  for (const c of parityWrites) {
    if (await stagingRedis.isWrite(c.args[0])) expect(c.args[0]).toBe('del');
  }
  const sets = stagingRedis.commands.filter((c) => !mine.has(c.source) && c.args[0] === 'set');
  const written = [...new Set(sets.map((c) => c.args[1]))];
  for (const c of sets) {
    // SET key value EX|PX|EXAT|PXAT n: the TTL is set with the value, atomically.
    expect(
      c.args.slice(3).map((a) => a.toUpperCase()),
      `SET ${c.args[1]} without a TTL`,
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^(EX|PX|EXAT|PXAT)$/)]));
  }
  const deleted = new Set(parityWrites.filter((c) => c.args[0] === 'del').flatMap((c) => c.args.slice(1)));
  for (const key of written) {
    expect(key).toMatch(/^chatmrpt:/);
    expect(deleted.has(key), `${key} was not deleted by parity`).toBe(true);
    expect(await stagingRedis.exists(key)).toBe(false);
  }
  // Nothing else wrote on staging: only the app's SETs and parity's DELs.
  expect([...new Set((await writes(stagingRedis)).map((w) => w.split(' ')[0]))].sort()).toEqual(
    [...new Set([...(written.length ? ['set'] : []), ...(deleted.size ? ['del'] : [])])].sort(),
  );
  expect(await forbiddenCalls(stagingRedis)).toEqual({});
  return { written };
}

describe('production receives only GET/HEAD, Describe* and Redis reads', () => {
  it('parity smoke --env production: the session checks skip with the reason; nothing but reads reach production', async () => {
    await observe();
    const r = await parity(['smoke', '--env', 'production', '--json', '--out', join(work, 'reports')]);
    const { checks } = resultsOf(r);
    expect(r.code, r.stderr).toBe(0);
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    for (const id of ['sessions.shared-http', 'sessions.shared-redis', 'journey.upload-analyze']) {
      expect(byId[id].status).toBe('skip');
      expect(byId[id].diagnosis).toMatch(
        /^(upload-analyze: )?refused: POST to a role: production environment \(.*\); only GET\/HEAD are sent to production unless --allow-production-writes is given$/,
      );
    }
    expect(byId['targets.registered'].status).toBe('pass'); // the ELBv2 API was used, through the recorder
    await expectProductionOnlyRead({ aws: true });
    // Staging untouched (its apps still PING it for their health checks: not parity).
    expect(stagingRedis.clientsNamed('parity').size).toBe(0);
    expect(await writes(stagingRedis)).toEqual([]);
  });

  it('parity fingerprint --env production: GET, Describe*, and on Redis only INFO/SCAN/TTL from parity', async () => {
    await observe();
    const r = await parity(['fingerprint', '--env', 'production', '--out', join(work, 'production.json')]);
    expect(r.code, r.stderr).toBe(0);
    await expectProductionOnlyRead({ aws: true });
    expectEndpointsAskedCookieLess();
    await prodRedis.settle();
    const mine = prodRedis.clientsNamed('parity');
    expect(mine.size).toBeGreaterThan(0);
    const used = new Set(prodRedis.commands.filter((c) => mine.has(c.source)).map((c) => c.args[0]));
    expect([...used].sort()).toEqual(expect.arrayContaining(['info', 'scan', 'ttl']));
    for (const c of used) expect(['hello', 'client', 'info', 'ping', 'scan', 'ttl']).toContain(c);
  });

  it('parity fingerprint --env staging touches nothing of production; its probe session is made through the app with a TTL and deleted', async () => {
    await observe();
    const r = await parity(['fingerprint', '--env', 'staging', '--out', join(work, 'staging.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(alb.requests).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(ec2Api.requests).toEqual([]);
    await prodRedis.settle();
    expect(prodRedis.clientsNamed('parity').size).toBe(0);
    expect(await writes(prodRedis)).toEqual([]);
    const { written } = await expectStagingCleanedUp();
    expect(written.length, 'no probe session was made (staging had sessions?)').toBeGreaterThan(0);
  });

  it('fingerprint.diff from staging (it fingerprints production too): production still only sees reads', async () => {
    await observe();
    const ctx = targetContext(config, 'staging', { deadline: Date.now() + 60_000 });
    const result = await fingerprintDiff(ctx);
    expect(result.status, result.diagnosis).toBe('pass');
    await expectProductionOnlyRead({ aws: true });
    expectEndpointsAskedCookieLess();
    // The session endpoint is compared on staging only: unverified on production, not drift.
    expect(result.diagnosis).toMatch(/, 1 unverified\)$/);
    await expectStagingCleanedUp();
  });

  it('parity smoke --env staging: parity writes no Redis key itself and deletes the probe session the app wrote (with a TTL)', async () => {
    await observe();
    const r = await parity(['smoke', '--env', 'staging', '--json', '--out', join(work, 'reports')]);
    const { checks } = resultsOf(r);
    expect(r.code, r.stderr).toBe(0);
    expect(checks.find((c) => c.id === 'sessions.shared-redis')?.status).toBe('pass');
    expect(alb.requests).toEqual([]);
    const { written } = await expectStagingCleanedUp();
    expect(written.length).toBeGreaterThan(0);
  });

  it('parity nightly --disruptive --env staging: the drill sends exactly one DeregisterTargets and one RegisterTargets, to staging; production still receives only GET/HEAD and Describe*', async () => {
    await observe();
    const r = await runCli(
      [
        'nightly',
        '--disruptive',
        '--env',
        'staging',
        '--json',
        '--out',
        join(work, 'reports'),
        '--config',
        configFile,
      ],
      { cwd: work, timeoutMs: 240_000 },
    );
    const { checks } = resultsOf(r);
    const drill = checks.find((c) => c.id === 'failover.sticky');
    expect(drill?.status, drill?.diagnosis).toBe('pass');
    expect(checks.find((c) => c.id === 'fingerprint.diff')?.status).toBe('pass'); // it described production
    await expectProductionOnlyRead({ aws: true });
    const staging = actionsOf(stagingApi);
    expect(staging.filter((a) => !a.startsWith('Describe'))).toEqual([
      'DeregisterTargets',
      'RegisterTargets',
    ]);
    await expectStagingCleanedUp();
  }, 260_000);

  it('the drill is refused on production with no override (exit 2, nothing sent), and skipped on a config target without --disruptive', async () => {
    await observe();
    for (const args of [
      ['drill', '--env', 'production', '--disruptive'],
      ['drill', '--env', 'production', '--disruptive', '--allow-production-writes'],
      ['nightly', '--env', 'production', '--disruptive'],
    ]) {
      const r = await parity([...args, '--out', join(work, 'reports')]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/refused: the failover drill never runs on a role: production environment/);
    }
    expect(alb.requests).toEqual([]);
    expect(api.requests).toEqual([]);
    const r = await parity(['drill', '--env', 'staging', '--json', '--out', join(work, 'reports')]);
    const { checks } = resultsOf(r);
    expect(r.code, r.stderr).toBe(0);
    expect(checks).toEqual([
      expect.objectContaining({
        id: 'failover.sticky',
        status: 'skip',
        diagnosis: expect.stringMatching(/pass --disruptive/),
      }),
    ]);
    expect(actionsOf(stagingApi)).toEqual([]);
  }, 120_000);

  interface RawConfig {
    environments: Record<string, Record<string, unknown>>;
    journeys?: unknown;
    app?: { session?: Record<string, unknown> };
  }
  /** A copy of the config with `change` applied, in a file of its own. */
  const variant = (name: string, change: (raw: RawConfig) => void): string => {
    const raw = parse(readFileSync(configFile, 'utf8')) as RawConfig;
    change(raw);
    const file = join(work, name);
    writeFileSync(file, stringify(raw));
    return file;
  };
  const refusedAtLoad = (r: CliResult, file: string, key: string) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^parity: config error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${key.replace(/\./g, '\\.')}: `,
      ),
    );
  };
  const nothingSent = async () => {
    expect(alb.requests).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(stagingApi.requests).toEqual([]);
    expect(ec2Api.requests).toEqual([]);
    expect(await writes(prodRedis)).toEqual([]);
    expect(await writes(stagingRedis)).toEqual([]);
  };

  it('an environment without role: is refused at load (exit 2 naming environments.<name>.role): no write, load, drill or AWS call reaches it', async () => {
    const runs: [string, string, string[][]][] = [
      [
        'production',
        variant('no-role-production.yaml', (raw) => delete raw.environments.production.role),
        [
          ['smoke', '--env', 'production'],
          ['load', '--env', 'production', '--duration', '1', '--connections', '2'],
          ['drill', '--env', 'production', '--disruptive'],
          ['nightly', '--env', 'staging', '--disruptive'],
          ['fingerprint', '--env', 'production', '--samples', '1'],
        ],
      ],
      [
        'staging',
        variant('no-role-staging.yaml', (raw) => delete raw.environments.staging.role),
        [
          ['drill', '--env', 'staging', '--disruptive'],
          ['load', '--env', 'staging', '--duration', '1', '--connections', '2'],
        ],
      ],
    ];
    for (const [env, file, commands] of runs) {
      for (const args of commands) {
        await observe();
        const extra = ['smoke', 'nightly', 'drill'].includes(args[0]) ? ['--out', join(work, 'reports')] : [];
        const r = await runCli([...args, ...extra, '--config', file], { cwd: work, timeoutMs: 60_000 });
        refusedAtLoad(r, file, `environments.${env}.role`);
        expect(r.stderr).toMatch(/required: say what this environment is \(staging, production, other\)/);
        await nothingSent();
      }
    }
  }, 200_000);

  it('a GET or HEAD with a body is a config error (exit 2 naming the key), in a journey or app.session.*: nothing reaches production', async () => {
    const cases: [string, (raw: RawConfig) => void, string][] = [
      [
        'get-json-journey.yaml',
        (raw) =>
          (raw.journeys = [
            {
              name: 'read',
              steps: [{ name: 'look', request: { method: 'GET', path: '/ping', json: { a: 1 } } }],
            },
          ]),
        'journeys.0.steps.0.request.json',
      ],
      [
        'head-body-journey.yaml',
        (raw) =>
          (raw.journeys = [
            {
              name: 'read',
              steps: [{ name: 'look', request: { method: 'HEAD', path: '/ping', body: 'x' } }],
            },
          ]),
        'journeys.0.steps.0.request.body',
      ],
      [
        'default-get-form-journey.yaml',
        (raw) =>
          (raw.journeys = [
            { name: 'read', steps: [{ name: 'look', request: { path: '/ping', form: { a: 'b' } } }] },
          ]),
        'journeys.0.steps.0.request.form',
      ],
      [
        'get-json-session-read.yaml',
        (raw) =>
          (raw.app = {
            ...raw.app,
            session: {
              ...raw.app?.session,
              read: { method: 'GET', path: '/api/session/status', json: { a: 1 } },
            },
          }),
        'app.session.read.json',
      ],
    ];
    for (const [name, change, key] of cases) {
      await observe();
      const file = variant(name, change);
      const r = await runCli(
        ['smoke', '--env', 'production', '--out', join(work, 'reports'), '--config', file],
        {
          cwd: work,
          timeoutMs: 60_000,
        },
      );
      refusedAtLoad(r, file, key);
      expect(r.stderr).toMatch(/carries no body/);
      await nothingSent();
    }
  }, 120_000);

  // Last: with the override, the session probe writes to production (through the app).
  it('--allow-production-writes lets the session checks run on production (the recorder sees the POST); parity still never writes to its Redis', async () => {
    await observe();
    const r = await parity([
      'smoke',
      '--env',
      'production',
      '--allow-production-writes',
      '--json',
      '--out',
      join(work, 'reports'),
    ]);
    const { checks } = resultsOf(r);
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId['sessions.shared-http'].status, byId['sessions.shared-http'].diagnosis).toBe('pass');
    expect(byId['sessions.shared-redis'].status, byId['sessions.shared-redis'].diagnosis).toBe('pass');
    expect(byId['journey.upload-analyze'].status, byId['journey.upload-analyze'].diagnosis).toBe('pass');
    // The session probe's write and its teardown, then the journey's two runs (pinned,
    // hopping): each step once, then its teardown for both users. The override allows them all.
    const journey = ['/upload', '/api/analysis/start', '/send_message_streaming'];
    expect(alb.requests.filter((q) => q.method === 'POST').map((q) => q.path)).toEqual([
      '/upload',
      '/api/data/clear',
      ...journey,
      ...journey,
      '/api/data/clear',
      '/api/data/clear',
    ]);
    const mine = prodRedis.clientsNamed('parity');
    expect(mine.size).toBeGreaterThan(0);
    expect(await writes(prodRedis, mine)).toEqual([]); // the probe key is left to its TTL, never deleted
    expect(await forbiddenCalls(prodRedis)).toEqual({});
  });
});

describe('the gates themselves', () => {
  it('src/aws refuses any call that is not Describe*, before anything is sent', async () => {
    const ctx = targetContext(config, 'production');
    const e = elbv2(ctx);
    api.requests.length = 0;
    try {
      for (const command of [
        new DeleteLoadBalancerCommand({
          LoadBalancerArn: 'arn:aws:elasticloadbalancing:::loadbalancer/app/x/1',
        }),
        new RegisterTargetsCommand({ TargetGroupArn: 'arn:tg', Targets: [{ Id: 'i-1' }] }),
        new DeregisterTargetsCommand({ TargetGroupArn: 'arn:tg', Targets: [{ Id: 'i-1' }] }),
      ]) {
        const name = command.constructor.name.replace(/Command$/, '');
        await expect(awsDescribe(e, command)).rejects.toThrow(`refused: ${name} is not a Describe* call`);
      }
    } finally {
      e.client.destroy();
    }
    // The drill enabled changes nothing for production: there is no override.
    const drilling = elbv2(
      targetContext(config, 'production', { disruptive: true, allowProductionWrites: true }),
    );
    try {
      for (const command of [
        new RegisterTargetsCommand({ TargetGroupArn: 'arn:tg', Targets: [{ Id: 'i-1' }] }),
        new DeregisterTargetsCommand({ TargetGroupArn: 'arn:tg', Targets: [{ Id: 'i-1' }] }),
      ]) {
        await expect(gatedSend(drilling, command)).rejects.toThrow(
          /is not a Describe\* call, and a role: production environment/,
        );
      }
    } finally {
      drilling.client.destroy();
    }
    expect(api.requests).toEqual([]);
  });

  it('the EC2 client passes the same gate: no call but Describe* is ever sent', async () => {
    const e = ec2(targetContext(config, 'production'));
    ec2Api.requests.length = 0;
    try {
      for (const command of [
        new TerminateInstancesCommand({ InstanceIds: ['i-0e1f0d0c000000a01'] }),
        new RunInstancesCommand({ MinCount: 1, MaxCount: 1, ImageId: 'ami-0123456789abcdef0' }),
      ]) {
        const name = command.constructor.name.replace(/Command$/, '');
        await expect(awsDescribe(e, command)).rejects.toThrow(`refused: ${name} is not a Describe* call`);
      }
    } finally {
      e.client.destroy();
    }
    expect(ec2Api.requests).toEqual([]);
  });

  it('only GET/HEAD may be sent to production, unless overridden', () => {
    const prod = config.environments.production;
    for (const m of ['GET', 'HEAD', 'get']) expect(() => assertMethodAllowed(prod, m)).not.toThrow();
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      expect(() => assertMethodAllowed(prod, m)).toThrow(UsageError);
      expect(() => assertMethodAllowed(prod, m, true)).not.toThrow();
      expect(() => assertMethodAllowed(config.environments.staging, m)).not.toThrow();
    }
  });

  it('the HTTP client itself never sends a GET or HEAD with a body (nothing reaches production)', async () => {
    await observe();
    const url = `${config.environments.production.url}/ping`;
    for (const method of ['GET', 'HEAD', undefined])
      await expect(send(url, { method, body: '{"a":1}' })).rejects.toThrow(
        new UsageError(`refused: a ${method ?? 'GET'} request with a body (${url}); GET and HEAD carry none`),
      );
    expect(alb.requests).toEqual([]);
    expect((await send(url)).status).toBe(200);
    expect(alb.requests.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual(['GET /ping ']);
  });

  it('a probe key is never deleted from a production Redis, even when asked', async () => {
    let sent = false;
    const fake = { del: async () => ((sent = true), 1) } as unknown as Parameters<typeof deleteProbeKey>[0];
    await expect(deleteProbeKey(fake, config.environments.production, 'chatmrpt:x')).rejects.toThrow(
      'refused: parity never writes to or deletes from a production Redis',
    );
    expect(sent).toBe(false);
  });
});
