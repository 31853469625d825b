import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type DescribeListenersOutput,
  type DescribeLoadBalancerAttributesOutput,
  type DescribeLoadBalancersOutput,
  type DescribeRulesOutput,
  type DescribeTagsOutput,
  type DescribeTargetGroupAttributesOutput,
  type DescribeTargetGroupsOutput,
  type DescribeTargetHealthOutput,
  type Listener,
  type LoadBalancer,
  type Rule,
  type TargetGroup,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CannotRunError } from '../errors.js';
import type { TargetContext } from '../contract/target.js';
import { elbv2, type Elbv2 } from './client.js';
import { allPages, describe } from './call.js';

// Everything AWS says about one environment's load balancer, as the SDK returns it.

export interface AwsSnapshot {
  region: string;
  loadBalancer: LoadBalancer;
  attributes: Record<string, string>;
  listeners: { listener: Listener; rules: Rule[] }[];
  targetGroups: {
    targetGroup: TargetGroup;
    attributes: Record<string, string>;
    health: TargetHealthDescription[];
  }[];
  /** Tags by resource ARN (load balancer and target groups). */
  tags: Record<string, Record<string, string>>;
}

/** The configured load balancer (by name or ARN). */
export async function findLoadBalancer(e: Elbv2): Promise<LoadBalancer> {
  const out = await describe<DescribeLoadBalancersOutput>(
    e,
    new DescribeLoadBalancersCommand(
      e.aws.loadBalancerArn
        ? { LoadBalancerArns: [e.aws.loadBalancerArn] }
        : { Names: [e.aws.loadBalancerName!] },
    ),
  );
  const lb = out.LoadBalancers?.[0];
  if (!lb?.LoadBalancerArn) {
    throw new CannotRunError(
      `load balancer ${e.aws.loadBalancerName ?? e.aws.loadBalancerArn} not found in ${e.aws.region}`,
    );
  }
  return lb;
}

export async function listenersOf(e: Elbv2, lbArn: string): Promise<Listener[]> {
  return allPages(async (Marker) => {
    const out = await describe<DescribeListenersOutput>(
      e,
      new DescribeListenersCommand({ LoadBalancerArn: lbArn, Marker }),
    );
    return { items: out.Listeners, next: out.NextMarker };
  });
}

export async function targetGroupsOf(e: Elbv2, lbArn: string): Promise<TargetGroup[]> {
  return allPages(async (Marker) => {
    const out = await describe<DescribeTargetGroupsOutput>(
      e,
      new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn, Marker }),
    );
    return { items: out.TargetGroups, next: out.NextMarker };
  });
}

export async function targetHealthOf(e: Elbv2, tgArn: string): Promise<TargetHealthDescription[]> {
  const out = await describe<DescribeTargetHealthOutput>(
    e,
    new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }),
  );
  return out.TargetHealthDescriptions ?? [];
}

const asRecord = (kv: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((kv ?? []).filter((a) => a.Key !== undefined).map((a) => [a.Key!, a.Value ?? '']));

/**
 * Describe the load balancer, its attributes, listeners, rules, target groups (+ attributes,
 * health) and tags. With no client given, one is made for this call and destroyed after it.
 */
export async function collectAws(ctx: TargetContext, given?: Elbv2): Promise<AwsSnapshot> {
  const e = given ?? elbv2(ctx);
  try {
    return await snapshotOf(e);
  } finally {
    if (!given) e.client.destroy();
  }
}

async function snapshotOf(e: Elbv2): Promise<AwsSnapshot> {
  const loadBalancer = await findLoadBalancer(e);
  const lbArn = loadBalancer.LoadBalancerArn!;
  const [attrs, listeners, groups] = await Promise.all([
    describe<DescribeLoadBalancerAttributesOutput>(
      e,
      new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn }),
    ),
    listenersOf(e, lbArn),
    targetGroupsOf(e, lbArn),
  ]);
  const withRules = await Promise.all(
    listeners.map(async (listener) => ({
      listener,
      rules: await allPages(async (Marker) => {
        const out = await describe<DescribeRulesOutput>(
          e,
          new DescribeRulesCommand({ ListenerArn: listener.ListenerArn, Marker }),
        );
        return { items: out.Rules, next: out.NextMarker };
      }),
    })),
  );
  const targetGroups = await Promise.all(
    groups.map(async (targetGroup) => {
      const arn = targetGroup.TargetGroupArn!;
      const [a, health] = await Promise.all([
        describe<DescribeTargetGroupAttributesOutput>(
          e,
          new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }),
        ),
        targetHealthOf(e, arn),
      ]);
      return { targetGroup, attributes: asRecord(a.Attributes), health };
    }),
  );
  const tags: AwsSnapshot['tags'] = {};
  const arns = [lbArn, ...groups.map((g) => g.TargetGroupArn!)];
  for (let i = 0; i < arns.length; i += 20) {
    const out = await describe<DescribeTagsOutput>(
      e,
      new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }),
    );
    for (const d of out.TagDescriptions ?? []) if (d.ResourceArn) tags[d.ResourceArn] = asRecord(d.Tags);
  }
  return {
    region: e.aws.region,
    loadBalancer,
    attributes: asRecord(attrs.Attributes),
    listeners: withRules,
    targetGroups,
    tags,
  };
}
