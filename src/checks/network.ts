// network.alb-only (the plan's Phase 4): the instances are reachable only through the ALB.
// Control plane: every instance's security groups admit the target port only from the load
// balancer's groups, SSH is not open to the world, and the load balancer's groups admit its
// listener ports. Data plane: a TCP connect to each public address EC2 reports must not succeed.
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../net/tcp.js';
import type { Ec2Plane, SecurityGroupView, SgRule, TcpOutcome, TcpProbe } from '../contract/ec2.js';
import { timed, type CheckResultOf } from '../contract/result.js';
import type { EvidenceById } from '../contract/evidence.js';
import type { TargetContext } from '../contract/target.js';

/** How long one TCP connect to a public address may take before it counts as not answering. */
const PROBE_BOUND_MS = 1500;

const WORLD = new Set(['0.0.0.0/0', '::/0']);

/** Does the rule admit TCP traffic to this port? */
function admitsTcp(rule: SgRule, port: number): boolean {
  if (rule.protocol === '-1') return true;
  if (rule.protocol !== 'tcp' && rule.protocol !== '6') return false;
  return (rule.fromPort ?? 0) <= port && port <= (rule.toPort ?? 65535);
}

/** "tcp 8080", "tcp 0-65535", "all traffic". */
function ruleText(rule: SgRule): string {
  if (rule.protocol === '-1') return 'all traffic';
  const ports =
    rule.fromPort === undefined
      ? 'all ports'
      : rule.fromPort === rule.toPort
        ? String(rule.fromPort)
        : `${rule.fromPort}-${rule.toPort}`;
  return `${rule.protocol} ${ports}`;
}

function sourcesOf(rule: SgRule): string[] {
  return [...rule.cidrs, ...rule.ipv6Cidrs, ...rule.groups, ...rule.prefixLists];
}

const groupName = (g: SecurityGroupView) => `${g.id}${g.name ? ` (${g.name})` : ''}`;

/** Is this an address the probe may touch? Private ones never are (loopback: the lab's stand-ins). */
function probeable(ip: string): boolean {
  return isIP(ip) !== 0 && !isPrivateAddress(ip);
}

interface ProbeRow {
  instance: string;
  address: string;
  port: number;
  outcome: TcpOutcome | 'not probed (private address)';
}

export function networkAlbOnly(
  ctx: TargetContext,
  plane: () => Promise<Ec2Plane>,
  probe: TcpProbe,
): Promise<CheckResultOf<'network.alb-only'>> {
  return timed('network.alb-only', ctx.name, async () => {
    if (!ctx.env.aws) {
      return {
        status: 'skip',
        diagnosis: `environment ${ctx.name} has no aws config: security groups not checked`,
        evidence: {},
      };
    }
    const p = await plane();
    if (!p.instances.length) {
      return {
        status: 'skip',
        diagnosis: `${p.loadBalancer}: no registered instance targets to check${p.missing.length ? ` (EC2 knows none of ${p.missing.join(', ')})` : ''}`,
        evidence: { loadBalancer: p.loadBalancer, missing: p.missing },
      };
    }
    const lbGroups = new Set(p.lbSecurityGroups);
    const groups = new Map(p.securityGroups.map((g) => [g.id, g]));
    // A rule problem is named once, with every instance it applies to.
    const byRule = new Map<string, string[]>();
    const note = (instance: string, text: string) =>
      byRule.set(text, [...(byRule.get(text) ?? []), instance]);

    for (const inst of p.instances) {
      const mine = inst.securityGroups.map((id) => groups.get(id)).filter((g): g is SecurityGroupView => !!g);
      for (const port of p.targetPorts) {
        let fromLb = false;
        for (const g of mine) {
          for (const rule of g.ingress.filter((r) => admitsTcp(r, port))) {
            if (rule.groups.some((id) => lbGroups.has(id))) fromLb = true;
            const others = sourcesOf(rule).filter((s) => !lbGroups.has(s));
            if (others.length) {
              note(
                inst.id,
                `${groupName(g)} admits ${ruleText(rule)} (target port ${port}) from ${others.join(', ')}`,
              );
            }
          }
        }
        if (!fromLb) {
          note(
            inst.id,
            `no security group admits target port ${port} from the load balancer's groups (${p.lbSecurityGroups.join(', ') || 'none'})`,
          );
        }
      }
      for (const g of mine) {
        for (const rule of g.ingress.filter((r) => admitsTcp(r, 22))) {
          const world = sourcesOf(rule).filter((s) => WORLD.has(s));
          if (world.length && !p.targetPorts.some((port) => admitsTcp(rule, port))) {
            note(inst.id, `${groupName(g)} admits SSH (${ruleText(rule)}) from ${world.join(', ')}`);
          }
        }
      }
    }
    const problems = [...byRule].map(([text, ids]) => `${ids.join(', ')}: ${text}`);

    const lbMine = p.lbSecurityGroups.map((id) => groups.get(id)).filter((g): g is SecurityGroupView => !!g);
    for (const port of p.listenerPorts) {
      if (!lbMine.some((g) => g.ingress.some((r) => admitsTcp(r, port)))) {
        problems.push(
          `the load balancer's groups (${p.lbSecurityGroups.join(', ') || 'none'}) do not admit its listener port ${port}`,
        );
      }
    }

    // The data plane: only addresses EC2 reports as public, never a private one.
    const from = hostname();
    const enabled = ctx.env.aws.probePublicIps !== false;
    const rows: ProbeRow[] = [];
    if (enabled) {
      const wanted = p.instances.flatMap((i) =>
        i.publicIp ? p.targetPorts.map((port) => ({ instance: i.id, address: i.publicIp!, port })) : [],
      );
      await Promise.all(
        wanted.map(async (w) => {
          if (!probeable(w.address)) {
            rows.push({ ...w, outcome: 'not probed (private address)' });
            return;
          }
          rows.push({ ...w, outcome: await probe(w.address, w.port, PROBE_BOUND_MS) });
        }),
      );
      rows.sort((a, b) => a.instance.localeCompare(b.instance) || a.port - b.port);
      for (const r of rows.filter((x) => x.outcome === 'open')) {
        problems.push(
          `${r.instance} answered on its public address ${r.address}:${r.port} (TCP connect from ${from} succeeded)`,
        );
      }
    }
    const evidence: EvidenceById['network.alb-only'] = {
      loadBalancer: p.loadBalancer,
      lbSecurityGroups: p.lbSecurityGroups,
      targetPorts: p.targetPorts,
      listenerPorts: p.listenerPorts,
      instances: p.instances.map((i) => ({
        id: i.id,
        securityGroups: i.securityGroups,
        publicIp: i.publicIp ?? null,
      })),
      securityGroups: p.securityGroups,
      probe: enabled
        ? { from, boundMs: PROBE_BOUND_MS, results: rows }
        : { disabled: `environments.${ctx.name}.aws.probePublicIps is false` },
    };
    if (problems.length) return { status: 'fail', diagnosis: problems.join('; '), evidence };
    const publics = rows.length
      ? `no public address answered within ${PROBE_BOUND_MS} ms (${rows.map((r) => `${r.instance} ${r.address}:${r.port} ${r.outcome}`).join(', ')}; probed from ${from})`
      : enabled
        ? 'no instance has a public address'
        : 'public addresses not probed (probePublicIps: false)';
    return {
      status: 'pass',
      diagnosis: `${p.instances.length} instances admit target port ${p.targetPorts.join(', ')} only from the load balancer's groups (${p.lbSecurityGroups.join(', ')}); SSH not open to the world; listener ports ${p.listenerPorts.join(', ')} admitted; ${publics}`,
      evidence,
    };
  });
}
