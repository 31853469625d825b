// The lab's ELBv2 endpoint: answers the AWS Query API (form-encoded POST, XML in the 2015-12-01
// namespace) for every environment of the lab, from the lab's effective topology
// (<labdir>/topology.json, faults applied) and, for target health, HAProxy's live runtime API.
// Describe* for every environment; DeregisterTargets/RegisterTargets for staging only (the
// failover drill's two calls, done on HAProxy: see elbv2-targets.ts). Production's load balancer
// refuses them, as an IAM policy that grants it only Describe* would.
// The process entry is elbv2-main.ts (the lab runs it as a bundle).
import type { Server } from 'node:http';
import {
  escapeXml,
  listenQuery,
  pageAfter,
  readLabNow,
  toXml,
  type QueryAction,
  type QueryDialect,
} from './aws-query-server.js';
import { labResources, targetHealth, type LabLoadBalancer, type Shape } from './elbv2-model.js';
import { LabApiError } from '../errors.js';
import {
  changeTargets,
  readRegistrations,
  type TargetAction,
  type TargetChange,
  type TargetRef,
} from './elbv2-targets.js';
import { serverStats } from './runtime-api.js';

const ELBV2_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const MAX_PAGE = 400;

interface Lab {
  dir: string;
  lbs: LabLoadBalancer[];
  socketOf: (env: string) => string | undefined;
}

/** The environments whose targets the API may change: the drill runs on staging only. */
const MUTABLE_ENVS = new Set(['staging']);

function readLab(labDir: string): Lab {
  const { topology, state } = readLabNow(labDir, 'ServiceUnavailable');
  return {
    dir: labDir,
    lbs: labResources(topology, state?.startedAt ?? new Date(0).toISOString()),
    socketOf: (env) => state?.environments[env]?.socketPath,
  };
}

/** `Names.member.1`, `Names.member.2`, ... in order. */
function members(params: URLSearchParams, name: string, suffix = ''): string[] {
  const out: [number, string][] = [];
  const re = new RegExp(`^${name}\\.member\\.(\\d+)${suffix.replace(/\./g, '\\.')}$`);
  for (const [k, v] of params) {
    const m = re.exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

function required(params: URLSearchParams, name: string): string {
  const v = params.get(name);
  if (!v) throw new LabApiError('ValidationError', `${name} is required`);
  return v;
}

/** Marker/NextMarker pagination over a list (markers are opaque offsets, as AWS's are opaque). */
function page<T>(items: T[], params: URLSearchParams): { items: T[]; next?: string } {
  const size = params.has('PageSize') ? Number(params.get('PageSize')) : MAX_PAGE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
    throw new LabApiError('ValidationError', `PageSize must be an integer between 1 and ${MAX_PAGE}`);
  }
  return pageAfter(
    items,
    size,
    params.get('Marker'),
    () => new LabApiError('ValidationError', 'Invalid Marker'),
  );
}

function notFound(kind: 'LoadBalancer' | 'TargetGroup' | 'Listener' | 'Rule', ids: string[]): LabApiError {
  const plural = {
    LoadBalancer: 'Load balancers',
    TargetGroup: 'Target groups',
    Listener: 'Listeners',
    Rule: 'Rules',
  }[kind];
  return new LabApiError(`${kind}NotFound`, `${plural} '[${ids.join(', ')}]' not found`);
}

function lbByArn(lab: Lab, arn: string): LabLoadBalancer {
  const lb = lab.lbs.find((l) => l.arn === arn);
  if (!lb) throw notFound('LoadBalancer', [arn]);
  return lb;
}

const actions: Record<string, QueryAction<Lab>> = {
  DescribeLoadBalancers(params, lab) {
    const names = members(params, 'Names');
    const arns = members(params, 'LoadBalancerArns');
    if (names.length && arns.length) {
      throw new LabApiError('ValidationError', 'Names and LoadBalancerArns cannot be used together');
    }
    let lbs = lab.lbs;
    if (names.length || arns.length) {
      const wanted = names.length ? names : arns;
      const key = (l: LabLoadBalancer) => (names.length ? l.topo.loadBalancer.name : l.arn);
      const missing = wanted.filter((w) => !lbs.some((l) => key(l) === w));
      if (missing.length) throw notFound('LoadBalancer', missing);
      lbs = lbs.filter((l) => wanted.includes(key(l)));
    }
    const p = page(lbs, params);
    return { LoadBalancers: p.items.map((l) => l.loadBalancer), NextMarker: p.next };
  },

  DescribeLoadBalancerAttributes(params, lab) {
    return { Attributes: lbByArn(lab, required(params, 'LoadBalancerArn')).attributes };
  },

  DescribeListeners(params, lab) {
    const lbArn = params.get('LoadBalancerArn');
    const arns = members(params, 'ListenerArns');
    let found: LabLoadBalancer[];
    if (lbArn) found = [lbByArn(lab, lbArn)];
    else if (arns.length) {
      const missing = arns.filter((a) => !lab.lbs.some((l) => l.listenerArn === a));
      if (missing.length) throw notFound('Listener', missing);
      found = lab.lbs.filter((l) => arns.includes(l.listenerArn));
    } else throw new LabApiError('ValidationError', 'LoadBalancerArn or ListenerArns is required');
    const p = page(
      found.map((l) => l.listener),
      params,
    );
    return { Listeners: p.items, NextMarker: p.next };
  },

  DescribeRules(params, lab) {
    const listenerArn = params.get('ListenerArn');
    const arns = members(params, 'RuleArns');
    let found: LabLoadBalancer[];
    if (listenerArn) {
      found = lab.lbs.filter((l) => l.listenerArn === listenerArn);
      if (!found.length) throw notFound('Listener', [listenerArn]);
    } else if (arns.length) {
      const missing = arns.filter((a) => !lab.lbs.some((l) => l.ruleArn === a));
      if (missing.length) throw notFound('Rule', missing);
      found = lab.lbs.filter((l) => arns.includes(l.ruleArn));
    } else throw new LabApiError('ValidationError', 'ListenerArn or RuleArns is required');
    const p = page(
      found.map((l) => l.rule),
      params,
    );
    return { Rules: p.items, NextMarker: p.next };
  },

  DescribeTargetGroups(params, lab) {
    const lbArn = params.get('LoadBalancerArn');
    const arns = members(params, 'TargetGroupArns');
    const names = members(params, 'Names');
    let found = lab.lbs;
    if (lbArn) found = [lbByArn(lab, lbArn)];
    else if (arns.length || names.length) {
      const wanted = arns.length ? arns : names;
      const key = (l: LabLoadBalancer) => (arns.length ? l.targetGroupArn : l.topo.targetGroup.name);
      const missing = wanted.filter((w) => !lab.lbs.some((l) => key(l) === w));
      if (missing.length) throw notFound('TargetGroup', missing);
      found = lab.lbs.filter((l) => wanted.includes(key(l)));
    }
    const p = page(
      found.map((l) => l.targetGroup),
      params,
    );
    return { TargetGroups: p.items, NextMarker: p.next };
  },

  DescribeTargetGroupAttributes(params, lab) {
    const arn = required(params, 'TargetGroupArn');
    const lb = lab.lbs.find((l) => l.targetGroupArn === arn);
    if (!lb) throw notFound('TargetGroup', [arn]);
    return { Attributes: lb.targetGroupAttributes };
  },

  async DescribeTargetHealth(params, lab) {
    const arn = required(params, 'TargetGroupArn');
    const lb = lab.lbs.find((l) => l.targetGroupArn === arn);
    if (!lb) throw notFound('TargetGroup', [arn]);
    const socket = lab.socketOf(lb.env);
    const stats = socket ? await serverStats(socket).catch(() => null) : null;
    let rows = targetHealth(lb.topo, stats, readRegistrations(lab.dir)[lb.env]);
    const asked = members(params, 'Targets', '.Id');
    if (asked.length) {
      // Asking about a target that is not registered answers "unused", as AWS does.
      rows = asked.map(
        (id) =>
          rows.find((r) => (r.Target as Shape).Id === id) ?? {
            Target: { Id: id },
            TargetHealth: {
              State: 'unused',
              Reason: 'Target.NotRegistered',
              Description: 'Target is not registered',
            },
          },
      );
    }
    return { TargetHealthDescriptions: rows };
  },

  DeregisterTargets: changeAction('DeregisterTargets'),
  RegisterTargets: changeAction('RegisterTargets'),

  DescribeTags(params, lab) {
    const arns = members(params, 'ResourceArns');
    if (!arns.length || arns.length > 20) {
      throw new LabApiError('ValidationError', 'ResourceArns must hold between 1 and 20 ARNs');
    }
    return {
      TagDescriptions: arns.map((arn) => {
        const lb = lab.lbs.find((l) => arn in l.tags);
        if (!lb) {
          const kind = arn.includes(':targetgroup/')
            ? 'TargetGroup'
            : arn.includes(':listener-rule/')
              ? 'Rule'
              : arn.includes(':listener/')
                ? 'Listener'
                : 'LoadBalancer';
          throw notFound(kind, [arn]);
        }
        return { ResourceArn: arn, Tags: lb.tags[arn] };
      }),
    };
  },
};

/** DeregisterTargets or RegisterTargets: read the request, then change the targets on HAProxy. */
function changeAction(action: TargetAction): QueryAction<Lab> {
  return async (params, lab) => {
    await changeTargets(action, await targetChange(params, lab, action));
    return {};
  };
}

/** The target group, its HAProxy and the targets of a Deregister/RegisterTargets request. */
async function targetChange(params: URLSearchParams, lab: Lab, action: TargetAction): Promise<TargetChange> {
  const arn = required(params, 'TargetGroupArn');
  const lb = lab.lbs.find((l) => l.targetGroupArn === arn);
  if (!lb) throw notFound('TargetGroup', [arn]);
  if (!MUTABLE_ENVS.has(lb.env)) {
    throw new LabApiError(
      'AccessDenied',
      `User: arn:aws:sts::${lb.topo.accountId}:assumed-role/parity-readonly is not authorized to perform: elasticloadbalancing:${action} on resource: ${arn}`,
      403,
    );
  }
  const ids = members(params, 'Targets', '.Id');
  if (!ids.length) throw new LabApiError('ValidationError', 'Targets is required');
  const ports = new Map<number, string>();
  for (const [k, v] of params) {
    const m = /^Targets\.member\.(\d+)\.Port$/.exec(k);
    if (m) ports.set(Number(m[1]), v);
  }
  const numbered = [...params.keys()]
    .map((k) => /^Targets\.member\.(\d+)\.Id$/.exec(k))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const targets: TargetRef[] = numbered.map((n, i) => {
    const port = ports.get(n);
    if (port !== undefined && !/^\d+$/.test(port))
      throw new LabApiError('ValidationError', `invalid port ${port}`);
    return { id: ids[i], ...(port !== undefined ? { port: Number(port) } : {}) };
  });
  const socket = lab.socketOf(lb.env);
  const stats = socket ? await serverStats(socket).catch(() => null) : null;
  if (!socket || !stats)
    throw new LabApiError('ServiceUnavailable', `the ${lb.env} load balancer does not answer`, 503);
  return { labDir: lab.dir, env: lb.env, topo: lb.topo, socketPath: socket, stats, targets };
}

/** The lab's ELBv2 endpoint: ELBv2's dialect of the Query protocol (see aws-query-server.ts). */
const elbv2Dialect: QueryDialect<Lab> = {
  service: 'ELBv2',
  version: '2015-12-01',
  answers: 'the lab answers Describe*, DeregisterTargets and RegisterTargets',
  invalidCode: 'ValidationError',
  internalCode: 'InternalFailure',
  actions,
  readLab,
  headers: (requestId) => ({ 'content-type': 'text/xml', 'x-amzn-requestid': requestId }),
  resultXml: (action, result, requestId) =>
    `<${action}Response xmlns="${ELBV2_NAMESPACE}">${toXml(`${action}Result`, result, 'member')}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  errorXml: (err, requestId) => {
    const type = err.status >= 500 ? 'Receiver' : 'Sender';
    return `<ErrorResponse xmlns="${ELBV2_NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(err.awsCode)}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  },
};

/** Start serving; resolves with the bound port (0 picks a free one). */
export function listenElbv2(labDir: string, port = 0): Promise<{ server: Server; port: number }> {
  return listenQuery(elbv2Dialect, labDir, port);
}
