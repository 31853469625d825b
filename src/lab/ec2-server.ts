// The lab's EC2 endpoint: the EC2 Query API (form-encoded POST, version 2016-11-15) for
// DescribeInstances, DescribeImages and DescribeSecurityGroups, in EC2's own dialect: XML in
// the http://ec2.amazonaws.com/doc/2016-11-15/ namespace, lists as <item> inside `...Set`
// elements, errors as <Response><Errors><Error>. Answers from the lab's effective topology
// (<labdir>/topology.json) and state (public addresses), read per request. Read-only.
import type { Server } from 'node:http';
import { LabApiError } from '../errors.js';
import {
  escapeXml,
  listenQuery,
  pageAfter,
  readLabNow,
  toXml,
  type QueryAction,
  type QueryDialect,
} from './aws-query-server.js';
import { labEc2, type LabEc2 } from './ec2-model.js';
import type { Shape } from './elbv2-model.js';

const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const EC2_VERSION = '2016-11-15';

function readLab(labDir: string): LabEc2 {
  const { topology, state } = readLabNow(labDir, 'Unavailable');
  const publicIps: Record<string, string> = {};
  for (const env of Object.values(state?.environments ?? {}))
    for (const i of env.instances) if (i.publicIp) publicIps[i.id] = i.publicIp;
  return labEc2(topology, state?.startedAt ?? new Date(0).toISOString(), publicIps);
}

/** `InstanceId.1`, `InstanceId.2`, ... in order (EC2 lists are flat: no `.member`). */
function list(params: URLSearchParams, name: string): string[] {
  const re = new RegExp(`^${name}\\.(\\d+)$`);
  return [...params]
    .flatMap(([k, v]) => {
      const m = re.exec(k);
      return m ? [[Number(m[1]), v] as const] : [];
    })
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
}

/** Filters as name → values (`Filter.1.Name`, `Filter.1.Value.1`, ...). */
function filters(params: URLSearchParams): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, name] of params) {
    const m = /^Filter\.(\d+)\.Name$/.exec(k);
    if (m) out.set(name, [...(out.get(name) ?? []), ...list(params, `Filter\\.${m[1]}\\.Value`)]);
  }
  return out;
}

/** MaxResults/NextToken paging (tokens are opaque offsets). AWS allows MaxResults 5-1000. */
function page<T>(items: T[], params: URLSearchParams, idsGiven: boolean): { items: T[]; next?: string } {
  const max = params.get('MaxResults');
  if (max !== null && idsGiven) {
    throw new LabApiError(
      'InvalidParameterCombination',
      'The parameter MaxResults cannot be used with the parameter ids',
    );
  }
  const size = max === null ? 1000 : Number(max);
  if (!Number.isInteger(size) || size < 5 || size > 1000) {
    throw new LabApiError(
      'InvalidParameterValue',
      `Value (${max}) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    );
  }
  return pageAfter(
    items,
    size,
    params.get('NextToken'),
    () => new LabApiError('InvalidParameterValue', 'Invalid NextToken'),
  );
}

/** One Describe* action: what it lists, in which element, and how its ids and filters read. */
interface Listing {
  items: (lab: LabEc2) => Shape[];
  /** The element that holds the page. */
  set: string;
  idParam: string;
  idOf: (s: Shape) => string;
  filters: string[];
  fieldOf: (s: Shape, filter: string) => string[];
  notFound: (ids: string[]) => LabApiError;
}

const instanceOf = (r: Shape) => ((r.instancesSet as Shape[])[0] ?? {}) as Shape;

const LISTINGS: Record<string, Listing> = {
  DescribeInstances: {
    items: (lab) => lab.reservations,
    set: 'reservationSet',
    idParam: 'InstanceId',
    idOf: (r) => String(instanceOf(r).instanceId),
    filters: ['instance-id', 'instance-state-name', 'instance.group-id', 'image-id'],
    fieldOf: (r, f) => {
      const i = instanceOf(r);
      if (f === 'instance-id') return [String(i.instanceId)];
      if (f === 'instance-state-name') return [String((i.instanceState as Shape).name)];
      if (f === 'image-id') return [String(i.imageId)];
      return (i.groupSet as Shape[]).map((g) => String(g.groupId));
    },
    notFound: (ids) =>
      new LabApiError(
        'InvalidInstanceID.NotFound',
        `The instance ID${ids.length > 1 ? 's' : ''} '${ids.join(', ')}' do${ids.length > 1 ? '' : 'es'} not exist`,
      ),
  },
  DescribeImages: {
    items: (lab) => lab.images,
    set: 'imagesSet',
    idParam: 'ImageId',
    idOf: (s) => String(s.imageId),
    filters: ['image-id', 'name'],
    fieldOf: (s, f) => [String(f === 'name' ? s.name : s.imageId)],
    notFound: (ids) =>
      new LabApiError('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`),
  },
  DescribeSecurityGroups: {
    items: (lab) => lab.securityGroups,
    set: 'securityGroupInfo',
    idParam: 'GroupId',
    idOf: (s) => String(s.groupId),
    filters: ['group-id', 'group-name', 'vpc-id'],
    fieldOf: (s, f) => [String(f === 'group-name' ? s.groupName : f === 'vpc-id' ? s.vpcId : s.groupId)],
    notFound: (ids) =>
      new LabApiError('InvalidGroup.NotFound', `The security group '${ids.join(', ')}' does not exist`),
  },
};

/** Select by explicit ids (unknown ones are an error, as in EC2) and by filters (no match: nothing), then page. */
function describe(l: Listing): QueryAction<LabEc2> {
  return (params, lab) => {
    const items = l.items(lab);
    const ids = list(params, l.idParam);
    let out = items;
    if (ids.length) {
      const missing = ids.filter((id) => !items.some((s) => l.idOf(s) === id));
      if (missing.length) throw l.notFound(missing);
      out = out.filter((s) => ids.includes(l.idOf(s)));
    }
    for (const [name, values] of filters(params)) {
      if (!l.filters.includes(name)) {
        throw new LabApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
      }
      out = out.filter((s) => l.fieldOf(s, name).some((v) => values.includes(v)));
    }
    const p = page(out, params, ids.length > 0);
    return { [l.set]: p.items, nextToken: p.next };
  };
}

const actions = Object.fromEntries(Object.entries(LISTINGS).map(([name, l]) => [name, describe(l)]));

/** The lab's EC2 endpoint: EC2's dialect of the Query protocol (see aws-query-server.ts). */
const ec2Dialect: QueryDialect<LabEc2> = {
  service: 'EC2',
  version: EC2_VERSION,
  answers: 'the lab is read-only',
  invalidCode: 'InvalidParameterValue',
  internalCode: 'InternalError',
  actions,
  readLab,
  headers: () => ({ 'content-type': 'text/xml;charset=UTF-8' }),
  resultXml: (action, result, requestId) => {
    const inner = Object.entries(result)
      .map(([k, v]) => toXml(k, v, 'item'))
      .join('');
    return `<${action}Response xmlns="${EC2_NAMESPACE}"><requestId>${requestId}</requestId>${inner}</${action}Response>`;
  },
  errorXml: (e, requestId) =>
    `<Response><Errors><Error><Code>${escapeXml(e.awsCode)}</Code><Message>${escapeXml(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
};

/** Start serving; resolves with the bound port (0 picks a free one). */
export function listenEc2(labDir: string, port = 0): Promise<{ server: Server; port: number }> {
  return listenQuery(ec2Dialect, labDir, port);
}
