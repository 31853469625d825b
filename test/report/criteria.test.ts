import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/contract/result.js';
import { CRITERIA, evaluateCriteria, evidenceLine, evidenceSummary } from '../../src/report/criteria.js';
import type { CriterionResult } from '../../src/report/model.js';
import { signoffVerdict } from '../../src/report/verdict.js';
import { A, B, brokenRun, journeyChecks, passingRun } from '../fixtures/runs.js';

const pass = passingRun();
const envs = pass.environments;
const byId = (cs: CriterionResult[], id: number) => cs.find((c) => c.id === id)!;
const withStatus = (checks: CheckResult[], id: string, status: CheckResult['status'], env = 'staging') =>
  checks.map((c) => (c.id === id && c.env === env ? { ...c, status, diagnosis: `${id} ${status}` } : c));

describe('criteria', () => {
  it('maps the checks to the six criteria', () => {
    const cs = evaluateCriteria(pass.checks, envs);
    expect(cs.map((c) => [c.id, c.checks])).toEqual([
      [1, ['targets.registered', 'targets.reachable', 'health.alb', 'instances.same-build']],
      [2, ['sticky.cookie', 'sticky.pinning', 'sticky.spread', 'load.sticky']],
      [3, ['sessions.shared-http', 'sessions.shared-redis']],
      [4, ['deploy.consistency', 'targets.reachable']],
      [5, ['fingerprint.diff', 'network.alb-only']],
      [6, [...new Set(pass.checks.map((c) => c.id))]],
    ]);
    expect(cs.every((c) => c.status === 'pass')).toBe(true);
  });

  it('writes evidence lines from the checks evidence', () => {
    const cs = evaluateCriteria(pass.checks, envs);
    expect(byId(cs, 1).evidence).toContain(
      `PASS targets.registered (staging): 2 targets healthy: ${A}, ${B}`,
    );
    expect(byId(cs, 3).evidence).toContain(
      `PASS sessions.shared-http (staging): marker written via ${A}, read via ${B}`,
    );
    expect(byId(cs, 4).evidence).toContain(
      `PASS deploy.consistency (staging): versions: ${A} 1.4.2, ${B} 1.4.2 (no expected version given: one version on every instance, not which one)`,
    );
    // With --expect-version (and --converge), criterion 4 says which version and how the rollout went.
    const deploy = pass.checks.map((c) =>
      c.id === 'deploy.consistency'
        ? {
            ...c,
            evidence: {
              ...c.evidence,
              expectedVersion: '1.4.2',
              convergence: {
                limitSeconds: 300,
                converged: true,
                afterMs: 2300,
                waitedMs: 2300,
                rounds: 3,
                expectedVersion: '1.4.2',
                pending: [],
              },
            },
          }
        : c,
    );
    expect(byId(evaluateCriteria(deploy, envs), 4).evidence).toContain(
      `PASS deploy.consistency (staging): versions: ${A} 1.4.2, ${B} 1.4.2 (expected 1.4.2; converged after 2.3 s)`,
    );
    // sticky.pinning runs one client (src/checks/sticky.ts): its 20 requests, all on A.
    expect(byId(cs, 2).evidence!.join('\n')).toContain(`sticky.pinning (staging): pinned: 20/20 to ${A}`);
    expect(byId(cs, 2).evidence!.join('\n')).toContain(`load.sticky (staging): shares: ${A} 52.0%`);
    expect(byId(cs, 5).evidence).toEqual([
      'PASS fingerprint.diff (staging): 1 difference(s), 0 unexpected',
      'PASS network.alb-only (staging): target port 8080 admitted only from sg-0c1d2e3f4a5b6c7d8',
    ]);
    expect(byId(cs, 1).evidence).toContain(
      `PASS instances.same-build (staging): instances: ${A} chatmrpt-app-2026-11-20 t3.medium running, ${B} chatmrpt-app-2026-11-20 t3.medium running`,
    );
    expect(byId(cs, 6).evidence).toEqual(['all 17 checks passed (14 on staging, 3 on production)']);
  });

  it('decides the broken run: sticky and parity FAIL, Redis NOT VERIFIED', () => {
    const cs = evaluateCriteria(brokenRun().checks, envs);
    expect(cs.map((c) => c.status)).toEqual(['pass', 'fail', 'not-verified', 'pass', 'fail', 'fail']);
    // Failing checks show their diagnosis, not a summary of their evidence.
    expect(byId(cs, 2).evidence![0]).toMatch(/^FAIL sticky\.cookie \(staging\): no AWSALB cookie/);
    expect(byId(cs, 3).evidence![1]).toMatch(/^ERROR sessions\.shared-redis \(staging\): .*ECONNREFUSED/);
  });

  it.each(['skip', 'error'] as const)(
    'a %s check leaves its criterion NOT VERIFIED, never PASS',
    (status) => {
      const cs = evaluateCriteria(withStatus(pass.checks, 'sticky.spread', status), envs);
      expect(byId(cs, 2).status).toBe('not-verified');
      expect(byId(cs, 6).status).toBe('not-verified');
      expect(byId(cs, 1).status).toBe('pass');
    },
  );

  it('a missing check leaves its criterion NOT VERIFIED and says so', () => {
    const cs = evaluateCriteria(
      pass.checks.filter((c) => c.id !== 'load.sticky' && c.id !== 'fingerprint.diff'),
      envs,
    );
    expect(byId(cs, 2).status).toBe('not-verified');
    expect(byId(cs, 2).evidence).toContain('NOT RUN load.sticky: no result in this run');
    expect(byId(cs, 5).status).toBe('not-verified');
    // Criterion 6 is about the checks that ran.
    expect(byId(cs, 6).status).toBe('pass');
  });

  it('any failure makes the criterion FAIL, even next to an errored check', () => {
    let checks = withStatus(pass.checks, 'sessions.shared-redis', 'error');
    checks = withStatus(checks, 'sessions.shared-http', 'fail');
    expect(byId(evaluateCriteria(checks, envs), 3).status).toBe('fail');
  });

  it('criterion 3 counts every journey: listed by id, a failing one fails it; none configured, nothing missing', () => {
    const [passed, failed] = journeyChecks();
    const withPassed = evaluateCriteria([...pass.checks, passed], envs);
    expect(byId(withPassed, 3)).toMatchObject({
      status: 'pass',
      checks: ['sessions.shared-http', 'sessions.shared-redis', 'journey.upload-analyze'],
    });
    expect(byId(withPassed, 3).evidence).toContain(
      `PASS journey.upload-analyze (staging): ${passed.diagnosis}`,
    );
    const withFailed = evaluateCriteria([...pass.checks, passed, failed], envs);
    expect(byId(withFailed, 3).status).toBe('fail');
    expect(byId(withFailed, 3).checks).toEqual([
      'sessions.shared-http',
      'sessions.shared-redis',
      'journey.upload-analyze',
      'journey.report',
    ]);
    expect(byId(withFailed, 3).evidence).toContain(`FAIL journey.report (staging): ${failed.diagnosis}`);
    const skipped = evaluateCriteria([...pass.checks, { ...passed, status: 'skip' as const }], envs);
    expect(byId(skipped, 3).status).toBe('not-verified');
    // No journeys configured: criterion 3 stands on the session checks alone.
    expect(byId(evaluateCriteria(pass.checks, envs), 3).status).toBe('pass');
    // A journey on production does not speak for staging.
    const onProd = evaluateCriteria([...pass.checks, { ...failed, env: 'production' }], envs);
    expect(byId(onProd, 3).status).toBe('pass');
  });

  it('criterion 4 needs targets.reachable as well as deploy.consistency', () => {
    const cs = evaluateCriteria(withStatus(pass.checks, 'targets.reachable', 'fail'), envs);
    expect(byId(cs, 4).status).toBe('fail');
    expect(byId(cs, 1).status).toBe('fail');
  });

  it('criterion 4 counts deploy.watch when a watch ran: its failure fails the criterion, its absence leaves it as it is', () => {
    const watch = {
      id: 'deploy.watch',
      env: 'staging',
      status: 'fail' as const,
      diagnosis: '3 user-visible errors of 90 requests: i-a HTTP 503×3 12:00:01 (s 1)',
      durationMs: 1,
      evidence: {},
    };
    const failed = evaluateCriteria([...pass.checks, watch], envs);
    expect(byId(failed, 4).status).toBe('fail');
    expect(byId(failed, 4).checks).toContain('deploy.watch');
    expect(byId(failed, 4).evidence).toContain(`FAIL deploy.watch (staging): ${watch.diagnosis}`);
    expect(
      byId(evaluateCriteria([...pass.checks, { ...watch, status: 'pass' as const }], envs), 4).status,
    ).toBe('pass');
    expect(byId(evaluateCriteria(pass.checks, envs), 4).status).toBe('pass');
  });

  it('criteria 1-4 are about staging: a production failure fails only criterion 6', () => {
    const cs = evaluateCriteria(withStatus(pass.checks, 'targets.registered', 'fail', 'production'), envs);
    expect(cs.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'fail']);
  });

  it('a staging check run only on production does not verify staging', () => {
    const checks = pass.checks.map((c) => (c.id === 'deploy.consistency' ? { ...c, env: 'production' } : c));
    expect(byId(evaluateCriteria(checks, envs), 4).status).toBe('not-verified');
  });

  it('an empty run verifies nothing', () => {
    const cs = evaluateCriteria([], envs);
    expect(cs.every((c) => c.status === 'not-verified')).toBe(true);
    expect(byId(cs, 6).evidence).toEqual(['no checks ran']);
  });

  it('counts "unexpected" diff rows as unexpected', () => {
    const fp = brokenRun().checks.find((c) => c.id === 'fingerprint.diff')!;
    expect(evidenceSummary({ ...fp, status: 'pass' })).toBe(
      '3 difference(s), 2 unexpected: targetGroups[0].stickiness.enabled, loadBalancer.idleTimeoutSeconds',
    );
  });

  it('falls back to the diagnosis when the evidence has an unknown shape', () => {
    const odd: CheckResult = {
      id: 'deploy.consistency',
      env: 'staging',
      status: 'pass',
      diagnosis: 'all 2 instances run 1.4.2',
      durationMs: 1,
      evidence: { versions: 'n/a', nested: [[1]] },
    };
    expect(evidenceSummary(odd)).toBeUndefined();
    expect(evidenceLine(odd)).toBe('PASS deploy.consistency (staging): all 2 instances run 1.4.2');
  });

  it('never throws on arbitrary evidence, and PASS always means every check passed', () => {
    const ids = [...CRITERIA.flatMap((d) => (d.checks === 'all' ? [] : d.checks)), 'custom.check'];
    const checkArb = fc.record({
      id: fc.constantFrom(...ids),
      env: fc.constantFrom('staging', 'production'),
      status: fc.constantFrom('pass', 'fail', 'error', 'skip') as fc.Arbitrary<CheckResult['status']>,
      diagnosis: fc.string(),
      durationMs: fc.nat(),
      evidence: fc.dictionary(
        fc.constantFrom(
          'instances',
          'targets',
          'versions',
          'clients',
          'sequence',
          'rows',
          'counts',
          'latency',
          'x',
        ),
        fc.jsonValue(),
      ),
    });
    fc.assert(
      fc.property(fc.array(checkArb, { maxLength: 20 }), (checks) => {
        const cs = evaluateCriteria(checks, envs);
        for (const c of cs) {
          // A skipped failover drill or deploy watch counts nowhere (each runs only when asked for).
          const mine = checks.filter(
            (k) =>
              c.checks.includes(k.id) &&
              (c.id >= 5 || k.env === 'staging') &&
              !((k.id === 'failover.sticky' || k.id === 'deploy.watch') && k.status === 'skip'),
          );
          if (c.status === 'pass')
            expect(mine.length > 0 && mine.every((k) => k.status === 'pass')).toBe(true);
          if (mine.some((k) => k.status === 'fail')) expect(c.status).toBe('fail');
          expect(c.evidence!.every((l) => typeof l === 'string')).toBe(true);
        }
        const v = signoffVerdict(cs);
        expect(v.passed).toBe(cs.every((c) => c.status === 'pass'));
      }),
      { numRuns: 300 },
    );
  });
});
