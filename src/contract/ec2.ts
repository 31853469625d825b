// The EC2 plane of one environment as the checks and the fingerprint see it: the registered
// targets' instances, their AMIs and the security groups of the load balancer and instances.
// Plain data (no SDK types), so checks and fingerprint need not import the AWS edge.
import type { TargetContext, TargetHealthRow } from '../contract/target.js';

/** One ingress or egress rule. Ports are undefined for "all traffic" (protocol -1). */
export interface SgRule {
  /** "tcp", "udp", "icmp", or "-1" (all). */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  ipv6Cidrs: string[];
  /** Referenced security group ids. */
  groups: string[];
  prefixLists: string[];
}

export interface SecurityGroupView {
  id: string;
  name: string;
  ingress: SgRule[];
  egress: SgRule[];
}

export interface InstanceView {
  id: string;
  /** pending | running | shutting-down | terminated | stopping | stopped */
  state: string;
  type?: string;
  imageId?: string;
  /** From DescribeImages; undefined when the AMI is no longer visible. */
  imageName?: string;
  platform?: string;
  availabilityZone?: string;
  subnetId?: string;
  securityGroups: string[];
  /** Instance profile name (the part of the ARN after "instance-profile/"). */
  profile?: string;
  publicIp?: string;
  privateIp?: string;
  tags: Record<string, string>;
}

export interface Ec2Plane {
  loadBalancer: string;
  /** The load balancer's security groups. */
  lbSecurityGroups: string[];
  listenerPorts: number[];
  /** The ports the registered targets receive traffic on (target group / target port). */
  targetPorts: number[];
  targets: TargetHealthRow[];
  /** The registered instance targets, as EC2 describes them, sorted by id. */
  instances: InstanceView[];
  /** Registered instance ids that EC2 does not know. */
  missing: string[];
  /** The groups of the load balancer and of the instances. */
  securityGroups: SecurityGroupView[];
}

/** EC2's state of the given instance ids (absent ids are unknown to EC2). */
export type DescribeInstanceStates = (ctx: TargetContext, ids: string[]) => Promise<Record<string, string>>;

export type TcpOutcome = 'open' | 'refused' | 'timeout' | 'unreachable';

/** A bounded TCP connect (the network edge provides one). */
export type TcpProbe = (host: string, port: number, timeoutMs: number) => Promise<TcpOutcome>;

/** What an EC2 instance id looks like (i-0123abcd, i-0123456789abcdef0). */
export const EC2_INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
