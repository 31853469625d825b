// Pure parts of the fingerprint: normalization, noise, the diff and its classification, and
// the small parsers of the HTTP and Redis collectors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { durationBucket } from '../src/fingerprint/buckets.js';
import { volatilePaths } from '../src/fingerprint/collect.js';
import { diffFingerprints, parseExpiry, pathMatcher } from '../src/fingerprint/diff.js';
import { formatDiff } from '../src/fingerprint/format.js';
import { describeCookie, jsonShape } from '../src/fingerprint/http.js';
import { normalizeFields, normalizeValue } from '../src/fingerprint/normalize.js';
import { parseInfo, sessionKeyPattern } from '../src/fingerprint/redis.js';
import type { Fingerprint, Scalar } from '../src/fingerprint/types.js';

function fp(fields: Record<string, Scalar>, extra: Partial<Fingerprint> = {}): Fingerprint {
  return {
    schemaVersion: 1,
    kind: 'parity-fingerprint',
    env: 'staging',
    role: 'staging',
    collectedAt: '2026-01-01T00:00:00.000Z',
    samples: 2,
    fields,
    raw: {},
    unknown: {},
    volatile: [],
    ...extra,
  };
}

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const arn = fc
  .record({
    partition: fc.constantFrom('aws', 'aws-us-gov', 'aws-cn'),
    service: fc.constantFrom('elasticloadbalancing', 'acm', 'iam', 'ec2'),
    region: fc.constantFrom('us-east-2', 'eu-west-1', ''),
    account: fc.stringMatching(/^\d{12}$/),
    kind: fc.constantFrom('loadbalancer/app', 'targetgroup', 'listener/app', 'certificate'),
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    id: hex(16),
  })
  .map((a) => `arn:${a.partition}:${a.service}:${a.region}:${a.account}:${a.kind}/${a.name}/${a.id}`);
const filler = fc.string({ maxLength: 20 }).map((s) => s.replace(/[a-z0-9:]/gi, ' '));

describe('normalization', () => {
  it('no raw ARN survives, wherever it sits in a value', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, arn), { minLength: 1, maxLength: 4 }), filler, (parts, tail) => {
        const value = parts.map(([f, a]) => f + a).join('') + tail;
        const out = String(normalizeValue(value, []));
        expect(out).not.toMatch(/arn:aws/);
        for (const [, a] of parts) expect(out).not.toContain(a);
      }),
    );
  });

  it('known identifiers become their role placeholder, longest first', () => {
    const ids = [
      {
        value: 'arn:aws:elasticloadbalancing:us-east-2:111111111111:targetgroup/chatmrpt-staging-tg/abc',
        placeholder: '<tg:HTTP:5000>',
      },
      { value: 'chatmrpt-staging-tg', placeholder: '<tg-name:HTTP:5000>' },
      { value: 'staging', placeholder: '<env>', word: true },
    ];
    expect(normalizeValue(`${ids[0].value}=1`, ids)).toBe('<tg:HTTP:5000>=1');
    expect(normalizeValue('chatmrpt-staging-tg', ids)).toBe('<tg-name:HTTP:5000>');
    expect(normalizeValue('staging', ids)).toBe('<env>');
    expect(normalizeValue('prestaging', ids)).toBe('prestaging'); // a word, not any substring
    expect(normalizeValue(42, ids)).toBe(42);
  });

  it('catches identifier-shaped text it was not told about', () => {
    expect(
      normalizeValue('i-0a57a91e0000000a1 in subnet-0a1b2c3d4e5f60718 sg-0123456789abcdef0 vpc-0c2b3e4f', []),
    ).toBe('<i> in <subnet> <sg> <vpc>');
    expect(normalizeValue('10.0.12.7:5000 at 2024-03-25T21:26:12.920Z', [])).toBe('<ip> at <time>');
    expect(normalizeValue('x-424835706.us-east-2.elb.amazonaws.com', [])).toBe('<lb-dns>');
    expect(normalizeValue('owner 123456789012', [])).toBe('owner <account>');
  });

  it('keeps the raw value beside every field it changed, and only those', () => {
    const { fields, raw } = normalizeFields({ a: 'vpc-0c2b3e4f5a6b7c8d9', b: 'same', c: 3 }, []);
    expect(fields).toEqual({ a: '<vpc>', b: 'same', c: 3 });
    expect(raw).toEqual({ a: 'vpc-0c2b3e4f5a6b7c8d9' });
  });
});

const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
const fieldsArb = fc.dictionary(fc.stringMatching(/^[a-z]{1,3}(\.[a-z]{1,3}){0,2}$/), scalar, {
  maxKeys: 12,
});

describe('diff', () => {
  it('diff(a, a) is empty', () => {
    fc.assert(
      fc.property(fieldsArb, fc.array(fc.string(), { maxLength: 3 }), (fields, volatile) => {
        const d = diffFingerprints(fp(fields, { volatile }), fp(fields, { volatile }));
        expect(d.differences).toEqual([]);
        expect(d.summary.same).toBe(Object.keys(fields).length);
      }),
    );
  });

  it('finds exactly the fields that differ, sorted, the same whichever side is A', () => {
    fc.assert(
      fc.property(fieldsArb, fieldsArb, (x, y) => {
        const ab = diffFingerprints(fp(x), fp(y));
        const ba = diffFingerprints(fp(y), fp(x));
        const differing = [...new Set([...Object.keys(x), ...Object.keys(y)])]
          .filter((k) => x[k] !== y[k])
          .sort((p, q) => (p < q ? -1 : 1));
        expect(ab.differences.map((d) => d.path)).toEqual(differing);
        expect(ba.differences.map((d) => d.path)).toEqual(differing);
        expect(ab.differences.every((d) => d.class === 'drift')).toBe(true);
      }),
    );
  });

  it('is deterministic whatever the key order of the files', () => {
    fc.assert(
      fc.property(fieldsArb, fieldsArb, (x, y) => {
        const reversed = (r: Record<string, Scalar>) => Object.fromEntries(Object.entries(r).reverse());
        const now = new Date('2026-06-01T00:00:00Z');
        expect(JSON.stringify(diffFingerprints(fp(reversed(x)), fp(reversed(y)), { now }))).toBe(
          JSON.stringify(diffFingerprints(fp(x), fp(y), { now })),
        );
      }),
    );
  });

  const a = fp({
    'targetGroups[HTTP:5000].instanceType': 't3.medium',
    'http.versions': '1.5.0',
    'http.headers.server': 'present',
    'loadBalancer.attributes.idle_timeout.timeout_seconds': '30',
    'redis.session.ttl': '≤1d',
  });
  const b = fp(
    {
      'targetGroups[HTTP:5000].instanceType': 't3.large',
      'http.versions': '1.4.2',
      'loadBalancer.attributes.idle_timeout.timeout_seconds': '60',
    },
    {
      env: 'production',
      role: 'production',
      volatile: ['http.headers.server'],
      unknown: { 'redis.session.ttl': 'no session keys match "chatmrpt:*"' },
    },
  );
  const now = new Date('2026-11-28T12:00:00Z');

  it('classifies: expected (with reason), expired expectation = drift, volatile = noise, unknown = unverified', () => {
    const d = diffFingerprints(a, b, {
      now,
      expectDifferent: [
        { path: 'targetGroups[*].instanceType', reason: 'staging uses t3.medium', expires: '2027-06-01' },
        { path: 'http.versions', reason: 'release candidate on staging', expires: '2026-11-01' },
        { path: 'listeners[*].sslPolicy', reason: 'never matches' },
      ],
    });
    expect(d.differences).toEqual([
      {
        path: 'http.headers.server',
        class: 'noise',
        a: 'present',
        b: undefined,
        note: 'volatile in production',
      },
      {
        path: 'http.versions',
        class: 'drift',
        a: '1.5.0',
        b: '1.4.2',
        note: 'expected difference expired on 2026-11-01 (fingerprint.expectDifferent[1]: release candidate on staging)',
      },
      {
        path: 'loadBalancer.attributes.idle_timeout.timeout_seconds',
        class: 'drift',
        a: '30',
        b: '60',
      },
      {
        path: 'targetGroups[HTTP:5000].instanceType',
        class: 'expected',
        a: 't3.medium',
        b: 't3.large',
        note: 'staging uses t3.medium (until 2027-06-01)',
      },
    ]);
    expect(d.unverified).toEqual([
      { path: 'redis.session.ttl', a: '≤1d', b: 'unknown: no session keys match "chatmrpt:*"' },
    ]);
    expect(d.unusedExpectations).toEqual([{ path: 'listeners[*].sslPolicy', reason: 'never matches' }]);
    expect(d.summary).toEqual({
      compared: 4,
      same: 0,
      drift: 2,
      expected: 1,
      noise: 1,
      unverified: 1,
      inconsistent: 0,
    });
  });

  it('an unknown plane covers every field under it', () => {
    const d = diffFingerprints(
      fp({ 'redis.version': '7.0', 'redis.mode': 'standalone', x: 1 }),
      fp({ x: 1 }, { unknown: { redis: 'not configured' } }),
    );
    expect(d.differences).toEqual([]);
    expect(d.unverified).toEqual([{ path: 'redis', a: '2 fields', b: 'unknown: not configured' }]);
  });

  it('the table shows both values, the raw ones beside, and the summary', () => {
    const x = fp({ 'loadBalancer.scheme': 'internal' }, { raw: {} });
    const y = fp(
      { 'loadBalancer.scheme': 'internet-facing', 'targetGroups[HTTP:5000].healthCheck.path': '/ping' },
      { env: 'production' },
    );
    const text = formatDiff(diffFingerprints(x, y, { now }));
    expect(text).toContain('fingerprint diff: staging (A) vs production (B)');
    expect(text).toMatch(/drift\s+loadBalancer\.scheme\s+internal\s+internet-facing/);
    expect(text).toMatch(/drift\s+targetGroups\[HTTP:5000\]\.healthCheck\.path\s+\(absent\)\s+\/ping/);
    expect(text).toContain('2 fields compared: 2 drift, 0 expected, 0 noise, 0 unverified');
    const withRaw = formatDiff(
      diffFingerprints(
        fp({ t: '<tg:HTTP:5000>' }, { raw: { t: 'arn:a' } }),
        fp({ t: '<tg:HTTP:8000>' }, { raw: { t: 'arn:b' } }),
      ),
    );
    expect(withRaw).toContain('raw: arn:a  vs  arn:b');
  });

  it('path patterns: * within a segment or key, ** across, a parent matches its fields', () => {
    const m = pathMatcher('targetGroups[*].attributes');
    expect(m('targetGroups[HTTP:5000].attributes.stickiness.enabled')).toBe(true);
    expect(m('targetGroups[HTTP:5000].healthCheck.path')).toBe(false);
    expect(m('targetGroups[HTTP:5000].attributesX')).toBe(false);
    expect(pathMatcher('http.cookies.*')('http.cookies.AWSALB')).toBe(true);
    expect(pathMatcher('http.*')('http.cookies.AWSALB')).toBe(true); // parent of the match
    expect(pathMatcher('**.path')('targetGroups[HTTP:5000].healthCheck.path')).toBe(true);
    expect(pathMatcher('http.versions')('http.versionsX')).toBe(false);
  });

  it('an expiry is an ISO date (valid through that day, UTC); anything else is a usage error', () => {
    expect(parseExpiry('2027-06-01', 'k')?.toISOString()).toBe('2027-06-02T00:00:00.000Z');
    expect(parseExpiry(new Date('2027-06-01T00:00:00Z'), 'k')?.toISOString()).toBe(
      '2027-06-01T00:00:00.000Z',
    );
    expect(() => parseExpiry('next summer', 'fingerprint.expectDifferent[0].expires')).toThrow(UsageError);
    expect(() => parseExpiry('next summer', 'fingerprint.expectDifferent[0].expires')).toThrow(
      'config error: fingerprint.expectDifferent[0].expires: must be an ISO date YYYY-MM-DD (got "next summer")',
    );
    for (const local of ['8 Dec 2026', '2026-12-08T00:00:00', '2027-02-30'])
      expect(() => parseExpiry(local, 'k'), local).toThrow(UsageError);
  });
});

describe('noise calibration', () => {
  it('a field whose value, presence or knowability differs between samples is volatile', () => {
    expect(
      volatilePaths([
        { fields: { a: 1, b: 'x', c: true, d: 1 }, unknown: {} },
        { fields: { a: 1, b: 'y', d: 1 }, unknown: { e: 'gone' } },
      ]),
    ).toEqual(['b', 'c', 'e']);
  });
});

describe('collector parsers', () => {
  it('JSON shape keeps keys and types, not values', () => {
    expect(
      jsonShape(
        { overall: 'healthy', services: { redis: 'ok' }, timestamp: 1.5, tags: ['a'], x: null, e: {} },
        'h',
      ),
    ).toEqual({
      'h.overall': 'string',
      'h.services.redis': 'string',
      'h.timestamp': 'number',
      'h.tags': 'array<string>',
      'h.x': 'null',
      'h.e': 'object<empty>',
    });
  });

  it('cookies: attributes and an expiry bucket, never the value', () => {
    expect(describeCookie('AWSALB=secret|x; path=/; Max-Age=604800', undefined)).toEqual({
      name: 'AWSALB',
      text: 'Path=/; Max-Age≤7d',
    });
    expect(
      describeCookie(
        'AWSALBCORS=v; Expires=Sat, 05 Dec 2026 17:13:12 GMT; Path=/; SameSite=None; Secure',
        'Sat, 28 Nov 2026 17:13:12 GMT',
      ),
    ).toEqual({ name: 'AWSALBCORS', text: 'Path=/; Expires≤7d; SameSite=None; Secure' });
    expect(describeCookie('chatmrpt_session=a.b; Path=/; HttpOnly; SameSite=Lax', undefined)?.text).toBe(
      'Path=/; session; SameSite=Lax; HttpOnly',
    );
  });

  it('durations compare by bucket', () => {
    expect([86400, 86394, 3600, 604800, 30, 0, -1, 4e7].map(durationBucket)).toEqual([
      '≤1d',
      '≤1d',
      '≤1h',
      '≤7d',
      '≤1m',
      'expired',
      'expired',
      '>1y',
    ]);
  });

  it('session keys: the template with any sid, but not other keys under the prefix', () => {
    const p = sessionKeyPattern('chatmrpt:{sid}');
    expect(p.match).toBe('chatmrpt:*');
    expect(p.isSession('chatmrpt:0123abcd')).toBe(true);
    expect(p.isSession('chatmrpt:token:tok_1')).toBe(false);
    expect(p.keyOf('abc')).toBe('chatmrpt:abc');
    expect(sessionKeyPattern('s[1]:{sid}:data').match).toBe('s\\[1\\]:*:data');
  });

  it('INFO parses into fields', () => {
    expect(
      parseInfo(
        '# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n# Memory\r\nmaxmemory_policy:noeviction\r\n',
      ),
    ).toEqual({
      redis_version: '7.0.15',
      redis_mode: 'standalone',
      maxmemory_policy: 'noeviction',
    });
  });
});
