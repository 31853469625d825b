import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  type DescribeImagesResult,
  type DescribeInstancesResult,
  type DescribeSecurityGroupsResult,
  type Image,
  type Instance,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TargetContext, TargetHealthRow } from '../contract/target.js';
import {
  EC2_INSTANCE_ID,
  type Ec2Plane,
  type InstanceView,
  type SecurityGroupView,
  type SgRule,
} from '../contract/ec2.js';
import { allPages, describe } from './call.js';
import { elbv2, type Elbv2 } from './client.js';
import { findLoadBalancer, listenersOf, targetGroupsOf, targetHealthOf } from './collect.js';
import { ec2, type Ec2 } from './ec2-client.js';
import { healthRows } from './target-health.js';

// What EC2 says about the instances behind one environment's load balancer: the registered
// targets' instances (DescribeInstances), their AMIs (DescribeImages), and the security groups
// of the load balancer and the instances (DescribeSecurityGroups). Ids go in filters, not in
// InstanceIds/GroupIds: an id EC2 does not know is then simply absent (InstanceIds fails the
// whole call), and filters page with MaxResults/NextToken.

/** Page size asked of EC2 (AWS allows 5-1000). */
const PAGE = 100;
/** Values per filter (AWS allows 200). */
const CHUNK = 200;

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

type Page<T> = { items: T[] | undefined; next: string | undefined };

/** Every page of a Describe* call filtered by `ids`, deduplicated, in chunks of CHUNK values. */
async function filteredPages<T>(
  ids: string[],
  describePage: (values: string[], nextToken: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const out: T[] = [];
  for (const part of chunks([...new Set(ids)])) {
    out.push(...(await allPages((token) => describePage(part, token), 'EC2')));
  }
  return out;
}

const filter = (name: string, values: string[], NextToken: string | undefined) => ({
  Filters: [{ Name: name, Values: values }],
  MaxResults: PAGE,
  NextToken,
});

export async function instancesOf(e: Ec2, ids: string[]): Promise<Instance[]> {
  const reservations = await filteredPages(ids, async (part, token) => {
    const r = await describe<DescribeInstancesResult>(
      e,
      new DescribeInstancesCommand(filter('instance-id', part, token)),
    );
    return { items: r.Reservations, next: r.NextToken };
  });
  return reservations.flatMap((r) => r.Instances ?? []);
}

export async function imagesOf(e: Ec2, ids: string[]): Promise<Image[]> {
  return filteredPages(ids, async (part, token) => {
    const r = await describe<DescribeImagesResult>(
      e,
      new DescribeImagesCommand(filter('image-id', part, token)),
    );
    return { items: r.Images, next: r.NextToken };
  });
}

export async function securityGroupsOf(e: Ec2, ids: string[]): Promise<SecurityGroup[]> {
  return filteredPages(ids, async (part, token) => {
    const r = await describe<DescribeSecurityGroupsResult>(
      e,
      new DescribeSecurityGroupsCommand(filter('group-id', part, token)),
    );
    return { items: r.SecurityGroups, next: r.NextToken };
  });
}

const sorted = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();

export function ruleOf(p: IpPermission): SgRule {
  const all = p.IpProtocol === '-1' || p.IpProtocol === undefined;
  return {
    protocol: p.IpProtocol ?? '-1',
    ...(!all && p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
    ...(!all && p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
    cidrs: sorted((p.IpRanges ?? []).map((r) => r.CidrIp)),
    ipv6Cidrs: sorted((p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)),
    groups: sorted((p.UserIdGroupPairs ?? []).map((g) => g.GroupId)),
    prefixLists: sorted((p.PrefixListIds ?? []).map((g) => g.PrefixListId)),
  };
}

export function groupView(g: SecurityGroup): SecurityGroupView {
  return {
    id: g.GroupId ?? '',
    name: g.GroupName ?? '',
    ingress: (g.IpPermissions ?? []).map(ruleOf),
    egress: (g.IpPermissionsEgress ?? []).map(ruleOf),
  };
}

export function instanceView(i: Instance, images: Image[]): InstanceView {
  const image = images.find((x) => x.ImageId === i.ImageId);
  const profileArn = i.IamInstanceProfile?.Arn;
  return {
    id: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    ...(i.InstanceType ? { type: i.InstanceType } : {}),
    ...(i.ImageId ? { imageId: i.ImageId } : {}),
    ...(image?.Name ? { imageName: image.Name } : {}),
    ...((i.PlatformDetails ?? image?.PlatformDetails)
      ? { platform: i.PlatformDetails ?? image?.PlatformDetails }
      : {}),
    ...(i.Placement?.AvailabilityZone ? { availabilityZone: i.Placement.AvailabilityZone } : {}),
    ...(i.SubnetId ? { subnetId: i.SubnetId } : {}),
    securityGroups: sorted((i.SecurityGroups ?? []).map((g) => g.GroupId)),
    ...(profileArn ? { profile: profileArn.replace(/^.*:instance-profile\//, '') } : {}),
    ...(i.PublicIpAddress ? { publicIp: i.PublicIpAddress } : {}),
    ...(i.PrivateIpAddress ? { privateIp: i.PrivateIpAddress } : {}),
    tags: Object.fromEntries(
      (i.Tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']),
    ),
  };
}

/** What ELBv2 tells the EC2 plane: the load balancer's groups, listener ports, registered targets. */
export interface LbFacts {
  loadBalancer: string;
  lbSecurityGroups: string[];
  listeners: Listener[];
  targetGroups: { port?: number; targets: TargetHealthRow[] }[];
}

/** The EC2 plane of the instances registered behind a load balancer. */
export async function ec2PlaneOf(e: Ec2, lb: LbFacts): Promise<Ec2Plane> {
  const targets = lb.targetGroups.flatMap((g) => g.targets);
  const ids = sorted(targets.map((t) => t.id).filter((id) => EC2_INSTANCE_ID.test(id)));
  const raw = ids.length ? await instancesOf(e, ids) : [];
  const [images, groups] = await Promise.all([
    imagesOf(e, sorted(raw.map((i) => i.ImageId))),
    securityGroupsOf(
      e,
      sorted([...lb.lbSecurityGroups, ...raw.flatMap((i) => (i.SecurityGroups ?? []).map((g) => g.GroupId))]),
    ),
  ]);
  const instances = raw.map((i) => instanceView(i, images)).sort((a, b) => a.id.localeCompare(b.id));
  const portsOf = (g: LbFacts['targetGroups'][number]) =>
    g.targets.length ? g.targets.map((t) => t.port ?? g.port) : [g.port];
  const targetPorts = [...new Set(lb.targetGroups.flatMap(portsOf))]
    .filter((p): p is number => p !== undefined)
    .sort((a, b) => a - b);
  return {
    loadBalancer: lb.loadBalancer,
    lbSecurityGroups: sorted(lb.lbSecurityGroups),
    listenerPorts: [...new Set(lb.listeners.map((l) => l.Port))]
      .filter((p): p is number => p !== undefined)
      .sort((a, b) => a - b),
    targetPorts,
    targets,
    instances,
    missing: ids.filter((id) => !instances.some((i) => i.id === id)),
    securityGroups: groups.map(groupView).sort((a, b) => a.id.localeCompare(b.id)),
  };
}

async function lbFacts(e: Elbv2): Promise<LbFacts> {
  const lb = await findLoadBalancer(e);
  const arn = lb.LoadBalancerArn!;
  const [listeners, groups] = await Promise.all([listenersOf(e, arn), targetGroupsOf(e, arn)]);
  const targetGroups = await Promise.all(
    groups.map(async (g) => ({
      ...(g.Port !== undefined ? { port: g.Port } : {}),
      targets: healthRows(await targetHealthOf(e, g.TargetGroupArn!)),
    })),
  );
  return {
    loadBalancer: lb.LoadBalancerName ?? arn,
    lbSecurityGroups: lb.SecurityGroups ?? [],
    listeners,
    targetGroups,
  };
}

/** The environment's EC2 plane: ELBv2 for the load balancer and its targets, then EC2. */
export async function describeEc2Plane(ctx: TargetContext): Promise<Ec2Plane> {
  const lbClient = elbv2(ctx);
  const ec2Client = ec2(ctx);
  try {
    return await ec2PlaneOf(ec2Client, await lbFacts(lbClient));
  } finally {
    lbClient.client.destroy();
    ec2Client.client.destroy();
  }
}

/** EC2's state name of each given instance id that EC2 knows. */
export async function describeInstanceStates(
  ctx: TargetContext,
  ids: string[],
): Promise<Record<string, string>> {
  const wanted = ids.filter((id) => EC2_INSTANCE_ID.test(id));
  if (!wanted.length) return {};
  const e = ec2(ctx);
  try {
    const found = await instancesOf(e, wanted);
    return Object.fromEntries(found.map((i) => [i.InstanceId ?? '', i.State?.Name ?? 'unknown']));
  } finally {
    e.client.destroy();
  }
}
