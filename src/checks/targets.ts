// targets.reachable (the data plane: which instances answer through the ALB) and
// targets.registered (the control plane: what ELBv2 says about the target group). A 200
// through the ALB proves little alone: with only unhealthy targets the ALB fails open.
import { probe } from './budget.js';
import { timed } from '../contract/result.js';
import { distinct, formatTally, identitySource, sampleUntil, tally, triesFor } from './sample.js';
import type { CheckResult } from '../contract/result.js';
import type { DescribeTargets, TargetContext, TargetHealthRow } from '../contract/target.js';

export function targetsReachable(ctx: TargetContext): Promise<CheckResult> {
  return timed('targets.reachable', ctx.name, async () => {
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
    const evidence = { expectedInstances: want, tries: samples.length, seen: tally(instances), statuses };
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
    return {
      status: 'pass',
      diagnosis: `${want} distinct instances answered in ${samples.length} cookie-less requests: ${seen}${odd ? ` (${odd} answers without identity)` : ''}`,
      evidence,
    };
  });
}

/**
 * targets.registered: the target group has exactly expectedInstances targets, all healthy.
 * `describe` reads ELBv2 DescribeTargetHealth (injected: the AWS collector provides it).
 */
export function targetsRegistered(ctx: TargetContext, describe?: DescribeTargets): Promise<CheckResult> {
  return timed('targets.registered', ctx.name, async () => {
    if (!ctx.env.aws) {
      return {
        status: 'skip',
        diagnosis: `environment ${ctx.name} has no aws config: target registration not checked`,
        evidence: {},
      };
    }
    if (!describe) {
      return { status: 'skip', diagnosis: 'no ELBv2 collector available in this build', evidence: {} };
    }
    const rows = await describe(ctx);
    const want = ctx.app.expectedInstances;
    const lb = ctx.env.aws.loadBalancerName ?? ctx.env.aws.loadBalancerArn;
    const evidence = { loadBalancer: lb, expectedInstances: want, targets: rows };
    const unhealthy = rows.filter((r) => r.state !== 'healthy');
    if (rows.length === want && unhealthy.length === 0) {
      return {
        status: 'pass',
        diagnosis: `${want} targets registered in ${lb}, all healthy: ${rows.map((r) => r.id).join(', ')}`,
        evidence,
      };
    }
    const problems: string[] = [];
    if (rows.length !== want) problems.push(`${rows.length} targets registered, expected ${want}`);
    if (unhealthy.length > 0) problems.push(unhealthy.map(describeRow).join('; '));
    return { status: 'fail', diagnosis: `${lb}: ${problems.join('; ')}`, evidence };
  });
}

/** "i-b unhealthy (Target.FailedHealthChecks: Health checks failed)" */
export function describeRow(row: TargetHealthRow): string {
  const why = [row.reason, row.description].filter(Boolean).join(': ');
  return `${row.id}${row.port ? `:${row.port}` : ''} ${row.state}${why ? ` (${why})` : ''}`;
}
