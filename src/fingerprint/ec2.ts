import type { Ec2Plane, SgRule } from '../contract/ec2.js';
import type { Sample, Scalar } from './types.js';

// The EC2 plane's fields: the instances behind the load balancer (count, types, AMI names,
// platform, profile, public address yes/no, state) and the security groups by role (`alb`:
// the load balancer's, `instance`: the instances'). Group ids become role placeholders here;
// CIDRs stay as they are, because 0.0.0.0/0 against a private range is the point.

type Fields = Record<string, Scalar>;

function tally(values: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** "chatmrpt-staging-ec2=2": sorted, so equal multisets compare equal. */
function counts(values: string[]): string {
  return tally(values)
    .map(([k, n]) => `${k}=${n}`)
    .join(', ');
}

/** "tcp:8080", "tcp:0-65535", "all". */
function ruleKey(r: SgRule): string {
  if (r.protocol === '-1') return 'all';
  if (r.fromPort === undefined) return r.protocol;
  return `${r.protocol}:${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`}`;
}

export function ec2Sample(plane: Ec2Plane, envName: string): Sample {
  const fields: Fields = {};
  const raw: Fields = {};
  const list = plane.instances;
  fields['instances.count'] = list.length;
  if (plane.missing.length) fields['instances.missing'] = plane.missing.length;
  // Keyed by value (`instances.amiNames[chatmrpt-app-2026-11-20]` = 2), so a diff names the
  // AMI or type that changed; profile names hold the environment's name, so they are values
  // (normalized to <env>), not keys.
  const keyed = (name: string, values: string[]) => {
    for (const [k, n] of tally(values)) fields[`instances.${name}[${k}]`] = n;
  };
  if (list.length) {
    keyed(
      'types',
      list.map((i) => i.type ?? 'unknown'),
    );
    keyed(
      'amiNames',
      list.map((i) => i.imageName ?? 'unknown'),
    );
    keyed(
      'platforms',
      list.map((i) => i.platform ?? 'unknown'),
    );
    keyed(
      'publicIp',
      list.map((i) => (i.publicIp ? 'yes' : 'no')),
    );
    keyed(
      'states',
      list.map((i) => i.state),
    );
    keyed(
      'availabilityZones',
      list.map((i) => i.availabilityZone ?? 'unknown'),
    );
    fields['instances.profiles'] = counts(list.map((i) => i.profile ?? 'none'));
  }

  // Roles: the load balancer's groups, then the instances' (a group in both counts as alb).
  const alb = new Set(plane.lbSecurityGroups);
  const instance = new Set(list.flatMap((i) => i.securityGroups).filter((id) => !alb.has(id)));
  const others = new Map<string, string>();
  const placeholder = (id: string): string => {
    if (alb.has(id)) return '<sg:alb>';
    if (instance.has(id)) return '<sg:instance>';
    if (!others.has(id)) others.set(id, `<sg:other-${others.size + 1}>`);
    return others.get(id)!;
  };
  for (const [role, ids] of [
    ['alb', alb],
    ['instance', instance],
  ] as const) {
    const groups = plane.securityGroups.filter((g) => ids.has(g.id));
    fields[`securityGroups.${role}.count`] = groups.length;
    for (const dir of ['ingress', 'egress'] as const) {
      const byKey = new Map<string, { norm: Set<string>; raw: Set<string> }>();
      for (const rule of groups.flatMap((g) => g[dir])) {
        const key = ruleKey(rule);
        const entry = byKey.get(key) ?? { norm: new Set(), raw: new Set() };
        for (const c of [...rule.cidrs, ...rule.ipv6Cidrs, ...rule.prefixLists]) {
          entry.norm.add(c);
          entry.raw.add(c);
        }
        for (const g of rule.groups) {
          entry.norm.add(placeholder(g));
          entry.raw.add(g);
        }
        byKey.set(key, entry);
      }
      for (const [key, e] of byKey) {
        const path = `securityGroups.${role}.${dir}[${key}]`;
        const norm = [...e.norm].sort().join(', ');
        const rawText = [...e.raw].sort().join(', ');
        fields[path] = norm;
        if (rawText !== norm) raw[path] = rawText;
      }
    }
  }
  return {
    fields,
    raw,
    unknown: {},
    identifiers: [{ value: envName, placeholder: '<env>', word: true }],
  };
}
