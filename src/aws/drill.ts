// The AWS side of the failover drill: the target group an instance is registered in (with the
// timings that bound the drill's waits), and the drill's two calls. Both calls pass the single
// gate (call.ts), which allows them only on role: staging with the drill enabled.
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  type DescribeTargetGroupAttributesOutput,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CannotRunError } from '../errors.js';
import type { TargetHealthRow } from '../contract/target.js';
import { describe, gatedSend } from './call.js';
import type { Elbv2 } from './client.js';
import { findLoadBalancer, targetGroupsOf, targetHealthOf } from './collect.js';

export interface DrillTarget {
  id: string;
  port: number;
}

/** What a pending-restore file holds (no secret: ARNs, ids, the region and the endpoint). */
export interface PendingRestore {
  env: string;
  region: string;
  endpoint?: string;
  targetGroupArn: string;
  target: DrillTarget;
  command: string;
  deregisteredAt: string;
  /** The process that ran the drill (the vitest child) and its parent (the CLI): alive = in progress. */
  pid: number;
  parentPid: number;
}

/** A target group as the drill needs it. Times in seconds, as AWS states them. */
export interface DrillTargetGroup {
  arn: string;
  name: string;
  /** deregistration_delay.timeout_seconds (AWS default 300). */
  deregistrationDelaySeconds: number;
  healthCheck: {
    intervalSeconds: number;
    timeoutSeconds: number;
    healthyThreshold: number;
    unhealthyThreshold: number;
  };
  targets: TargetHealthRow[];
}

function rowsOf(health: Awaited<ReturnType<typeof targetHealthOf>>): TargetHealthRow[] {
  return health.map((d) => ({
    id: d.Target?.Id ?? '',
    ...(d.Target?.Port !== undefined ? { port: d.Target.Port } : {}),
    state: (d.TargetHealth?.State ?? 'unavailable') as TargetHealthRow['state'],
    ...(d.TargetHealth?.Reason ? { reason: d.TargetHealth.Reason } : {}),
  }));
}

async function describeGroup(e: Elbv2, tg: TargetGroup): Promise<DrillTargetGroup> {
  const arn = tg.TargetGroupArn!;
  const [attrs, health] = await Promise.all([
    describe<DescribeTargetGroupAttributesOutput>(
      e,
      new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }),
    ),
    targetHealthOf(e, arn),
  ]);
  const attr = (k: string) => attrs.Attributes?.find((a) => a.Key === k)?.Value;
  const delay = Number(attr('deregistration_delay.timeout_seconds') ?? 300);
  return {
    arn,
    name: tg.TargetGroupName ?? arn,
    deregistrationDelaySeconds: Number.isFinite(delay) ? delay : 300,
    // AWS's defaults where the API leaves a field out.
    healthCheck: {
      intervalSeconds: tg.HealthCheckIntervalSeconds ?? 30,
      timeoutSeconds: tg.HealthCheckTimeoutSeconds ?? 5,
      healthyThreshold: tg.HealthyThresholdCount ?? 5,
      unhealthyThreshold: tg.UnhealthyThresholdCount ?? 2,
    },
    targets: rowsOf(health),
  };
}

/** Every target group of the environment's load balancer, with attributes and target health. */
export async function drillTargetGroups(e: Elbv2): Promise<DrillTargetGroup[]> {
  const lb = await findLoadBalancer(e);
  const groups = await targetGroupsOf(e, lb.LoadBalancerArn!);
  if (!groups.length) throw new CannotRunError(`${e.key}: the load balancer has no target group`);
  return Promise.all(groups.map((g) => describeGroup(e, g)));
}

/** The target health of one target group. */
export async function targetStates(e: Elbv2, tgArn: string): Promise<TargetHealthRow[]> {
  return rowsOf(await targetHealthOf(e, tgArn));
}

export async function deregisterTarget(e: Elbv2, tgArn: string, t: DrillTarget): Promise<void> {
  await gatedSend(
    e,
    new DeregisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: t.id, Port: t.port }] }),
  );
}

export async function registerTarget(e: Elbv2, tgArn: string, t: DrillTarget): Promise<void> {
  await gatedSend(
    e,
    new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: t.id, Port: t.port }] }),
  );
}

/** The command a person runs to put the target back when the drill could not. */
export function registerCommandLine(
  region: string,
  tgArn: string,
  t: DrillTarget,
  endpoint?: string,
): string {
  return [
    'aws elbv2 register-targets',
    `--region ${region}`,
    ...(endpoint ? [`--endpoint-url ${endpoint}`] : []),
    `--target-group-arn ${tgArn}`,
    `--targets Id=${t.id},Port=${t.port}`,
  ].join(' ');
}
