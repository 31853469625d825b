// The failover drill against real labs: the lab's ELBv2 endpoint answers DeregisterTargets /
// RegisterTargets (real SDK client over HTTP) by draining / re-enabling the HAProxy server, and
// failover.sticky passes on a clean lab and fails with its cause under each drill fault. After
// every drill the lab is back to two healthy targets.
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, describe, expect, it } from 'vitest';
import { gatedSend } from '../src/aws/call.js';
import { elbv2, type Elbv2 } from '../src/aws/client.js';
import { drillTargetGroups } from '../src/aws/drill.js';
import { failoverSticky, type DrillObservation } from '../src/checks/failover.js';
import { loadConfigFile } from '../src/config/load.js';
import { evidenceOf } from '../src/contract/evidence.js';
import { evidenceSummary } from '../src/report/criteria.js';
import { targetContext, type TargetContext } from '../src/contract/target.js';
import { closeHttp } from '../src/http/client.js';
import { serverStats } from '../src/lab/runtime-api.js';
import { useLab, type LabHandle } from './helpers/lab.js';

afterAll(() => closeHttp());

const ctxOf = (lab: LabHandle, env = 'staging'): TargetContext =>
  targetContext(loadConfigFile(lab.state.config!), env, {
    deadline: Date.now() + 90_000,
    disruptive: true,
  });

/** Both targets healthy in DescribeTargetHealth, and HAProxy has both UP (no client given: asked with one of its own). */
async function expectTwoHealthy(lab: LabHandle, given?: Elbv2): Promise<void> {
  const e = given ?? elbv2(ctxOf(lab));
  try {
    const [group] = await drillTargetGroups(e);
    expect(group.targets.map((t) => `${t.id} ${t.state}`).sort()).toEqual(
      lab.state.environments.staging.instances.map((i) => `${i.id} healthy`).sort(),
    );
    const stats = await serverStats(lab.state.environments.staging.socketPath);
    expect(stats.map((s) => s.status)).toEqual(['UP', 'UP']);
  } finally {
    if (!given) e.client.destroy();
  }
}

/** Poll DescribeTargetHealth until `pred` holds for the rows (bounded); returns the states seen for `id`. */
async function watch(
  e: Elbv2,
  arn: string,
  id: string,
  done: (state: string) => boolean,
  ms = 30_000,
): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const out = await gatedSend<{
      TargetHealthDescriptions?: { Target?: { Id?: string }; TargetHealth?: { State?: string } }[];
    }>(e, new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    const state =
      out.TargetHealthDescriptions?.find((d) => d.Target?.Id === id)?.TargetHealth?.State ?? 'absent';
    if (seen.at(-1) !== state) seen.push(state);
    if (done(state)) return seen;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${id} never reached the expected state; seen: ${seen.join(' → ')}`);
}

describe('the lab ELBv2 endpoint: DeregisterTargets / RegisterTargets', () => {
  const lab = useLab();

  it('deregister: draining for the deregistration delay, then gone; register: initial until it rose, then healthy', async () => {
    const e = elbv2(ctxOf(lab));
    try {
      const [group] = await drillTargetGroups(e);
      const attrs = await gatedSend<{ Attributes?: { Key?: string; Value?: string }[] }>(
        e,
        new DescribeTargetGroupAttributesCommand({ TargetGroupArn: group.arn }),
      );
      expect(attrs.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value).toBe(
        '5',
      );
      const x = group.targets[0];
      await gatedSend(
        e,
        new DeregisterTargetsCommand({ TargetGroupArn: group.arn, Targets: [{ Id: x.id, Port: x.port }] }),
      );
      const drained = await watch(e, group.arn, x.id, (s) => s === 'absent');
      expect(drained).toEqual(['draining', 'absent']);
      // HAProxy stopped routing to it (MAINT), asked about explicitly it reads "unused".
      const stats = await serverStats(lab.state.environments.staging.socketPath);
      expect(stats.find((s) => s.name === x.id)?.status).toBe('MAINT');
      const asked = await gatedSend<{ TargetHealthDescriptions?: { TargetHealth?: { State?: string } }[] }>(
        e,
        new DescribeTargetHealthCommand({ TargetGroupArn: group.arn, Targets: [{ Id: x.id }] }),
      );
      expect(asked.TargetHealthDescriptions?.[0]?.TargetHealth?.State).toBe('unused');

      await gatedSend(
        e,
        new RegisterTargetsCommand({ TargetGroupArn: group.arn, Targets: [{ Id: x.id, Port: x.port }] }),
      );
      const back = await watch(e, group.arn, x.id, (s) => s === 'healthy');
      // initial until it rose, then healthy. A check that timed out on a busy machine reads
      // unhealthy on the way (as on AWS: HAProxy's own verdict), never draining or absent.
      expect(back[0]).toBe('initial');
      expect(back.at(-1)).toBe('healthy');
      expect(back.filter((s) => s !== 'initial' && s !== 'unhealthy').slice(0, -1)).toEqual([]);
      await expectTwoHealthy(lab, e);
    } finally {
      e.client.destroy();
    }
  }, 60_000);

  it('DeregisterTargets of an unknown target succeeds; RegisterTargets of one is InvalidTarget; production refuses both', async () => {
    const e = elbv2(ctxOf(lab));
    const prod = ctxOf(lab, 'production');
    try {
      const [group] = await drillTargetGroups(e);
      await expect(
        gatedSend(
          e,
          new DeregisterTargetsCommand({
            TargetGroupArn: group.arn,
            Targets: [{ Id: 'i-0000000000unknown' }],
          }),
        ),
      ).resolves.toBeDefined();
      await expect(
        gatedSend(
          e,
          new RegisterTargetsCommand({ TargetGroupArn: group.arn, Targets: [{ Id: 'i-0000000000unknown' }] }),
        ),
      ).rejects.toThrow(/InvalidTarget|not in a running state/);
      // The gate refuses production before anything is sent; the lab would refuse it too
      // (AccessDenied), shown by a raw SDK send past the gate.
      const pe = elbv2(prod);
      try {
        const [pg] = await drillTargetGroups(pe);
        const cmd = new DeregisterTargetsCommand({
          TargetGroupArn: pg.arn,
          Targets: [{ Id: pg.targets[0].id }],
        });
        await expect(gatedSend(pe, cmd)).rejects.toThrow(
          /refused: DeregisterTargets is not a Describe\* call/,
        );
        await expect(pe.client.send(cmd)).rejects.toMatchObject({ name: 'AccessDenied' });
        expect(pg.targets.every((t) => t.state === 'healthy')).toBe(true);
      } finally {
        pe.client.destroy();
      }
      await expectTwoHealthy(lab, e);
    } finally {
      e.client.destroy();
    }
  }, 60_000);

  it('failover.sticky passes on the clean lab with its figures, and puts the target back', async () => {
    const ctx = ctxOf(lab);
    const r = await failoverSticky(ctx);
    expect(r.status, r.diagnosis).toBe('pass');
    const ev = r.evidence as unknown as DrillObservation & {
      outcome: NonNullable<DrillObservation['outcome']>;
      background: NonNullable<DrillObservation['background']>;
      restore: NonNullable<DrillObservation['restore']>;
    };
    expect(ev.to).not.toBe(ev.from);
    expect(ev.stateAfterDeregister).toBe('draining');
    expect(ev.rePinMs).toBeGreaterThanOrEqual(0);
    expect(ev.pinnedAfter).toEqual([ev.to, ev.to, ev.to]);
    expect(ev.outcome.session.survived).toBe(true);
    expect(ev.outcome.data).toMatchObject({ survived: true, journey: 'upload-analyze' });
    expect(ev.background.requests).toBeGreaterThan(0);
    expect(ev.background.transportErrors + ev.background.non2xx).toBe(0);
    expect(ev.restore).toMatchObject({ registered: true, answered: true });
    expect(ev.restore.healthyMs).toBeGreaterThan(0);
    // The report reader finds the drill's evidence by its id, and the criteria read a line from it.
    expect(evidenceOf(r, 'failover.sticky')).toMatchObject({ ran: true, from: ev.from, to: ev.to });
    expect(evidenceSummary(r)).toMatch(
      /^failover drill: user re-pinned i-\w+ → i-\w+ in \d+ ms; session and data survived; background 0 errors in \d+ requests; i-\w+ healthy again after [\d.]+ s$/,
    );
    await expectTwoHealthy(lab);
  }, 120_000);

  it('is skipped without the drill enabled, and refused on production, sending nothing', async () => {
    const off = targetContext(loadConfigFile(lab.state.config!), 'staging');
    expect(await failoverSticky(off)).toMatchObject({
      status: 'skip',
      diagnosis: expect.stringMatching(/--disruptive/),
    });
    const prod = ctxOf(lab, 'production');
    expect(await failoverSticky(prod)).toMatchObject({
      status: 'skip',
      diagnosis: expect.stringMatching(/^refused: .*role: production.*no override/),
    });
  });
});

// Each drill fault: the drill fails naming its cause, and the lab is back to two healthy targets.
const FAULTS: [string, RegExp][] = [
  ['no-drain', /background requests failed during the switch.*did not drain/],
  ['split-redis', /session lost after the failover/],
  ['local-uploads', /session survived the failover .* but the data did not survive: .*step "analyze"/],
];
for (const [fault, cause] of FAULTS) {
  describe(`failover.sticky under ${fault}`, () => {
    const lab = useLab({ faults: [fault] });
    it(`${fault}: fails naming the cause, and restores the target`, async () => {
      const ctx = ctxOf(lab);
      const r = await failoverSticky(ctx);
      expect(r.status, r.diagnosis).toBe('fail');
      expect(r.diagnosis).toMatch(cause);
      expect((r.evidence as unknown as DrillObservation).restore).toMatchObject({
        registered: true,
        answered: true,
      });
      await expectTwoHealthy(lab);
    }, 120_000);
  });
}
