// Every smoke check against a healthy lab (staging + production): all pass, and the
// production interlock keeps session writes away from production and its Redis.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { targetContext } from '../src/contract/target.js';
import { deployConsistency } from '../src/checks/deploy.js';
import { healthAlb } from '../src/checks/health.js';
import { runSessionProbe, sessionsSharedHttp, sessionsSharedRedis } from '../src/checks/sessions.js';
import { stickyCookie, stickyPinning, stickySpread } from '../src/checks/sticky.js';
import { targetsReachable, targetsRegistered } from '../src/checks/targets.js';
import type { CheckResult } from '../src/contract/result.js';
import type { TargetContext } from '../src/contract/target.js';
import { loadConfigFile } from '../src/config/load.js';
import type { ParityConfig } from '../src/config/schema.js';
import { closeHttp } from '../src/http/client.js';
import { useLab } from './helpers/lab.js';

const lab = useLab();
const config = (): ParityConfig => loadConfigFile(lab.state.config!);
const ctxOf = (env: string, over: Partial<TargetContext> = {}): TargetContext => ({
  ...targetContext(config(), env),
  ...over,
});
const ids = () => lab.state.environments.staging.instances.map((i) => i.id);
const redisKeys = async (url: string) => {
  const r = new Redis(url);
  try {
    return (await r.scan(0, 'COUNT', 1000))[1].filter((k) => !k.includes(':token:'));
  } finally {
    r.disconnect();
  }
};
const expectPass = (r: CheckResult) => expect(r.status, `${r.id}: ${r.diagnosis}`).toBe('pass');

afterAll(() => closeHttp());

describe('healthy staging', () => {
  it('health.alb: every instance healthy, response time recorded', async () => {
    const r = await healthAlb(ctxOf('staging'));
    expectPass(r);
    expect(Object.keys(r.evidence.answers as object).sort()).toEqual(ids().sort());
    expect((r.evidence.responseMs as { median: number }).median).toBeGreaterThan(0);
  });

  it('targets.reachable sees both instances; targets.registered skips without aws config', async () => {
    const r = await targetsReachable(ctxOf('staging'));
    expectPass(r);
    expect(Object.keys(r.evidence.seen as object).sort()).toEqual(ids().sort());
    const reg = await targetsRegistered(ctxOf('staging'));
    expect(reg.status).toBe('skip');
  });

  it('sticky.cookie records attributes but never the value', async () => {
    const r = await stickyCookie(ctxOf('staging'));
    expectPass(r);
    const cookies = r.evidence.setCookies as { name: string; path?: string }[];
    expect(cookies.map((c) => c.name)).toContain('AWSALB');
    expect(JSON.stringify(r)).not.toMatch(/AWSALB=/);
  });

  it('sticky.pinning and sticky.spread', async () => {
    const pin = await stickyPinning(ctxOf('staging'), { requests: 20 });
    expectPass(pin);
    expect(pin.evidence.sequence).toHaveLength(20);
    const spread = await stickySpread(ctxOf('staging'));
    expectPass(spread);
    expect(Object.keys(spread.evidence.landed as object).sort()).toEqual(ids().sort());
  });

  it('sessions: one probe, shared over HTTP and in Redis with the right TTL; probe key deleted', async () => {
    const ctx = ctxOf('staging');
    const probe = runSessionProbe(ctx);
    const http = await sessionsSharedHttp(ctx, probe);
    expectPass(http);
    const p = await probe;
    expect(p.instanceA).not.toBe(p.instanceB);
    expect(JSON.stringify(http.evidence)).not.toContain(p.sid!);
    const redis = await sessionsSharedRedis(ctx, probe);
    expectPass(redis);
    expect(redis.evidence).toMatchObject({
      containsMarker: true,
      probeKeyDeleted: true,
      key: 'chatmrpt:<sid>',
    });
    expect(JSON.stringify(redis)).not.toContain(p.sid!);
    expect(await redisKeys(lab.state.environments.staging.redis.main.url)).not.toContain(`chatmrpt:${p.sid}`);
  });

  it('sessions.shared-http logs in where configured; login and write failures have their own diagnoses', async () => {
    const cfg = config();
    const withSession = (session: Partial<ParityConfig['app']['session']>) =>
      ctxOf('staging', { app: { ...cfg.app, session: { ...cfg.app.session, ...session } } });
    const login = {
      method: 'POST' as const,
      path: '/auth/signin',
      json: { email: 'parity@example.org', password: 'x' },
      token: '/token',
    };
    const ok = await sessionsSharedHttp(withSession({ login }));
    expectPass(ok);
    expect((ok.evidence.steps as { step: string }[]).map((s) => s.step)).toEqual([
      'identify',
      'login',
      'write',
      'control', // the read through the writing instance first
      'read',
    ]);
    expect(JSON.stringify(ok)).not.toContain('parity@example.org');

    const badLogin = await sessionsSharedHttp(
      withSession({ login: { ...login, json: { email: 'x', password: '' } } }),
    );
    expect(badLogin).toMatchObject({
      status: 'error',
      diagnosis: 'login failed: POST /auth/signin answered 401',
    });

    const badWrite = await sessionsSharedHttp(withSession({ write: { method: 'POST', path: '/nope' } }));
    expect(badWrite.status).toBe('fail');
    expect(badWrite.diagnosis).toMatch(
      /^write failed: POST \/nope through i-\w+ answered 404 \(expected 2xx\): not found$/,
    );
  });

  it('deploy.consistency, also with identity and version read from GET /whoami', async () => {
    expectPass(await deployConsistency(ctxOf('staging')));
    const cfg = config();
    const app = {
      ...cfg.app,
      identity: { path: '/whoami', json: '/node' },
      version: { path: '/whoami', json: '/build' },
    };
    const jsonCtx = ctxOf('staging', { app });
    const r = await deployConsistency(jsonCtx);
    expectPass(r);
    expect(r.evidence.versions).toEqual(Object.fromEntries(ids().map((i) => [i, '1.4.2'])));
    // health attributed through the sticky cookie of the /whoami request
    const h = await healthAlb(jsonCtx);
    expectPass(h);
    expect(Object.keys(h.evidence.answers as object).sort()).toEqual(ids().sort());
  });
});

describe('production interlock', () => {
  it('refuses session writes on role: production (skip with the reason), touching nothing', async () => {
    const url = lab.state.environments.production.redis.main.url;
    const before = await redisKeys(url);
    const ctx = ctxOf('production');
    const probe = runSessionProbe(ctx);
    const http = await sessionsSharedHttp(ctx, probe);
    expect(http.status).toBe('skip');
    expect(http.diagnosis).toMatch(/^refused: POST to a role: production environment/);
    expect((await probe).steps).toEqual([]);
    expect((await sessionsSharedRedis(ctx, probe)).status).toBe('skip');
    expect(await redisKeys(url)).toEqual(before);
    // read-only checks still run against production
    expectPass(await deployConsistency(ctx));
  });

  it('with the explicit override it writes through the app, but never deletes from production Redis', async () => {
    const ctx = ctxOf('production', { allowProductionWrites: true });
    const probe = runSessionProbe(ctx);
    expectPass(await sessionsSharedHttp(ctx, probe));
    const redis = await sessionsSharedRedis(ctx, probe);
    expectPass(redis);
    expect((redis.evidence as Record<string, unknown>).probeKeyDeleted).toBe(false);
    const sid = (await probe).sid!;
    expect(await redisKeys(lab.state.environments.production.redis.main.url)).toContain(`chatmrpt:${sid}`);
  });
});

describe('one instance behind the URL (an app instance addressed directly, bypassing the ALB)', () => {
  const direct = () => {
    const base = ctxOf('staging');
    return { ...base, env: { ...base.env, url: lab.state.environments.staging.instances[0].url } };
  };
  it('targets.reachable, sticky.spread and sessions.shared-http fail saying only one instance answers', async () => {
    const [a] = ids();
    const reach = await targetsReachable(direct());
    expect(reach.status).toBe('fail');
    expect(reach.diagnosis).toBe(
      `1 distinct instance answered through the ALB, expected 2, in 10 cookie-less requests: ${a} ×10`,
    );
    const spread = await stickySpread(direct());
    expect(spread.status).toBe('fail');
    expect(spread.diagnosis).toMatch(new RegExp(`^16 fresh clients landed on only ${a} `));
    const http = await sessionsSharedHttp(direct());
    expect(http.status).toBe('fail');
    expect(http.diagnosis).toBe(
      `no second instance reached: 10 tries without the sticky cookie all answered from ${a} ×10`,
    );
    expect(http.evidence).toMatchObject({ outcome: 'no-second-instance', switchTries: { [a]: 10 } });
  });
});

describe('bounded failures', () => {
  it('a passed deadline ends a check as error, not a hang', async () => {
    const r = await stickyPinning(ctxOf('staging', { deadline: Date.now() - 1 }));
    expect(r).toMatchObject({ status: 'error', diagnosis: expect.stringMatching(/run deadline reached/) });
  });

  it('an unreachable ALB and an unreachable Redis are one-line errors', async () => {
    const base = ctxOf('staging');
    const dead = { ...base, env: { ...base.env, url: 'http://127.0.0.1:9' } };
    const r = await targetsReachable(dead);
    expect(r).toMatchObject({ status: 'error', diagnosis: '127.0.0.1:9: connection refused' });
    const noRedis = { ...base, env: { ...base.env, redis: { url: 'redis://127.0.0.1:9' } } };
    const rr = await sessionsSharedRedis(noRedis);
    expect(rr).toMatchObject({ status: 'error', diagnosis: 'redis 127.0.0.1:9: connection refused' });
  });
});
