import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TargetContext, TargetHealthRow } from '../contract/target.js';
import { elbv2 } from './client.js';
import { findLoadBalancer, targetGroupsOf, targetHealthOf } from './collect.js';

// Target health of the configured load balancer, for the targets.registered check.

type TargetHealthState = TargetHealthRow['state'];

const STATES = new Set<string>(['initial', 'healthy', 'unhealthy', 'unused', 'draining', 'unavailable']);

/**
 * Every target of every target group attached to the environment's load balancer, as
 * DescribeTargetHealth reports it (unregistered targets are absent). Sorted by id, then port.
 * Throws CannotRunError (one line) when AWS is not configured, unreachable, or refuses.
 */
export async function describeTargetHealth(ctx: TargetContext): Promise<TargetHealthRow[]> {
  const e = elbv2(ctx);
  try {
    const lb = await findLoadBalancer(e);
    const groups = await targetGroupsOf(e, lb.LoadBalancerArn!);
    const all = await Promise.all(groups.map((g) => targetHealthOf(e, g.TargetGroupArn!)));
    return healthRows(all.flat());
  } finally {
    e.client.destroy();
  }
}

/** DescribeTargetHealth descriptions as rows, sorted by id, then port. */
export function healthRows(descs: TargetHealthDescription[]): TargetHealthRow[] {
  return descs
    .map((d): TargetHealthRow => {
      const state = d.TargetHealth?.State ?? 'unavailable';
      return {
        id: d.Target?.Id ?? '',
        ...(d.Target?.Port !== undefined ? { port: d.Target.Port } : {}),
        state: (STATES.has(state) ? state : 'unavailable') as TargetHealthState,
        ...(d.TargetHealth?.Reason ? { reason: d.TargetHealth.Reason } : {}),
        ...(d.TargetHealth?.Description ? { description: d.TargetHealth.Description } : {}),
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id) || (a.port ?? 0) - (b.port ?? 0));
}
