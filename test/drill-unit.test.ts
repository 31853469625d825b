// The failover drill's pure parts: the AWS gate's decision, the verdict over an observation,
// how criteria count the drill, the journey split, and the lab's registration states.
import { describe, expect, it } from 'vitest';
import { assertAwsCallAllowed } from '../src/aws/call.js';
import { registerCommandLine } from '../src/aws/drill.js';
import { notApplied } from '../src/aws/errors.js';
import { blockedBy, judgeDrill, type DrillObservation } from '../src/checks/failover.js';
import type { TargetHealthRow } from '../src/contract/target.js';
import { AwsError } from '../src/errors.js';
import { splitJourney } from '../src/checks/failover-user.js';
import type { CheckResult } from '../src/contract/result.js';
import { registrationState } from '../src/lab/elbv2-targets.js';
import { evaluateCriteria } from '../src/report/criteria.js';

describe('the drill takes X out only while every other target is healthy', () => {
  const row = (id: string, state: TargetHealthRow['state']): TargetHealthRow => ({ id, port: 80, state });
  it('refuses busy (draining, initial: another drill or a deploy) and few (unhealthy, unused, alone)', () => {
    expect(blockedBy([row('i-a', 'healthy'), row('i-b', 'healthy')], 'i-a', 'tg')).toBeUndefined();
    expect(blockedBy([row('i-a', 'healthy'), row('i-b', 'draining')], 'i-a', 'tg')).toEqual({
      kind: 'busy',
      line: 'i-b is draining in tg (i-a healthy, i-b draining): another drill or a deploy is running',
    });
    expect(blockedBy([row('i-a', 'healthy'), row('i-b', 'initial')], 'i-a', 'tg')?.kind).toBe('busy');
    expect(blockedBy([row('i-a', 'healthy'), row('i-b', 'unhealthy')], 'i-a', 'tg')).toEqual({
      kind: 'few',
      line: 'only 1 healthy target(s) in tg (i-a healthy, i-b unhealthy): deregistering i-a would leave none to fail over to',
    });
    expect(blockedBy([row('i-a', 'healthy')], 'i-a', 'tg')?.kind).toBe('few');
    // Two healthy besides an unused third: still refused (every other target must be healthy).
    expect(
      blockedBy([row('i-a', 'healthy'), row('i-b', 'healthy'), row('i-c', 'unused')], 'i-a', 'tg'),
    ).toEqual({
      kind: 'few',
      line: 'i-c is unused in tg (i-a healthy, i-b healthy, i-c unused): the drill takes i-a out only while every other target is healthy',
    });
  });
});

describe('a failed AWS call: surely not applied, or maybe', () => {
  const wrapped = (cause: unknown) => Object.assign(new AwsError('one line'), { cause });
  it('a refusal before sending, a 4xx answer, a connection never made: surely not applied', () => {
    expect(notApplied(new Error('refused: DeregisterTargets is not a Describe* call'))).toBe(true);
    expect(notApplied(wrapped({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toBe(true);
    expect(notApplied(wrapped({ name: 'Throttling', $metadata: { httpStatusCode: 400 } }))).toBe(true);
    expect(
      notApplied(wrapped({ name: 'CredentialsProviderError', message: 'Could not load credentials' })),
    ).toBe(true);
    expect(notApplied(wrapped({ code: 'ECONNREFUSED', $metadata: { attempts: 1 } }))).toBe(true);
  });
  it('a timeout, a reset, a 5xx, a refused connection after an earlier attempt: maybe applied', () => {
    expect(notApplied(wrapped({ name: 'TimeoutError' }))).toBe(false);
    expect(notApplied(wrapped({ name: 'AbortError' }))).toBe(false);
    expect(notApplied(wrapped({ code: 'ECONNRESET' }))).toBe(false);
    expect(notApplied(wrapped({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }))).toBe(false);
    expect(notApplied(wrapped({ name: 'Error', $metadata: { httpStatusCode: 503 } }))).toBe(false);
    expect(notApplied(wrapped({ code: 'ECONNREFUSED', $metadata: { attempts: 3 } }))).toBe(false);
    expect(notApplied('a string')).toBe(false);
  });
});

describe('the AWS gate', () => {
  const gate = (role: 'staging' | 'production' | 'other', disruptive: boolean) => ({
    role,
    disruptive,
    key: `environments.${role}.aws`,
  });
  it('allows Describe* everywhere, and the drill calls only on role: staging with the drill enabled', () => {
    for (const role of ['staging', 'production', 'other'] as const) {
      for (const d of [true, false])
        expect(() => assertAwsCallAllowed(gate(role, d), 'DescribeTargetHealth')).not.toThrow();
    }
    for (const action of ['DeregisterTargets', 'RegisterTargets']) {
      expect(() => assertAwsCallAllowed(gate('staging', true), action)).not.toThrow();
      expect(() => assertAwsCallAllowed(gate('staging', false), action)).toThrow(/pass --disruptive/);
      // No override of any kind reaches production.
      expect(() => assertAwsCallAllowed(gate('production', true), action)).toThrow(
        `refused: ${action} is not a Describe* call, and a role: production environment`,
      );
      expect(() => assertAwsCallAllowed(gate('other', true), action)).toThrow(/role: other/);
    }
  });
  it('refuses every other call, whatever the role and flags', () => {
    for (const action of [
      'DeleteLoadBalancer',
      'ModifyTargetGroupAttributes',
      'CreateRule',
      'SetSecurityGroups',
    ]) {
      expect(() => assertAwsCallAllowed(gate('staging', true), action)).toThrow(
        `refused: ${action} is not a Describe* call`,
      );
    }
  });
  it('names the exact by-hand command', () => {
    expect(registerCommandLine('us-east-2', 'arn:tg', { id: 'i-1', port: 5000 })).toBe(
      'aws elbv2 register-targets --region us-east-2 --target-group-arn arn:tg --targets Id=i-1,Port=5000',
    );
  });
});

const passing: DrillObservation = {
  from: 'i-a',
  journey: 'upload-analyze',
  to: 'i-b',
  targetGroup: 'tg',
  deregistrationDelaySeconds: 5,
  healthCheck: { intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2 },
  stateAfterDeregister: 'draining',
  rePinMs: 12,
  rePinTries: 1,
  pinnedAfter: ['i-b', 'i-b', 'i-b'],
  steps: [],
  outcome: {
    session: { survived: true, detail: 'ok' },
    data: { survived: true, detail: 'ok', journey: 'upload-analyze' },
  },
  background: {
    connections: 10,
    requests: 500,
    transportErrors: 0,
    non2xx: 0,
    statusCodes: { '200': 500 },
    perInstance: { 'i-a': 100, 'i-b': 400 },
    clientsRePinned: 5,
    durationSeconds: 3,
  },
  drainedMs: 5000,
  restore: {
    registered: true,
    command: 'aws elbv2 register-targets …',
    statesSeen: ['initial', 'healthy'],
    healthyMs: 3100,
    answered: true,
    boundMs: 31_000,
  },
  targetsAfter: [],
};

describe('judgeDrill', () => {
  it('passes with the figures in the diagnosis', () => {
    const v = judgeDrill(passing);
    expect(v.status).toBe('pass');
    expect(v.diagnosis).toBe(
      'user re-pinned from i-a to i-b 12 ms after DeregisterTargets; session and data survived; background: 0 errors in 500 requests (5 clients re-pinned); i-a healthy again 3.1 s after RegisterTargets',
    );
  });
  it('names each way it fails', () => {
    const cases: [Partial<DrillObservation>, RegExp][] = [
      [{ to: null, rePinMs: null, rePinTries: 300 }, /still landed on i-a .*did not re-pin/],
      [
        { pinnedAfter: ['i-b', 'i-a', 'i-b'] },
        /cookie set by i-b's answer does not pin the user there: the next 3 requests reached i-b → i-a → i-b/,
      ],
      [{ pinnedAfter: [] }, /does not pin the user there: the next 0 requests reached nothing/],
      [
        { outcome: { session: { survived: false, detail: 'marker missing' }, data: null } },
        /^session lost after the failover from i-a to i-b: marker missing/,
      ],
      [
        {
          outcome: {
            session: { survived: true, detail: '' },
            data: { survived: false, detail: 'step "analyze" failed', journey: 'j' },
          },
        },
        /session survived the failover from i-a to i-b but the data did not survive: step "analyze"/,
      ],
      [
        {
          background: {
            ...passing.background!,
            transportErrors: 3,
            non2xx: 2,
            statusCodes: { '200': 495, '502': 2 },
          },
        },
        /^5 of 500 background requests failed during the switch \(502×2, no response×3\): the load balancer did not drain i-a/,
      ],
      [
        { restore: { ...passing.restore!, healthyMs: null, statesSeen: ['initial', 'unhealthy'] } },
        /not healthy within 31\.0 s \(states seen: initial → unhealthy\)/,
      ],
      [{ restore: { ...passing.restore!, answered: false } }, /did not answer through the load balancer/],
      [{ beforeError: 'step "upload" answered 500' }, /before the failover: step "upload" answered 500/],
    ];
    for (const [patch, re] of cases) {
      const v = judgeDrill({ ...passing, ...patch });
      expect(v.status, JSON.stringify(patch)).toBe('fail');
      expect(v.diagnosis).toMatch(re);
    }
  });
  it("a precondition is no failure of the user's work; a refusal that took nothing out is an error, not a failure", () => {
    const pre = judgeDrill({
      ...passing,
      to: null,
      restore: null,
      background: null,
      precondition:
        'only 1 healthy target(s) in tg (i-a healthy, i-b unhealthy): deregistering i-a would leave none to fail over to',
    });
    expect(pre).toEqual({
      status: 'fail',
      diagnosis:
        'the drill did not start: only 1 healthy target(s) in tg (i-a healthy, i-b unhealthy): deregistering i-a would leave none to fail over to',
    });
    expect(pre.diagnosis).not.toMatch(/user's work/);
    const refused = judgeDrill({
      ...passing,
      to: null,
      restore: null,
      refused: 'DeregisterTargets was refused (access denied): nothing was taken out',
    });
    expect(refused).toEqual({
      status: 'error',
      diagnosis: 'DeregisterTargets was refused (access denied): nothing was taken out',
    });
    expect(refused.diagnosis).not.toMatch(/NOT RESTORED|by hand/);
    // Taken out (or maybe) and put back at once: a failure, and the restore's outcome comes first.
    const interrupted =
      'another drill or a deploy is running: after DeregisterTargets of i-a no other target of tg was healthy (i-b draining); i-a was registered again at once';
    expect(judgeDrill({ ...passing, to: null, interrupted })).toEqual({
      status: 'fail',
      diagnosis: interrupted,
    });
    const lost = judgeDrill({
      ...passing,
      to: null,
      interrupted,
      restore: { ...passing.restore!, registered: false, error: 'timed out', healthyMs: null },
    });
    expect(lost.status).toBe('fail');
    expect(lost.diagnosis).toMatch(
      /^i-a NOT RESTORED: RegisterTargets failed \(timed out\); put it back by hand: .*; another drill or a deploy is running/,
    );
  });
  it('says loudly, with the command, when the target could not be put back', () => {
    const v = judgeDrill({
      ...passing,
      restore: { ...passing.restore!, registered: false, error: 'AccessDenied', healthyMs: null },
    });
    expect(v.status).toBe('fail');
    expect(v.diagnosis).toMatch(
      /^i-a NOT RESTORED: RegisterTargets failed \(AccessDenied\); put it back by hand: aws elbv2 register-targets/,
    );
  });
});

const check = (id: string, status: CheckResult['status']): CheckResult => ({
  id,
  env: 'staging',
  status,
  diagnosis: '',
  durationMs: 1,
  evidence: {},
});
const ALL = [
  'health.alb',
  'targets.registered',
  'targets.reachable',
  'instances.same-build',
  'network.alb-only',
  'sticky.cookie',
  'sticky.pinning',
  'sticky.spread',
  'load.sticky',
  'sessions.shared-http',
  'sessions.shared-redis',
  'deploy.consistency',
  'fingerprint.diff',
];
const envs = { staging: { url: 'http://127.0.0.1:1', role: 'staging' as const } };
const statusOf = (checks: CheckResult[]) =>
  Object.fromEntries(evaluateCriteria(checks, envs).map((c) => [c.id, c.status]));

describe('criteria and the drill', () => {
  it('a skipped or absent drill turns no criterion NOT VERIFIED', () => {
    const base = ALL.map((id) => check(id, 'pass'));
    const everyPass = { 1: 'pass', 2: 'pass', 3: 'pass', 4: 'pass', 5: 'pass', 6: 'pass' };
    expect(statusOf(base)).toEqual(everyPass);
    expect(statusOf([...base, check('failover.sticky', 'skip')])).toEqual(everyPass);
    const c2 = evaluateCriteria([...base, check('failover.sticky', 'skip')], envs).find((c) => c.id === 2)!;
    expect(c2.checks).not.toContain('failover.sticky');
  });
  it('a drill that ran counts for criteria 2 and 3 (and 6), and no other', () => {
    const base = ALL.map((id) => check(id, 'pass'));
    expect(statusOf([...base, check('failover.sticky', 'fail')])).toEqual({
      1: 'pass',
      2: 'fail',
      3: 'fail',
      4: 'pass',
      5: 'pass',
      6: 'fail',
    });
    expect(statusOf([...base, check('failover.sticky', 'error')])).toMatchObject({
      2: 'not-verified',
      3: 'not-verified',
    });
    const c3 = evaluateCriteria([...base, check('failover.sticky', 'pass')], envs).find((c) => c.id === 3)!;
    expect(c3).toMatchObject({ status: 'pass', checks: expect.arrayContaining(['failover.sticky']) });
  });
});

describe('the drill user and the lab registrations', () => {
  const step = (name: string, on?: 'same' | 'other' | 'any') =>
    ({ name, on, request: { method: 'GET', path: '/' }, expect: {} }) as never;
  it('splits a journey at its first change of instance (at least one step before)', () => {
    const names = (j: { first: { name: string }[]; rest: { name: string }[] }) => [
      j.first.map((s) => s.name),
      j.rest.map((s) => s.name),
    ];
    expect(
      names(splitJourney({ name: 'j', steps: [step('upload'), step('analyze', 'other')] } as never)),
    ).toEqual([['upload'], ['analyze']]);
    expect(
      names(
        splitJourney({
          name: 'j',
          steps: [step('a'), step('b'), step('c', 'any'), step('d', 'other')],
        } as never),
      ),
    ).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(names(splitJourney({ name: 'j', steps: [step('a'), step('b'), step('c')] } as never))).toEqual([
      ['a', 'b'],
      ['c'],
    ]);
  });
  it('reads draining for the delay, then gone; initial until HAProxy counted its rise; stale after a restart', () => {
    const maint = { name: 'x', status: 'MAINT', checkStatus: '', weight: 1, requests: 0, sessions: 0 };
    const up = { ...maint, status: 'UP', checkStatus: 'L7OK' };
    expect(registrationState({ deregisteredAt: 1000 }, maint, 5, 5999)).toBe('draining');
    expect(registrationState({ deregisteredAt: 1000 }, maint, 5, 6000)).toBe('gone');
    expect(registrationState({ deregisteredAt: 1000 }, up, 5, 2000)).toBeUndefined();
    expect(registrationState({ registeredAt: 1 }, { ...up, status: 'DOWN' }, 5, 2)).toBe('initial');
    expect(registrationState({ registeredAt: 1 }, { ...up, status: 'DOWN 1/2' }, 5, 2)).toBe('initial');
    expect(registrationState({ registeredAt: 1 }, up, 5, 2)).toBeUndefined();
    expect(
      registrationState({ registeredAt: 1 }, { ...up, status: 'DOWN', checkStatus: 'L4CON' }, 5, 2),
    ).toBeUndefined();
  });
});
