import { mergeHistograms, summarize, type LatencySummary } from './histogram.js';
import { attemptsOf, errorCountOf, statusCodesOf, type LoadData, type StickyData } from './result.js';
import { round } from '../util.js';

// The numbers of a run as plain JSON: the core of `parity load --json` (contract) and of the
// checks' evidence.

const LATENCY_RESOLUTION = '1 µs';

interface InstanceSummary extends Omit<LatencySummary, 'count'> {
  count: number;
  /** Share of the attributed responses. */
  share: number;
  statusCodes: Record<string, number>;
}

export interface LoadSummary {
  mode: LoadData['mode'];
  url: string;
  connections: number;
  /** Responses received. */
  requests: number;
  durationSeconds: number;
  rps: number;
  /** Requests without a response, plus responses with status >= 400. */
  errors: number;
  errorRate: number;
  transportErrors: number;
  timeouts: number;
  /** Of transportErrors: requests whose connection closed without a response. */
  closed: number;
  /** Responses without the identity header. */
  unattributed: number;
  statusCodes: Record<string, number>;
  latency: LatencySummary;
  latencyResolution: string;
  instances: Record<string, InstanceSummary>;
  sticky?: StickyData;
  abandoned: number;
  runs: number;
}

export function summarizeLoad(data: LoadData): LoadSummary {
  const attributed = Object.values(data.instances).reduce((s, i) => s + i.count, 0);
  const instances: Record<string, InstanceSummary> = {};
  for (const [id, inst] of Object.entries(data.instances)) {
    const { count: _count, ...lat } = summarize(inst.latency);
    instances[id] = {
      count: inst.count,
      share: attributed ? round(inst.count / attributed, 4) : 0,
      ...lat,
      statusCodes: inst.statusCodes,
    };
  }
  const attempts = attemptsOf(data);
  const errors = errorCountOf(data);
  return {
    mode: data.mode,
    url: data.url,
    connections: data.connections,
    requests: data.responses,
    durationSeconds: data.durationSeconds,
    rps: data.rps,
    errors,
    errorRate: attempts ? round(errors / attempts, 6) : 0,
    transportErrors: data.transportErrors,
    timeouts: data.timeouts,
    closed: data.closed ?? 0,
    unattributed: data.unattributed.count,
    statusCodes: statusCodesOf(data),
    latency: summarize(
      mergeHistograms([...Object.values(data.instances), data.unattributed].map((i) => i.latency)),
    ),
    latencyResolution: LATENCY_RESOLUTION,
    instances,
    ...(data.sticky ? { sticky: data.sticky } : {}),
    abandoned: data.abandoned,
    runs: data.runs,
  };
}
