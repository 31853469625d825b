import type { Histogram } from './histogram.js';

// What one load run (or the merge of its shards) measured. Histograms hold latencies in µs.

export type LoadMode = 'distribution' | 'sticky';

/**
 * How requests were paced: all-out (each connection as fast as answers come back) or a fixed
 * rate (R requests per second over all connections; perSecond: responses in each second of
 * the run, merged shards summed).
 */
export type Pacing = { kind: 'all-out' } | { kind: 'fixed-rate'; rate: number; perSecond: number[] };

export interface InstanceData {
  /** Responses received from this instance. */
  count: number;
  /** Responses by HTTP status code. */
  statusCodes: Record<string, number>;
  latency: Histogram;
}

export interface StickyData {
  /** Virtual clients (one connection each, reconnecting with the same cookie). */
  clients: number;
  /** Clients that received the sticky cookie. */
  clientsWithCookie: number;
  /** Clients per instance they were pinned to (the instance of their first attributed response). */
  pinned: Record<string, number>;
  /** Responses from an instance other than the client's pinned one. */
  violations: number;
  clientsWithViolations: number;
}

export interface LoadData {
  mode: LoadMode;
  /** Absent (older shard files): all-out. */
  pacing?: Pacing;
  url: string;
  connections: number;
  startedAt: string;
  finishedAt: string;
  /** Wall time from the first request to the last response (drain included); merged shards: the longest. */
  durationSeconds: number;
  /** Responses per second (merged shards: the sum of each shard's rate). */
  rps: number;
  /** Responses received (attributed or not). */
  responses: number;
  /** Connection errors and timeouts: requests that got no response. */
  transportErrors: number;
  timeouts: number;
  /** Of transportErrors: requests whose connection the server closed without answering (absent in older shard files). */
  closed?: number;
  /** Responses per instance id (from the identity header). */
  instances: Record<string, InstanceData>;
  /** Responses without the identity header (e.g. the load balancer's own 503). */
  unattributed: InstanceData;
  sticky?: StickyData;
  /** Requests still in flight when the hard stop hit; 0 when every connection drained. */
  abandoned: number;
  /** How many runs were merged into this one (1 for a plain run). */
  runs: number;
}

/** Responses of every status, whoever answered. */
export function statusCodesOf(data: LoadData): Record<string, number> {
  const out: Record<string, number> = {};
  for (const slot of [...Object.values(data.instances), data.unattributed]) {
    for (const [code, n] of Object.entries(slot.statusCodes)) out[code] = (out[code] ?? 0) + n;
  }
  return out;
}

/** Failed requests: no response at all, or an HTTP status >= 400. */
export function errorCountOf(data: LoadData): number {
  let bad = data.transportErrors;
  for (const [code, n] of Object.entries(statusCodesOf(data))) if (Number(code) >= 400) bad += n;
  return bad;
}

/** Requests attempted: responses plus requests that got none. */
export function attemptsOf(data: LoadData): number {
  return data.responses + data.transportErrors;
}
