// targets.reachable (the data plane: which instances answer through the ALB) and
// targets.registered (the control plane: what ELBv2 says about the target group). A 200
// through the ALB proves little alone: with only unhealthy targets the ALB fails open.
import { probe } from './budget.js';
import { timed } from '../contract/result.js';
import { distinct, formatTally, identitySource, sampleUntil, tally, triesFor } from './sample.js';
import { EC2_INSTANCE_ID, type DescribeInstanceStates } from '../contract/ec2.js';
import type { CheckResultOf } from '../contract/result.js';
import type { EvidenceById } from '../contract/evidence.js';
import type { DescribeTargets, TargetContext, TargetHealthRow } from '../contract/target.js';

/**
 * targets.reachable: expectedInstances distinct instances answer through the ALB. When every
 * identity looks like an EC2 instance id and `describe` (ELBv2) is given, the answering
 * instances must also be exactly the registered targets: an answer from an unregistered
 * instance means another target group or a stale instance behind the ALB.
 */
export function targetsReachable(
  ctx: TargetContext,
  describe?: DescribeTargets,
): Promise<CheckResultOf<'targets.reachable'>> {
  return timed(targetsReachable.id, ctx.name, async () => {
    const want = ctx.app.expectedInstances;
    // A few tries past `want`, so an extra (stale) instance has a chance to show up too.
    const samples = await sampleUntil(
      ctx,
      { want, minTries: want * 2, maxTries: triesFor(want) },
      async () => {
        const p = await probe(ctx);
        return { instance: p.instance, status: p.response.status };
      },
    );
    const instances = samples.map((s) => s.instance);
    const ids = distinct(instances);
    const statuses = tally(samples.map((s) => String(s.status)));
    const evidence: EvidenceById['targets.reachable'] = {
      expectedInstances: want,
      tries: samples.length,
      seen: tally(instances),
      statuses,
    };
    const seen = formatTally(tally(instances));
    if (ids.length === 0) {
      return {
        status: 'fail',
        diagnosis: `no answer carried an instance identity (${identitySource(ctx)}) in ${samples.length} cookie-less requests; statuses: ${formatTally(statuses)}`,
        evidence,
      };
    }
    if (ids.length !== want) {
      return {
        status: 'fail',
        diagnosis: `${ids.length} distinct instance${ids.length === 1 ? '' : 's'} answered through the ALB, expected ${want}, in ${samples.length} cookie-less requests: ${seen}`,
        evidence,
      };
    }
    const odd = instances.filter((i) => i === undefined).length;
    const registered = await compareRegistered(ctx, ids as string[], describe);
    const base = `${want} distinct instances answered in ${samples.length} cookie-less requests: ${seen}${odd ? ` (${odd} answers without identity)` : ''}`;
    if (registered?.problem) {
      return {
        status: 'fail',
        diagnosis: `${registered.problem} (${base})`,
        evidence: { ...evidence, registered: registered.ids },
      };
    }
    return {
      status: 'pass',
      diagnosis: `${base}${registered?.note ? `; ${registered.note}` : ''}`,
      evidence: registered ? { ...evidence, registered: registered.ids } : evidence,
    };
  });
}
targetsReachable.id = 'targets.reachable' as const;

/** The answering instances against the registered targets (undefined: not comparable here). */
async function compareRegistered(
  ctx: TargetContext,
  seen: string[],
  describe: DescribeTargets | undefined,
): Promise<{ ids: string[]; problem?: string; note?: string } | undefined> {
  if (!describe || !ctx.env.aws || !seen.length || !seen.every((id) => EC2_INSTANCE_ID.test(id))) return;
  const lb = ctx.env.aws.loadBalancerName ?? ctx.env.aws.loadBalancerArn;
  let rows: TargetHealthRow[];
  try {
    rows = await describe(ctx);
  } catch (err) {
    return { ids: [], note: `registered targets not compared: ${(err as Error).message.split('\n')[0]}` };
  }
  const ids = [...new Set(rows.map((r) => r.id))].sort();
  const stray = seen.filter((id) => !ids.includes(id));
  const unseen = rows.filter((r) => r.state === 'healthy' && !seen.includes(r.id)).map((r) => r.id);
  const problems = [
    ...stray.map(
      (id) =>
        `${id} answered through the ALB but is not a registered target of ${lb} (another target group or a stale instance)`,
    ),
    ...unseen.map((id) => `registered healthy target ${id} never answered`),
  ];
  if (problems.length) return { ids, problem: problems.join('; ') };
  return { ids, note: `exactly the registered targets of ${lb}` };
}

/**
 * targets.registered: the target group has exactly expectedInstances targets, all healthy.
 * `describe` reads ELBv2 DescribeTargetHealth (injected: the AWS collector provides it);
 * `states`, when given, reads EC2: a healthy target whose instance is not running fails.
 */
export function targetsRegistered(
  ctx: TargetContext,
  describe?: DescribeTargets,
  states?: DescribeInstanceStates,
): Promise<CheckResultOf<'targets.registered'>> {
  return timed(targetsRegistered.id, ctx.name, async () => {
    if (!ctx.env.aws) {
      return {
        status: 'skip',
        diagnosis: `environment ${ctx.name} has no aws config: target registration not checked`,
        evidence: {},
      };
    }
    if (!describe) {
      return { status: 'skip', diagnosis: 'no ELBv2 collector given', evidence: {} };
    }
    const rows = await describe(ctx);
    const want = ctx.app.expectedInstances;
    const lb = ctx.env.aws.loadBalancerName ?? ctx.env.aws.loadBalancerArn;
    const unhealthy = rows.filter((r) => r.state !== 'healthy');
    // EC2's view: "healthy" in the target group can lag an instance being stopped.
    const ec2 = await ec2View(ctx, rows, states);
    const evidence: EvidenceById['targets.registered'] = {
      loadBalancer: lb,
      expectedInstances: want,
      targets: rows,
      ...(ec2 ? { instanceStates: ec2.states, ...(ec2.error ? { ec2Error: ec2.error } : {}) } : {}),
    };
    if (rows.length === want && unhealthy.length === 0 && !ec2?.problems.length) {
      return {
        status: 'pass',
        diagnosis: `${want} targets registered in ${lb}, all healthy${ec2 && !ec2.error ? ' and running in EC2' : ''}: ${rows.map((r) => r.id).join(', ')}${ec2?.error ? ` (EC2 state not checked: ${ec2.error})` : ''}`,
        evidence,
      };
    }
    const problems: string[] = [];
    if (rows.length !== want) problems.push(`${rows.length} targets registered, expected ${want}`);
    if (unhealthy.length > 0) problems.push(unhealthy.map(describeRow).join('; '));
    problems.push(...(ec2?.problems ?? []));
    return { status: 'fail', diagnosis: `${lb}: ${problems.join('; ')}`, evidence };
  });
}
targetsRegistered.id = 'targets.registered' as const;

/** "i-b unhealthy (Target.FailedHealthChecks: Health checks failed)" */
export function describeRow(row: TargetHealthRow): string {
  const why = [row.reason, row.description].filter(Boolean).join(': ');
  return `${row.id}${row.port ? `:${row.port}` : ''} ${row.state}${why ? ` (${why})` : ''}`;
}

/** EC2's state of the healthy instance targets; a problem for each one that is not running. */
async function ec2View(
  ctx: TargetContext,
  rows: TargetHealthRow[],
  states: DescribeInstanceStates | undefined,
): Promise<{ states: Record<string, string>; problems: string[]; error?: string } | undefined> {
  const ids = [...new Set(rows.map((r) => r.id).filter((id) => EC2_INSTANCE_ID.test(id)))];
  if (!states || !ids.length) return undefined;
  let found: Record<string, string>;
  try {
    found = await states(ctx, ids);
  } catch (err) {
    return { states: {}, problems: [], error: (err as Error).message.split('\n')[0] };
  }
  const problems = rows
    .filter((r) => r.state === 'healthy' && EC2_INSTANCE_ID.test(r.id))
    .flatMap((r) => {
      const s = found[r.id];
      if (s === undefined) return [`${r.id} is healthy in the target group but EC2 has no such instance`];
      return s === 'running' ? [] : [`${r.id} is healthy in the target group but EC2 says it is ${s}`];
    });
  return { states: found, problems: [...new Set(problems)] };
}
