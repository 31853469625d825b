// load.distribution and load.sticky judged on made-up runs: the thresholds decide, the
// diagnosis carries the numbers. Plus the pure helpers of the load stage.
import { describe, expect, it } from 'vitest';
import { evaluateDistribution, evaluateSticky } from '../src/checks/load.js';
import { targetContext } from '../src/contract/target.js';
import { parseConfig } from '../src/config/load.js';
import { rawHeader, setCookieValue, StickyClient, stickySummary } from '../src/load/attribution.js';
import { newHistogram, recordMs } from '../src/load/histogram.js';
import {
  expectationsOf,
  parseDuration,
  parseShard,
  planLoad,
  shardConnections,
  type LoadExpectations,
} from '../src/load/plan.js';
import type { InstanceData, LoadData, StickyData } from '../src/load/result.js';

const exp: LoadExpectations = {
  env: 'staging',
  expectedInstances: 2,
  thresholds: { maxErrorRate: 0.01, p99Ms: 800, minShare: 0.4, alpha: 0.001 },
  identityHeader: 'x-instance-id',
  stickyCookie: 'AWSALB',
};

function slot(count: number, latencyMs = 2, codes?: Record<string, number>): InstanceData {
  const latency = newHistogram();
  for (let i = 0; i < count; i++) recordMs(latency, latencyMs);
  return { count, statusCodes: codes ?? (count ? { '200': count } : {}), latency };
}

function data(instances: Record<string, InstanceData>, extra: Partial<LoadData> = {}): LoadData {
  const unattributed = extra.unattributed ?? slot(0);
  const responses = Object.values(instances).reduce((s, i) => s + i.count, 0) + unattributed.count;
  return {
    mode: 'distribution',
    url: 'http://127.0.0.1:1/ping',
    connections: 10,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:03.000Z',
    durationSeconds: 3,
    rps: responses / 3,
    responses,
    transportErrors: 0,
    timeouts: 0,
    instances,
    unattributed,
    abandoned: 0,
    runs: 1,
    ...extra,
  };
}

describe('load.distribution', () => {
  it('passes an even split and says so with the numbers', () => {
    const v = evaluateDistribution(data({ 'i-a': slot(5000), 'i-b': slot(4990) }), exp);
    expect(v.status).toBe('pass');
    expect(v.diagnosis).toContain('i-a 5,000 (50.1%)');
    expect(v.diagnosis).toContain('i-b 4,990 (49.9%)');
    expect(v.diagnosis).toMatch(/chi² 0\.01 \(df 1\) p=0\.92/);
    expect((v.evidence as Record<string, unknown>).chiSquare).toMatchObject({ df: 1, applied: true });
  });

  it('fails an 80/20 split on minShare and on chi-square', () => {
    const v = evaluateDistribution(data({ 'i-a': slot(8000), 'i-b': slot(2000) }), exp);
    expect(v.status).toBe('fail');
    expect(v.diagnosis).toContain('i-b got 20.0% (min 40.0%)');
    expect(v.diagnosis).toContain('split differs from equal shares (chi² p below alpha 0.001)');
    expect(v.diagnosis).toContain('chi² 3600.00 (df 1) p<1e-300');
  });

  it('fails a small but significant imbalance on chi-square alone, unless alpha is 0', () => {
    const d = data({ 'i-a': slot(55_000), 'i-b': slot(45_000) });
    const v = evaluateDistribution(d, exp);
    expect(v.status).toBe('fail');
    expect(v.diagnosis).not.toContain('min 40');
    expect(v.diagnosis).toMatch(/^split differs from equal shares .* chi² 1000\.00 \(df 1\) p=1\.8e-219/);
    const off = evaluateDistribution(d, { ...exp, thresholds: { ...exp.thresholds, alpha: 0 } });
    expect(off.status).toBe('pass');
  });

  it('names an expected instance that got nothing', () => {
    const v = evaluateDistribution(data({ 'i-a': slot(3000) }), exp);
    expect(v.status).toBe('fail');
    expect(v.diagnosis).toMatch(/^only 1 of 2 expected instances answered;/);
    expect(v.diagnosis).toContain('(unseen #2) 0 (0.0%)');
    expect(v.diagnosis).toContain('i-a 3,000 (100.0%)');
  });

  it('holds the split against configured weights', () => {
    const weighted = {
      ...exp,
      weights: { 'i-a': 3, 'i-b': 1 },
      thresholds: { ...exp.thresholds, minShare: 0.2 },
    };
    expect(evaluateDistribution(data({ 'i-a': slot(7500), 'i-b': slot(2500) }), weighted).status).toBe(
      'pass',
    );
    const even = evaluateDistribution(data({ 'i-a': slot(5000), 'i-b': slot(5000) }), weighted);
    expect(even.status).toBe('fail');
    expect(even.diagnosis).toContain('split differs from the configured weights');
    const stranger = evaluateDistribution(
      data({ 'i-a': slot(7500), 'i-b': slot(2400), 'i-c': slot(100) }),
      weighted,
    );
    expect(stranger.diagnosis).toContain('unexpected instance i-c answered 100 requests');
    const down = evaluateDistribution(data({ 'i-a': slot(7500) }), weighted);
    expect(down.diagnosis).toMatch(/^i-b received no requests;/);
  });

  it('fails on the error rate and on p99, naming codes and the slow instance', () => {
    const errs = evaluateDistribution(
      data({ 'i-a': slot(500, 2, { '200': 480, '502': 20 }), 'i-b': slot(500) }, { transportErrors: 5 }),
      exp,
    );
    expect(errs.status).toBe('fail');
    expect(errs.diagnosis).toContain('error rate 2.5% > 1.0% (502×20, connection errors×5)');

    const slow = evaluateDistribution(data({ 'i-a': slot(5000, 2), 'i-b': slot(40, 1000) }), {
      ...exp,
      thresholds: { ...exp.thresholds, minShare: 0, alpha: 0 },
    });
    expect(slow.status).toBe('fail');
    expect(slow.diagnosis).toMatch(/^i-b p99 100\d\.\d ms > 800 ms/);
  });

  it('fails when no response names its instance, and errors when nothing answered', () => {
    const anon = evaluateDistribution(data({}, { unattributed: slot(300, 1, { '503': 300 }) }), exp);
    expect(anon.status).toBe('fail');
    expect(anon.diagnosis).toContain('none of 300 responses carried the identity header x-instance-id');
    const dead = evaluateDistribution(data({}, { transportErrors: 4242 }), exp);
    expect(dead.status).toBe('error');
    expect(dead.diagnosis).toBe('no response from http://127.0.0.1:1/ping: 4,242 connection errors/timeouts');
  });
});

describe('load.sticky', () => {
  const sticky = (s: Partial<StickyData>): Partial<LoadData> => ({
    mode: 'sticky',
    sticky: {
      clients: 10,
      clientsWithCookie: 10,
      pinned: { 'i-a': 5, 'i-b': 5 },
      violations: 0,
      clientsWithViolations: 0,
      ...s,
    },
  });

  it('passes pinned, spread clients', () => {
    const v = evaluateSticky(data({ 'i-a': slot(900), 'i-b': slot(1100) }, sticky({})), exp);
    expect(v.status).toBe('pass');
    expect(v.diagnosis).toBe(
      '10 clients, 2,000 responses; pinned: i-a 5, i-b 5; 0 moves; 10/10 with AWSALB; errors 0.0%',
    );
  });

  it('fails moves, missing cookies and clients all on one instance', () => {
    const moved = evaluateSticky(
      data(
        { 'i-a': slot(1000), 'i-b': slot(1000) },
        sticky({ clientsWithCookie: 0, violations: 990, clientsWithViolations: 10 }),
      ),
      exp,
    );
    expect(moved.status).toBe('fail');
    expect(moved.diagnosis).toContain('10 of 10 clients never received the AWSALB cookie');
    expect(moved.diagnosis).toContain('990 responses came from another instance');
    const lumped = evaluateSticky(data({ 'i-a': slot(2000) }, sticky({ pinned: { 'i-a': 10 } })), exp);
    expect(lumped.status).toBe('fail');
    expect(lumped.diagnosis).toMatch(/^clients pinned to 1 instance\(s\), expected 2/);
  });

  it('tracks a client: pinned by its first answer, every other instance counted', () => {
    const c = new StickyClient();
    for (const id of [undefined, 'i-b', 'i-b', 'i-a', undefined, 'i-b', 'i-a']) c.observe(id);
    expect(c.pinned).toBe('i-b');
    expect(c.violations).toBe(2);
    const d = new StickyClient();
    d.cookie = 'x';
    d.observe('i-a');
    expect(stickySummary([c, d])).toEqual({
      clients: 2,
      clientsWithCookie: 1,
      pinned: { 'i-a': 1, 'i-b': 1 },
      violations: 2,
      clientsWithViolations: 1,
    });
  });
});

describe('attribution helpers', () => {
  const raw = [
    'X-Instance-ID',
    'i-a',
    'Set-Cookie',
    'AWSALBCORS=zzz; Secure',
    'set-cookie',
    'AWSALB=abc|d; path=/',
  ];
  it('find headers and cookies whatever their case', () => {
    expect(rawHeader(raw, 'x-instance-id')).toBe('i-a');
    expect(rawHeader(raw, 'x-app-version')).toBeUndefined();
    expect(setCookieValue(raw, 'AWSALB')).toBe('abc|d');
    expect(setCookieValue(raw, 'AWSALBCORS')).toBe('zzz');
    expect(setCookieValue(raw, 'other')).toBeUndefined();
  });
});

describe('load plan', () => {
  const config = (extra = '') =>
    parseConfig(
      `environments:\n  staging: { role: staging, url: "http://127.0.0.1:1" }\n  production: { role: production, url: "http://127.0.0.1:2" }\n${extra}`,
      'test.yaml',
    );

  it('parses durations and shards, and splits connections over shards', () => {
    expect(parseDuration('20s')).toBe(20);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('3')).toBe(3);
    expect(() => parseDuration('soon')).toThrow('--duration: "soon" is not a duration');
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1', 'a/b']) expect(() => parseShard(bad)).toThrow('must be I/N');
    const split = [1, 2, 3].map((index) => shardConnections(11, { index, count: 3 }));
    expect(split).toEqual([4, 4, 3]);
  });

  it('bounds the run and refuses production without the override', () => {
    const ctx = targetContext(config(), 'staging');
    const plan = planLoad(ctx, { connections: 7, duration: '2s' });
    expect(plan.driver).toMatchObject({ url: 'http://127.0.0.1:1/ping', connections: 7, durationSeconds: 2 });
    expect(planLoad(ctx).driver).toMatchObject({ connections: 50, durationSeconds: 20 });
    expect(() => planLoad(ctx, { connections: 1001 })).toThrow(
      '--connections must be an integer from 1 to 1000',
    );
    expect(() => planLoad(ctx, { duration: 601 })).toThrow('at most 600 s');
    expect(() => planLoad(ctx, { connections: 2, shard: { index: 1, count: 3 } })).toThrow(
      'needs at least 3',
    );
    const prod = targetContext(config(), 'production');
    expect(() => planLoad(prod)).toThrow('refusing to load "production": it is role production');
    expect(planLoad(prod, { allowProductionLoad: true }).driver.url).toBe('http://127.0.0.1:2/ping');
  });

  it('needs a header identity and consistent thresholds', () => {
    const json = targetContext(config('app: { identity: { path: /whoami, json: /node } }'), 'staging');
    expect(() => planLoad(json)).toThrow('load attribution needs an identity header');
    const three = targetContext(config('app: { expectedInstances: 3 }'), 'staging');
    expect(() => expectationsOf(three)).toThrow(
      'load.thresholds.minShare 0.4 exceeds the smallest expected share 0.333',
    );
    const ok = targetContext(
      config('app: { expectedInstances: 3 }\nload: { thresholds: { minShare: 0.25 } }'),
      'staging',
    );
    expect(expectationsOf(ok).thresholds).toEqual({
      maxErrorRate: 0.01,
      p99Ms: 800,
      minShare: 0.25,
      alpha: 0.001,
    });
  });
});
