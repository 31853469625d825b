import { hex, LAB_REGION, type Shape } from './elbv2-model.js';
import type { EnvTopology, SgRuleTopology, SgTopology, Topology } from './topology.js';

// What EC2 would say about the lab's instances, AMIs and security groups, from the topology
// alone (pure). Shapes use EC2's own XML element names (2016-11-15: camelCase, `...Set` lists
// of <item>); the server serializes them. Ids are stable hashes of account + name, and the
// load balancer's group id is the one the ELBv2 API reports (elbv2-model.ts).

type SgRole = 'alb' | 'instance';

const STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface LabEc2 {
  /** DescribeInstances reservations (one instance each), across every environment. */
  reservations: Shape[];
  images: Shape[];
  securityGroups: Shape[];
}

/** The group ids of an environment, by role. The ALB's matches DescribeLoadBalancers. */
function groupIds(topo: EnvTopology): Record<SgRole, string> {
  const acct = topo.accountId;
  const lb = topo.loadBalancer.name;
  return { alb: `sg-${hex(`${acct}/sg/${lb}`, 17)}`, instance: `sg-${hex(`${acct}/sg/${lb}/instance`, 17)}` };
}

const amiId = (topo: EnvTopology, key: string) =>
  `ami-${hex(`${topo.accountId}/ami/${topo.amis[key]?.name ?? key}`, 17)}`;

/** The plan's Phase 4, when a topology names no groups: ALB 80/443 from anywhere; app port from the ALB. */
function securityGroupsOf(topo: EnvTopology): Record<SgRole, SgTopology> {
  if (topo.securityGroups) return topo.securityGroups;
  const all: SgRuleTopology = { protocol: '-1', from: ['0.0.0.0/0'] };
  return {
    alb: {
      ingress: [80, 443].map((ports) => ({ protocol: 'tcp', ports, from: ['0.0.0.0/0'] })),
      egress: [all],
    },
    instance: {
      ingress: [{ protocol: 'tcp', ports: topo.targetGroup.port, from: ['sg:alb'] }],
      egress: [all],
    },
  };
}

function portRange(rule: SgRuleTopology): [number, number] | undefined {
  if (rule.protocol === '-1' || rule.ports === undefined) return undefined;
  if (typeof rule.ports === 'number') return [rule.ports, rule.ports];
  const [a, b] = rule.ports.split('-').map(Number);
  return [a, b];
}

/** Does the instance group admit the target port from 0.0.0.0/0 or ::/0? (Then a public address answers.) */
export function admitsWorld(topo: EnvTopology, port: number): boolean {
  return securityGroupsOf(topo).instance.ingress.some((r) => {
    const range = portRange(r);
    const covers =
      r.protocol === '-1' || (r.protocol === 'tcp' && range && range[0] <= port && port <= range[1]);
    return covers && r.from.some((f) => f === '0.0.0.0/0' || f === '::/0');
  });
}

function permission(topo: EnvTopology, rule: SgRuleTopology): Shape {
  const ids = groupIds(topo);
  const range = portRange(rule);
  const cidrs = rule.from.filter((f) => f.includes('/') && !f.includes(':'));
  const v6 = rule.from.filter((f) => f.includes('/') && f.includes(':'));
  const groups = rule.from.filter((f) => f.startsWith('sg:')).map((f) => ids[f.slice(3) as SgRole]);
  const lists = rule.from.filter((f) => f.startsWith('pl-'));
  const desc = rule.description ? { description: rule.description } : {};
  return {
    ipProtocol: rule.protocol,
    ...(range ? { fromPort: range[0], toPort: range[1] } : {}),
    groups: groups.map((groupId) => ({ ...desc, userId: topo.accountId, groupId })),
    ipRanges: cidrs.map((cidrIp) => ({ ...desc, cidrIp })),
    ipv6Ranges: v6.map((cidrIpv6) => ({ ...desc, cidrIpv6 })),
    prefixListIds: lists.map((prefixListId) => ({ ...desc, prefixListId })),
  };
}

/** Public addresses the lab gave instances (instance id → address), from its state. */
export type PublicAddresses = Record<string, string>;

export function labEc2(topology: Topology, launchTime: string, publicIps: PublicAddresses = {}): LabEc2 {
  const out: LabEc2 = { reservations: [], images: [], securityGroups: [] };
  for (const [env, topo] of Object.entries(topology.environments).sort(([a], [b]) => a.localeCompare(b))) {
    const e = describeEnv(env, topo, launchTime, publicIps);
    out.reservations.push(...e.reservations);
    out.images.push(...e.images);
    out.securityGroups.push(...e.securityGroups);
  }
  return out;
}

function describeEnv(env: string, topo: EnvTopology, launchTime: string, publicIps: PublicAddresses): LabEc2 {
  const acct = topo.accountId;
  const vpcId = `vpc-${hex(`${acct}/vpc`, 17)}`;
  const ids = groupIds(topo);
  const base = topo.loadBalancer.name.replace(/-alb$/, '');
  const names: Record<SgRole, string> = {
    alb: `${topo.loadBalancer.name}-sg`,
    instance: `${base}-instance-sg`,
  };
  const groups = securityGroupsOf(topo);
  const tags = (name: string) => [
    { key: 'Application', value: 'chatmrpt' },
    { key: 'Environment', value: env },
    { key: 'Name', value: name },
  ];
  const securityGroups = (['alb', 'instance'] as const).map((role) => ({
    ownerId: acct,
    groupId: ids[role],
    groupName: names[role],
    groupDescription:
      role === 'alb' ? 'ALB: HTTP/HTTPS from the internet' : 'instances: the app port from the ALB',
    vpcId,
    ipPermissions: groups[role].ingress.map((r) => permission(topo, r)),
    ipPermissionsEgress: groups[role].egress.map((r) => permission(topo, r)),
    tagSet: tags(names[role]),
  }));

  const images = Object.entries(topo.amis).map(([key, ami]) => ({
    imageId: amiId(topo, key),
    imageLocation: `${acct}/${ami.name}`,
    imageState: 'available',
    imageOwnerId: acct,
    creationDate: launchTime,
    isPublic: false,
    architecture: 'x86_64',
    imageType: 'machine',
    platformDetails: ami.platform,
    usageOperation: 'RunInstances',
    name: ami.name,
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    virtualizationType: 'hvm',
    hypervisor: 'xen',
  }));

  const zones = topo.loadBalancer.availabilityZones;
  const reservations = topo.instances.map((inst, n) => {
    const zoneIndex = Math.max(0, zones.indexOf(inst.az));
    const privateIp = `10.0.${zoneIndex + 1}.${11 + n}`;
    const ami = inst.ami ?? topo.ec2.ami;
    const image = topo.amis[ami];
    const publicIp = inst.publicIp ? publicIps[inst.id] : undefined;
    const profile = topo.ec2.instanceProfile;
    const state = inst.state;
    return {
      reservationId: `r-${hex(`${acct}/reservation/${inst.id}`, 17)}`,
      ownerId: acct,
      groupSet: [],
      instancesSet: [
        {
          instanceId: inst.id,
          imageId: amiId(topo, ami),
          instanceState: { code: STATE_CODES[state], name: state },
          privateDnsName: `ip-${privateIp.replace(/\./g, '-')}.${LAB_REGION}.compute.internal`,
          dnsName: publicIp ? `ec2-${publicIp.replace(/\./g, '-')}.${LAB_REGION}.compute.amazonaws.com` : '',
          reason: state === 'stopped' ? `User initiated (${launchTime})` : '',
          amiLaunchIndex: 0,
          productCodes: [],
          instanceType: inst.type ?? topo.ec2.instanceType,
          launchTime,
          placement: { availabilityZone: inst.az, groupName: '', tenancy: 'default' },
          monitoring: { state: 'disabled' },
          subnetId: `subnet-${hex(`${acct}/subnet/${inst.az}`, 17)}`,
          vpcId,
          privateIpAddress: privateIp,
          ...(publicIp && state === 'running' ? { ipAddress: publicIp } : {}),
          sourceDestCheck: true,
          groupSet: [{ groupId: ids.instance, groupName: names.instance }],
          architecture: 'x86_64',
          rootDeviceType: 'ebs',
          rootDeviceName: '/dev/xvda',
          ...(profile
            ? {
                iamInstanceProfile: {
                  arn: `arn:aws:iam::${acct}:instance-profile/${profile}`,
                  id: `AIPA${hex(`${acct}/profile/${profile}`, 17).toUpperCase()}`,
                },
              }
            : {}),
          virtualizationType: 'hvm',
          tagSet: [...tags(`${base}-${n + 1}`)],
          hypervisor: 'xen',
          ...(image ? { platformDetails: image.platform } : {}),
          usageOperation: 'RunInstances',
        },
      ],
    };
  });
  return { reservations, images, securityGroups };
}
