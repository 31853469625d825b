import { createHash } from 'node:crypto';
import { registrationState, type Registrations } from './elbv2-targets.js';
import type { ServerStat } from './runtime-api.js';
import type { EnvTopology, Topology } from './topology.js';

// What AWS would say about the lab's load balancers, derived from the topology alone (pure).
// Field names and shapes follow the ELBv2 API (2015-12-01); the server serializes them as XML.
// Identifiers (ARNs, DNS names, VPC/subnet/SG ids) are stable hashes of account + name, so two
// runs of the same topology describe the same resources, as AWS would.

export const LAB_REGION = 'us-east-2';
/** The hosted zone AWS uses for ALBs in us-east-2. */
const CANONICAL_HOSTED_ZONE = 'Z3AADJGX6KTTL2';

export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [k: string]: XmlValue };
export type Shape = { [k: string]: XmlValue };

export interface LabLoadBalancer {
  env: string;
  topo: EnvTopology;
  arn: string;
  listenerArn: string;
  ruleArn: string;
  targetGroupArn: string;
  /** DescribeLoadBalancers member. */
  loadBalancer: Shape;
  attributes: Shape[];
  listener: Shape;
  rule: Shape;
  targetGroup: Shape;
  targetGroupAttributes: Shape[];
  tags: Record<string, Shape[]>;
}

export function hex(seed: string, n: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, n);
}

function digits(seed: string, n: number): string {
  return BigInt('0x' + hex(seed, 16))
    .toString()
    .padStart(n, '0')
    .slice(-n);
}

/** Every environment's load balancer, as AWS describes it. `createdTime` stands in for the creation date. */
export function labResources(topology: Topology, createdTime: string): LabLoadBalancer[] {
  return Object.entries(topology.environments)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([env, topo]) => describeEnv(env, topo, createdTime));
}

function describeEnv(env: string, topo: EnvTopology, createdTime: string): LabLoadBalancer {
  const lb = topo.loadBalancer;
  const tg = topo.targetGroup;
  const acct = topo.accountId;
  const arnBase = `arn:aws:elasticloadbalancing:${LAB_REGION}:${acct}`;
  const lbId = hex(`${acct}/lb/${lb.name}`, 16);
  const listenerId = hex(`${acct}/listener/${lb.name}/${topo.listener.port}`, 16);
  const arn = `${arnBase}:loadbalancer/app/${lb.name}/${lbId}`;
  const listenerArn = `${arnBase}:listener/app/${lb.name}/${lbId}/${listenerId}`;
  const ruleArn = `${arnBase}:listener-rule/app/${lb.name}/${lbId}/${listenerId}/${hex(`${acct}/rule/${listenerId}/default`, 16)}`;
  const targetGroupArn = `${arnBase}:targetgroup/${tg.name}/${hex(`${acct}/tg/${tg.name}`, 16)}`;
  const vpcId = `vpc-${hex(`${acct}/vpc`, 17)}`;
  const internal = lb.scheme === 'internal';
  const dnsName = `${internal ? 'internal-' : ''}${lb.name}-${digits(`${acct}/dns/${lb.name}`, 10)}.${LAB_REGION}.elb.amazonaws.com`;

  const loadBalancer: Shape = {
    LoadBalancerArn: arn,
    DNSName: dnsName,
    CanonicalHostedZoneId: CANONICAL_HOSTED_ZONE,
    CreatedTime: createdTime,
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: vpcId,
    State: { Code: 'active' },
    Type: 'application',
    AvailabilityZones: lb.availabilityZones.map((zone) => ({
      ZoneName: zone,
      SubnetId: `subnet-${hex(`${acct}/subnet/${zone}`, 17)}`,
    })),
    SecurityGroups: [`sg-${hex(`${acct}/sg/${lb.name}`, 17)}`],
    IpAddressType: lb.ipAddressType,
  };

  const attributes = kv({
    'access_logs.s3.enabled': 'false',
    'access_logs.s3.bucket': '',
    'access_logs.s3.prefix': '',
    'deletion_protection.enabled': 'false',
    'idle_timeout.timeout_seconds': String(lb.idleTimeoutSeconds),
    'routing.http.desync_mitigation_mode': 'defensive',
    'routing.http.drop_invalid_header_fields.enabled': 'false',
    'routing.http.preserve_host_header.enabled': 'false',
    'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': 'false',
    'routing.http.xff_client_port.enabled': 'false',
    'routing.http.xff_header_processing.mode': 'append',
    'routing.http2.enabled': 'true',
    'waf.fail_open.enabled': 'false',
    'load_balancing.cross_zone.enabled': 'true',
  });

  const forward = {
    Type: 'forward',
    TargetGroupArn: targetGroupArn,
    Order: 1,
    ForwardConfig: {
      TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
  const listener: Shape = {
    ListenerArn: listenerArn,
    LoadBalancerArn: arn,
    Port: topo.listener.port,
    Protocol: topo.listener.protocol,
    DefaultActions: [forward],
  };
  const rule: Shape = {
    RuleArn: ruleArn,
    Priority: 'default',
    Conditions: [],
    Actions: [forward],
    IsDefault: true,
  };

  const hc = tg.healthCheck;
  const targetGroup: Shape = {
    TargetGroupArn: targetGroupArn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: vpcId,
    HealthCheckProtocol: tg.protocol,
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThreshold,
    UnhealthyThresholdCount: hc.unhealthyThreshold,
    HealthCheckPath: hc.path,
    Matcher: { HttpCode: hc.matcher },
    LoadBalancerArns: [arn],
    TargetType: 'instance',
    ProtocolVersion: 'HTTP1',
    IpAddressType: 'ipv4',
  };
  const targetGroupAttributes = kv({
    'deregistration_delay.timeout_seconds': String(tg.deregistrationDelaySeconds),
    'stickiness.enabled': String(tg.stickiness.enabled),
    'stickiness.type': tg.stickiness.type,
    'stickiness.lb_cookie.duration_seconds': String(tg.stickiness.durationSeconds),
    'stickiness.app_cookie.cookie_name': '',
    'stickiness.app_cookie.duration_seconds': '86400',
    'load_balancing.algorithm.type': tg.algorithm,
    'load_balancing.algorithm.anomaly_mitigation': 'off',
    'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
    'slow_start.duration_seconds': '0',
    'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
    'target_group_health.dns_failover.minimum_healthy_targets.percentage': 'off',
    'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '1',
    'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': 'off',
  });
  const commonTags = { Application: 'chatmrpt', Environment: env };
  const tags = {
    [arn]: kv({ ...commonTags, Name: lb.name }),
    [targetGroupArn]: kv({ ...commonTags, Name: tg.name }),
    [listenerArn]: [],
    [ruleArn]: [],
  };
  return {
    env,
    topo,
    arn,
    listenerArn,
    ruleArn,
    targetGroupArn,
    loadBalancer,
    attributes,
    listener,
    rule,
    targetGroup,
    targetGroupAttributes,
    tags,
  };
}

function kv(record: Record<string, string>): Shape[] {
  return Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * DescribeTargetHealth members for a target group, from HAProxy's live server stats (null: the
 * runtime API did not answer) and what DeregisterTargets/RegisterTargets did (`regs`, this
 * environment's entries). Unregistered instances are absent, as in AWS; so is a deregistered
 * one once its deregistration delay is over.
 */
export function targetHealth(
  topo: EnvTopology,
  stats: ServerStat[] | null,
  regs: Registrations[string] = {},
  now = Date.now(),
): Shape[] {
  const delay = topo.targetGroup.deregistrationDelaySeconds;
  return topo.instances
    .filter((i) => i.registered)
    .flatMap((inst) => {
      const stat = stats?.find((s) => s.name === inst.id);
      const reg = stats === null ? undefined : registrationState(regs[inst.id], stat, delay, now);
      if (reg === 'gone') return [];
      return [
        {
          Target: { Id: inst.id, Port: topo.targetGroup.port },
          HealthCheckPort: String(topo.targetGroup.port),
          TargetHealth:
            reg === 'initial'
              ? INITIAL
              : reg === 'draining'
                ? DRAINING
                : healthOf(stats === null ? null : stat),
        },
      ];
    });
}

const INITIAL: Shape = {
  State: 'initial',
  Reason: 'Elb.RegistrationInProgress',
  Description: 'Target registration is in progress',
};
const DRAINING: Shape = {
  State: 'draining',
  Reason: 'Target.DeregistrationInProgress',
  Description: 'Target deregistration is in progress',
};

/** HAProxy's view of one server, in AWS's vocabulary (states and reason codes of TargetHealth). */
function healthOf(stat: ServerStat | undefined | null): Shape {
  if (stat === null) {
    return {
      State: 'unavailable',
      Reason: 'Elb.InternalError',
      Description: 'Health checks failed due to an internal error',
    };
  }
  if (!stat) {
    return { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered' };
  }
  const status = stat.status.toUpperCase();
  const check = stat.checkStatus.toUpperCase();
  if (status.startsWith('MAINT') || status.startsWith('DRAIN')) {
    return {
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
      Description: 'Target deregistration is in progress',
    };
  }
  if (check === '' || check.startsWith('INI')) {
    return {
      State: 'initial',
      Reason: 'Elb.InitialHealthChecking',
      Description: 'Initial health checks in progress',
    };
  }
  // "UP 1/2" (failing, not yet at the threshold) is still healthy; "DOWN 1/2" is still unhealthy.
  if (status.startsWith('UP') || status === 'NOLB') return { State: 'healthy' };
  if (check.endsWith('TOUT')) {
    return { State: 'unhealthy', Reason: 'Target.Timeout', Description: 'Request timed out' };
  }
  if (check === 'L7STS') {
    return {
      State: 'unhealthy',
      Reason: 'Target.ResponseCodeMismatch',
      Description: 'Health checks failed with these codes: [non-matching]',
    };
  }
  return { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' };
}
