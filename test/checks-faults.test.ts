// Each lab fault makes the checks it breaks fail, with a diagnosis naming the real cause,
// while the checks it does not touch still pass. Staging-only labs; faults that touch
// different things share one lab (version-skew, health-degraded and session-ttl each change
// another knob of the apps), the routing and session-store faults get their own.
import { afterAll, describe, expect, it } from 'vitest';
import { targetContext } from '../src/contract/target.js';
import { deployConsistency } from '../src/checks/deploy.js';
import { healthAlb } from '../src/checks/health.js';
import { runSessionProbe, sessionsSharedHttp, sessionsSharedRedis } from '../src/checks/sessions.js';
import { stickyCookie, stickyPinning, stickySpread } from '../src/checks/sticky.js';
import type { CheckResult } from '../src/contract/result.js';
import type { TargetContext } from '../src/contract/target.js';
import { loadConfigFile } from '../src/config/load.js';
import { closeHttp } from '../src/http/client.js';
import { useLab, type LabHandle } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const A = 'i-0a57a91e0000000a1';
const B = 'i-0a57a91e0000000b2';
const staging = (lab: LabHandle): TargetContext =>
  targetContext(loadConfigFile(lab.state.config!), 'staging');
const expectStatus = (r: CheckResult, status: CheckResult['status']) =>
  expect(r.status, `${r.id}: ${r.diagnosis}`).toBe(status);

afterAll(() => closeHttp());

describe('faults version-skew + health-degraded + session-ttl', () => {
  const lab = useLab({ faults: ['version-skew', 'health-degraded', 'session-ttl'], topology: stagingOnly() });

  it('deploy.consistency fails listing instance → version', async () => {
    const r = await deployConsistency(staging(lab));
    expectStatus(r, 'fail');
    expect(r.diagnosis).toMatch(/^instances run different versions: /);
    expect(r.diagnosis).toContain(`${A} → 1.4.2`);
    expect(r.diagnosis).toContain(`${B} → 1.5.0`);
  });

  it('health.alb fails naming the degraded instance and the body value, though every answer is 200', async () => {
    const r = await healthAlb(staging(lab));
    expectStatus(r, 'fail');
    expect(r.diagnosis).toContain(`${B}: /overall is "degraded" (expected "healthy")`);
    expect(r.diagnosis).not.toContain(`${A}:`);
    const samples = r.evidence.samples as { status: number }[];
    expect(samples.every((s) => s.status === 200)).toBe(true);
  });

  it('sessions.shared-redis fails on the TTL while sessions.shared-http passes', async () => {
    const ctx = staging(lab);
    const probe = runSessionProbe(ctx);
    expectStatus(await sessionsSharedHttp(ctx, probe), 'pass');
    const r = await sessionsSharedRedis(ctx, probe);
    expectStatus(r, 'fail');
    expect(r.diagnosis).toMatch(/TTL 3\d{3} s is shorter than the configured 86400 s$/);
    expect(r.evidence).toMatchObject({
      containsMarker: true,
      configuredTtlSeconds: 86400,
      probeKeyDeleted: true,
    });
  });

  it('routing is untouched: sticky checks pass', async () => {
    expectStatus(await stickyCookie(staging(lab)), 'pass');
    expectStatus(await stickyPinning(staging(lab)), 'pass');
  });
});

describe('fault no-sticky', () => {
  const lab = useLab({ faults: ['no-sticky'], topology: stagingOnly() });
  it('sticky.cookie and sticky.pinning fail; the sequence shows both instances; spread, health, deploy pass', async () => {
    const cookie = await stickyCookie(staging(lab));
    expectStatus(cookie, 'fail');
    expect(cookie.diagnosis).toMatch(/set no AWSALB cookie/);
    const pin = await stickyPinning(staging(lab));
    expectStatus(pin, 'fail');
    expect(pin.diagnosis).toMatch(
      /20 requests with one cookie jar reached 2 instances \(no AWSALB cookie was set\)/,
    );
    expect(pin.diagnosis).toContain(A);
    expect(pin.diagnosis).toContain(B);
    expect(new Set(pin.evidence.sequence as string[])).toEqual(new Set([A, B]));
    expectStatus(await stickySpread(staging(lab)), 'pass');
    expectStatus(await healthAlb(staging(lab)), 'pass');
    expectStatus(await deployConsistency(staging(lab)), 'pass');
  });
});

describe('fault split-redis', () => {
  const lab = useLab({ faults: ['split-redis'], topology: stagingOnly() });
  it('sessions.shared-http fails: the marker is missing on the other instance', async () => {
    const r = await sessionsSharedHttp(staging(lab));
    expectStatus(r, 'fail');
    expect(r.diagnosis).toMatch(
      /^marker written through i-\w+ is missing when read through i-\w+ \(GET \/api\/session\/status answered 200\): sessions are not shared between instances$/,
    );
    expect(r.evidence).toMatchObject({ outcome: 'not-shared' });
    expect(new Set([r.evidence.instanceA, r.evidence.instanceB])).toEqual(new Set([A, B]));
  });
});
