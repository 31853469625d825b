import { mergeHistograms, summarize, type LatencySummary } from './histogram.js';
import {
  attemptsOf,
  errorCountOf,
  statusCodesOf,
  type LoadData,
  type Pacing,
  type StickyData,
} from './result.js';
import { round } from '../util.js';
import type { LoadSummaryEvidence, Same } from '../contract/evidence.js';

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
  /** All-out, or a fixed rate (and how it held: responses per second of the run). */
  pacing: PacingSummary;
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

export type PacingSummary =
  | { kind: 'all-out' }
  | {
      kind: 'fixed-rate';
      /** Requests per second asked for. */
      rate: number;
      /** Achieved responses per second over the run, and as a fraction of the rate. */
      achievedRps: number;
      achievedRatio: number;
      /** Fewest and most responses in any whole second of the schedule. */
      perSecondMin: number;
      perSecondMax: number;
      perSecond: number[];
    };

/** A fixed rate's figures: the achieved rate, and how even it was second by second. */
function summarizePacing(p: Pacing | undefined, rps: number, durationSeconds: number): PacingSummary {
  if (!p || p.kind === 'all-out') return { kind: 'all-out' };
  // Whole seconds of the schedule only: a partial last second would read as a dip.
  const whole = p.perSecond.slice(0, Math.max(1, Math.floor(durationSeconds)));
  return {
    kind: 'fixed-rate',
    rate: p.rate,
    achievedRps: rps,
    achievedRatio: round(rps / p.rate, 4),
    perSecondMin: whole.length ? Math.min(...whole) : 0,
    perSecondMax: Math.max(0, ...whole),
    perSecond: p.perSecond,
  };
}

/** One line for humans: which mode ran. */
export function pacingLine(p: PacingSummary): string {
  if (p.kind === 'all-out') return 'all-out (each connection sends as soon as it is answered)';
  return (
    `fixed rate ${p.rate} req/s: achieved ${p.achievedRps} req/s (${(p.achievedRatio * 100).toFixed(1)}%), ` +
    `${p.perSecondMin}-${p.perSecondMax} responses in each second`
  );
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
    pacing: summarizePacing(data.pacing, data.rps, data.durationSeconds),
    url: data.url,
    connections: data.connections,
    requests: data.responses,
    durationSeconds: data.durationSeconds,
    rps: data.rps,
    errors,
    errorRate: attempts ? round(errors / attempts, 6) : 0,
    transportErrors: data.transportErrors,
    timeouts: data.timeouts,
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

// The evidence contract (src/contract/evidence.ts) describes this shape exactly.
const _loadSummaryInContract: Same<LoadSummary, LoadSummaryEvidence> = true;
void _loadSummaryInContract;
