// The HTTP side of the AWS Query protocol, shared by the lab's ELBv2 and EC2 endpoints: the
// parameters (query string and form-encoded body), the Action and Version checks, a request id,
// the XML envelope of an answer and of an error, and listening on 127.0.0.1. Each endpoint
// brings its dialect (namespace, list elements, error shape, codes) and its actions.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LabApiError } from '../errors.js';
import type { Shape, XmlValue } from './elbv2-model.js';
import { readState, topologyFile, type LabState } from './state.js';
import type { Topology } from './topology.js';

const MAX_BODY = 64 * 1024;

export type QueryAction<Lab> = (params: URLSearchParams, lab: Lab) => Promise<Shape> | Shape;

export interface QueryDialect<Lab> {
  /** Named in the answer to a plain GET (the lab's readiness probe). */
  service: string;
  version: string;
  /** What the lab answers, said when an action is unknown. */
  answers: string;
  /** The service's error code for a malformed request, and for a failure of the lab itself. */
  invalidCode: string;
  internalCode: string;
  actions: Record<string, QueryAction<Lab>>;
  /** The lab as it is now: read on every request, so a fault applied to a running lab shows at once. */
  readLab(labDir: string): Lab;
  headers(requestId: string): Record<string, string>;
  resultXml(action: string, result: Shape, requestId: string): string;
  errorXml(err: LabApiError, requestId: string): string;
}

/**
 * The lab's effective topology (faults applied) and its state, as they are now: an endpoint reads
 * them per request. An unreadable topology is the service's `unavailableCode`, HTTP 503.
 */
export function readLabNow(
  labDir: string,
  unavailableCode: string,
): { topology: Topology; state: LabState | null } {
  let topology: Topology;
  try {
    // Validated by labUp/labFault before it was written; no schema library here keeps startup light.
    topology = JSON.parse(readFileSync(topologyFile(labDir), 'utf8')) as Topology;
  } catch (err) {
    throw new LabApiError(unavailableCode, `lab topology unreadable: ${(err as Error).message}`, 503);
  }
  return { topology, state: readState(labDir) };
}

export const escapeXml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** Query-protocol XML: object keys become elements, lists become `item` elements (ELBv2: <member>, EC2: <item>). */
export function toXml(name: string, value: XmlValue, item: string): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((v) => toXml(item, v, item)).join('')}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => toXml(k, v, item))
      .join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/**
 * One page of `items` after an opaque marker (the lab's are offsets; AWS's are opaque too):
 * `next` is the marker of the rest, absent on the last page. `invalid` is the error of a marker
 * the lab did not give.
 */
export function pageAfter<T>(
  items: T[],
  size: number,
  marker: string | null,
  invalid: () => LabApiError,
): { items: T[]; next?: string } {
  let start = 0;
  if (marker) {
    const m = /^lab-(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
    if (!m) throw invalid();
    start = Number(m[1]);
  }
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { next: Buffer.from(`lab-${end}`).toString('base64url') } : {}),
  };
}

async function readBody(req: IncomingMessage, invalidCode: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new LabApiError(invalidCode, 'request body too large', 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, headers: Record<string, string>, xml: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle<Lab>(
  dialect: QueryDialect<Lab>,
  req: IncomingMessage,
  res: ServerResponse,
  labDir: string,
): Promise<void> {
  const requestId = randomUUID();
  const headers = dialect.headers(requestId);
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST')
      for (const [k, v] of new URLSearchParams(await readBody(req, dialect.invalidCode))) params.set(k, v);
    const action = params.get('Action');
    if (!action) {
      // A plain GET: the lab's readiness probe.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`parity lab ${dialect.service} endpoint\n`);
      return;
    }
    const handler = Object.hasOwn(dialect.actions, action) ? dialect.actions[action] : undefined;
    if (!handler) {
      throw new LabApiError(
        'InvalidAction',
        `The action ${action} is not valid for this web service (${dialect.answers})`,
      );
    }
    const version = params.get('Version');
    if (version !== dialect.version) {
      throw new LabApiError(
        'InvalidParameterValue',
        `Version must be ${dialect.version} (got ${version ?? 'none'})`,
      );
    }
    const result = await handler(params, dialect.readLab(labDir));
    reply(res, 200, headers, dialect.resultXml(action, result, requestId));
  } catch (err) {
    const apiErr =
      err instanceof LabApiError
        ? err
        : new LabApiError(dialect.internalCode, (err as Error)?.message ?? 'error', 500);
    if (!res.headersSent) reply(res, apiErr.status, headers, dialect.errorXml(apiErr, requestId));
  }
}

/** Start serving a dialect for a lab; resolves with the bound port (0 picks a free one). */
export async function listenQuery<Lab>(
  dialect: QueryDialect<Lab>,
  labDir: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    void handle(dialect, req, res, labDir);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
