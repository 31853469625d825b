// The reports' views of check evidence, read by check id with the contract's types
// (src/contract/evidence.ts). evidenceOf validates a result's evidence against its id's schema
// once; a result without its id's evidence (skipped, errored, another parity version, a user's
// own check) has no view, and the callers fall back to the check's diagnosis line.
import {
  evidenceOf,
  journeyEvidenceOf,
  type DifferenceEvidence,
  type JourneyVariantEvidence,
  type LoadSummaryEvidence,
} from '../contract/evidence.js';
import type { CheckResult } from '../contract/result.js';

type Latency = Pick<LoadSummaryEvidence['latency'], 'p50Ms' | 'p90Ms' | 'p99Ms'>;
const percentiles = (l: Latency) => ({ p50: l.p50Ms, p90: l.p90Ms, p99: l.p99Ms });

// ---- load.distribution / load.sticky -----------------------------------------------------

export interface LoadView {
  /** Sorted by id; share of the attributed responses. */
  instances: { id: string; count: number; share: number; percentiles: Record<string, number> }[];
  percentiles: Record<string, number>;
  minShare?: number;
  p99Limit?: number;
}

export function loadView(c: CheckResult): LoadView | undefined {
  const ev = evidenceOf(c, 'load.distribution') ?? evidenceOf(c, 'load.sticky');
  if (!ev) return undefined;
  const instances = Object.entries(ev.load.instances)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, i]) => ({ id, count: i.count, share: i.share, percentiles: percentiles(i) }));
  const t = ev.thresholds;
  return { instances, percentiles: percentiles(ev.load.latency), minShare: t?.minShare, p99Limit: t?.p99Ms };
}

// ---- sticky.pinning ------------------------------------------------------------------------

/** The instance that answered each request, per client (sticky.pinning runs one client). */
export function pinningSequences(c: CheckResult): string[][] | undefined {
  const ev = evidenceOf(c, 'sticky.pinning');
  return ev?.sequence.length ? [ev.sequence] : undefined;
}

// ---- fingerprint.diff --------------------------------------------------------------------

/** A difference the config allows (expectDifferent) or calibration marked as noise. */
export const isAllowedDiff = (cls: DifferenceEvidence['class']): boolean => cls !== 'drift';

export interface DiffRow {
  path: string;
  cls: DifferenceEvidence['class'];
  /** This environment's value and production's. */
  a: unknown;
  b: unknown;
  note?: string;
}

/** fingerprint.diff's differences, and the production environment they are against. */
export function diffRows(c: CheckResult): { against: string; rows: DiffRow[] } | undefined {
  const ev = evidenceOf(c, 'fingerprint.diff');
  if (!ev) return undefined;
  const rows = ev.differences.map((d) => ({ path: d.path, cls: d.class, a: d.a, b: d.b, note: d.note }));
  return { against: ev.against, rows };
}

export interface EndpointView {
  path: string;
  compare?: string;
  compared: number;
  same: number;
  rows: { field: string; cls: DifferenceEvidence['class']; a: unknown; b: unknown; note?: string }[];
  inconsistencies: { field: string; values: Record<string, unknown> }[];
  unverified: string[];
}

/** fingerprint.diff's endpoint groups, the two values read under the environments' names. */
export function endpointViews(c: CheckResult): { against: string; views: EndpointView[] } | undefined {
  const ev = evidenceOf(c, 'fingerprint.diff');
  if (!ev?.endpoints) return undefined;
  const views = ev.endpoints.map((g) => ({
    path: g.path,
    compare: g.compare,
    compared: g.compared,
    same: g.same,
    rows: g.differences.map((d) => ({
      field: d.field,
      cls: d.class,
      a: d[c.env],
      b: d[ev.against],
      note: d.note,
    })),
    inconsistencies: g.inconsistencies,
    unverified: g.unverified,
  }));
  return { against: ev.against, views };
}

// ---- journey.<name> ----------------------------------------------------------------------

export type JourneyVariantView = JourneyVariantEvidence;

/** The pinned and hopping runs of a journey check (none when it was refused). */
export function journeyView(c: CheckResult): JourneyVariantView[] | undefined {
  const ev = journeyEvidenceOf(c);
  return ev && 'variants' in ev ? [ev.variants.pinned, ev.variants.hopping] : undefined;
}

// ---- failover.sticky ---------------------------------------------------------------------

/** The failover drill's figures, when it ran. */
export function drillView(c: CheckResult) {
  const ev = evidenceOf(c, 'failover.sticky');
  return ev?.ran ? ev : undefined;
}
