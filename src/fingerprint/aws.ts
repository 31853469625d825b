import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsSnapshot } from '../aws/collect.js';
import { numbered } from './normalize.js';
import type { Identifier, Sample, Scalar } from './types.js';

// The control plane's fields: the load balancer, its listeners and rules, target groups and
// target health, keyed by role (protocol:port, rule priority) rather than by name or position.

type Fields = Record<string, Scalar>;

function put(fields: Fields, path: string, value: Scalar | undefined): void {
  if (value !== undefined) fields[path] = value;
}

/** Canonical JSON (sorted keys, no undefined) of a small structure, for list-valued fields. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function actionFields(fields: Fields, base: string, action: Action): void {
  put(fields, `${base}.type`, action.Type);
  put(fields, `${base}.targetGroup`, action.TargetGroupArn);
  const fwd = action.ForwardConfig;
  if (fwd) {
    put(
      fields,
      `${base}.forward.targetGroups`,
      (fwd.TargetGroups ?? [])
        .map((t) => `${t.TargetGroupArn}=${t.Weight ?? 1}`)
        .sort()
        .join(', '),
    );
    const st = fwd.TargetGroupStickinessConfig;
    put(
      fields,
      `${base}.forward.stickiness`,
      st?.Enabled ? `enabled ${st.DurationSeconds ?? '?'}s` : 'disabled',
    );
  }
  const r = action.RedirectConfig;
  if (r) put(fields, `${base}.redirect`, canonical(r));
  const f = action.FixedResponseConfig;
  if (f)
    put(fields, `${base}.fixedResponse`, canonical({ ...f, MessageBody: f.MessageBody ? 'set' : undefined }));
  if (action.AuthenticateCognitoConfig) put(fields, `${base}.authenticate`, 'cognito');
  if (action.AuthenticateOidcConfig) put(fields, `${base}.authenticate`, 'oidc');
}

function conditionText(c: RuleCondition): string {
  const values =
    c.Values ??
    c.HostHeaderConfig?.Values ??
    c.PathPatternConfig?.Values ??
    c.HttpRequestMethodConfig?.Values ??
    c.SourceIpConfig?.Values ??
    c.HttpHeaderConfig?.Values ??
    (c.QueryStringConfig?.Values ?? []).map((q) => `${q.Key ?? ''}=${q.Value ?? ''}`);
  const header = c.HttpHeaderConfig?.HttpHeaderName ? `:${c.HttpHeaderConfig.HttpHeaderName}` : '';
  return `${c.Field}${header}=${[...(values ?? [])].sort().join('|')}`;
}

/** Fields and identifiers of one AWS snapshot (raw; normalization happens later). */
export function awsSample(snap: AwsSnapshot, envName: string): Sample {
  const fields: Fields = {};
  const lb = snap.loadBalancer;
  const lbArn = lb.LoadBalancerArn ?? '';
  const ids: Identifier[] = [
    { value: lbArn, placeholder: '<lb-arn>' },
    { value: lb.LoadBalancerName ?? '', placeholder: '<lb-name>' },
    { value: lb.DNSName ?? '', placeholder: '<lb-dns>' },
    { value: lb.VpcId ?? '', placeholder: '<vpc>' },
    { value: envName, placeholder: '<env>', word: true },
    ...numbered(lb.SecurityGroups ?? [], 'sg'),
  ];
  const account = /^arn:aws[a-z-]*:elasticloadbalancing:[^:]*:(\d{12}):/.exec(lbArn)?.[1];
  if (account) ids.push({ value: account, placeholder: '<account>' });
  for (const az of lb.AvailabilityZones ?? []) {
    if (az.SubnetId) ids.push({ value: az.SubnetId, placeholder: `<subnet:${az.ZoneName ?? '?'}>` });
  }

  put(fields, 'loadBalancer.name', lb.LoadBalancerName);
  put(fields, 'loadBalancer.arn', lbArn);
  put(fields, 'loadBalancer.dnsName', lb.DNSName);
  put(fields, 'loadBalancer.vpc', lb.VpcId);
  put(
    fields,
    'loadBalancer.createdTime',
    lb.CreatedTime ? new Date(lb.CreatedTime).toISOString() : undefined,
  );
  put(fields, 'loadBalancer.type', lb.Type);
  put(fields, 'loadBalancer.scheme', lb.Scheme);
  put(fields, 'loadBalancer.ipAddressType', lb.IpAddressType);
  put(fields, 'loadBalancer.state', lb.State?.Code);
  put(fields, 'loadBalancer.availabilityZones', lb.AvailabilityZones?.length ?? 0);
  put(fields, 'loadBalancer.securityGroups', lb.SecurityGroups?.length ?? 0);
  for (const [k, v] of Object.entries(snap.attributes)) put(fields, `loadBalancer.attributes.${k}`, v);
  for (const [k, v] of Object.entries(snap.tags[lbArn] ?? {})) put(fields, `loadBalancer.tags.${k}`, v);

  // Target groups first: listener actions refer to them by their placeholder.
  const tgKeys = keyed(
    snap.targetGroups,
    (g) => `${g.targetGroup.Protocol ?? '?'}:${g.targetGroup.Port ?? '?'}`,
  );
  const targets = new Set<string>();
  for (const [key, g] of tgKeys) {
    const tg = g.targetGroup;
    const base = `targetGroups[${key}]`;
    ids.push({ value: tg.TargetGroupArn ?? '', placeholder: `<tg:${key}>` });
    ids.push({ value: tg.TargetGroupName ?? '', placeholder: `<tg-name:${key}>` });
    put(fields, `${base}.name`, tg.TargetGroupName);
    put(fields, `${base}.arn`, tg.TargetGroupArn);
    put(fields, `${base}.protocolVersion`, tg.ProtocolVersion);
    put(fields, `${base}.targetType`, tg.TargetType);
    put(fields, `${base}.ipAddressType`, tg.IpAddressType);
    put(fields, `${base}.loadBalancers`, tg.LoadBalancerArns?.length ?? 0);
    put(fields, `${base}.healthCheck.enabled`, tg.HealthCheckEnabled);
    put(fields, `${base}.healthCheck.protocol`, tg.HealthCheckProtocol);
    put(fields, `${base}.healthCheck.port`, tg.HealthCheckPort);
    put(fields, `${base}.healthCheck.path`, tg.HealthCheckPath);
    put(fields, `${base}.healthCheck.intervalSeconds`, tg.HealthCheckIntervalSeconds);
    put(fields, `${base}.healthCheck.timeoutSeconds`, tg.HealthCheckTimeoutSeconds);
    put(fields, `${base}.healthCheck.healthyThreshold`, tg.HealthyThresholdCount);
    put(fields, `${base}.healthCheck.unhealthyThreshold`, tg.UnhealthyThresholdCount);
    put(fields, `${base}.healthCheck.matcher`, tg.Matcher?.HttpCode ?? tg.Matcher?.GrpcCode);
    for (const [k, v] of Object.entries(g.attributes)) put(fields, `${base}.attributes.${k}`, v);
    for (const [k, v] of Object.entries(snap.tags[tg.TargetGroupArn ?? ''] ?? {}))
      put(fields, `${base}.tags.${k}`, v);
    const states = new Map<string, number>();
    const reasons = new Map<string, number>();
    for (const h of g.health) {
      if (h.Target?.Id) targets.add(h.Target.Id);
      const s = h.TargetHealth?.State ?? 'unknown';
      states.set(s, (states.get(s) ?? 0) + 1);
      if (h.TargetHealth?.Reason)
        reasons.set(h.TargetHealth.Reason, (reasons.get(h.TargetHealth.Reason) ?? 0) + 1);
    }
    put(fields, `${base}.targets.count`, g.health.length);
    put(fields, `${base}.targets.states`, counts(states));
    if (reasons.size) put(fields, `${base}.targets.reasons`, counts(reasons));
  }
  ids.push(...numbered(targets, 'target'));

  const lKeys = keyed(snap.listeners, (l) => `${l.listener.Protocol ?? '?'}:${l.listener.Port ?? '?'}`);
  for (const [key, { listener, rules }] of lKeys) {
    const base = `listeners[${key}]`;
    ids.push({ value: listener.ListenerArn ?? '', placeholder: `<listener:${key}>` });
    put(fields, `${base}.arn`, listener.ListenerArn);
    put(fields, `${base}.sslPolicy`, listener.SslPolicy);
    if (listener.Certificates?.length) put(fields, `${base}.certificates`, listener.Certificates.length);
    if (listener.AlpnPolicy?.length) put(fields, `${base}.alpnPolicy`, listener.AlpnPolicy.join(', '));
    orderedActions(listener.DefaultActions).forEach((a, i) =>
      actionFields(fields, `${base}.defaultActions[${i + 1}]`, a),
    );
    for (const rule of rules) {
      const rbase = `${base}.rules[${rule.Priority ?? '?'}]`;
      ids.push({ value: rule.RuleArn ?? '', placeholder: `<rule:${key}:${rule.Priority ?? '?'}>` });
      put(fields, `${rbase}.conditions`, (rule.Conditions ?? []).map(conditionText).sort().join('; '));
      orderedActions(rule.Actions).forEach((a, i) => actionFields(fields, `${rbase}.actions[${i + 1}]`, a));
    }
  }
  return { fields, raw: {}, unknown: {}, identifiers: ids.filter((i) => i.value) };
}

function orderedActions(actions: Action[] | undefined): Action[] {
  return [...(actions ?? [])].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
}

/** "healthy=1, unhealthy=1": sorted, so equal multisets compare equal. */
function counts(m: Map<string, number>): string {
  return [...m.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}=${n}`)
    .join(', ');
}

/** Items keyed by role; a repeated key gets "#2", "#3" in the order AWS listed them. */
function keyed<T>(items: T[], key: (t: T) => string): [string, T][] {
  const seen = new Map<string, number>();
  return items.map((item) => {
    const k = key(item);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return [n === 1 ? k : `${k}#${n}`, item];
  });
}
