// Defensive readers of check evidence. Other modules define the evidence shapes, so each
// reader accepts the likely spellings and returns undefined (never throws) when the shape is
// not recognised; callers then fall back to the check's diagnosis line.

type Rec = Record<string, unknown>;

export const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/** The first defined value among the keys. */
function pick(o: Rec, keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

const ID_KEYS = ['id', 'instance', 'instanceId', 'target', 'targetId', 'node', 'name'];
const idOf = (o: unknown): string | undefined => (isRecord(o) ? str(pick(o, ID_KEYS)) : str(o));

/** Entries of a per-instance collection given as a record {id: v} or an array [{id, ...}]. */
function perInstance(v: unknown): [string, unknown][] | undefined {
  if (Array.isArray(v)) {
    const out = v.map((item) => [idOf(item), item] as [string | undefined, unknown]);
    return out.every(([id]) => id !== undefined) && out.length > 0 ? (out as [string, unknown][]) : undefined;
  }
  if (isRecord(v) && Object.keys(v).length > 0) return Object.entries(v);
  return undefined;
}

// ---- latency percentiles ---------------------------------------------------------------

const PCT = /^p?(\d{1,2}(?:[._]\d+)?)(?:ms)?$/i;

/** Percentile fields of an object ({p50, p90, p99, p99_9, ...}) as {"p50": ms}; undefined when none. */
function percentilesOf(v: unknown): Record<string, number> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, val] of Object.entries(v)) {
    const m = PCT.exec(k);
    const n = num(val);
    if (m && n !== undefined) out[`p${m[1].replace('_', '.')}`] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

// ---- load.distribution / load.sticky -----------------------------------------------------

interface InstanceLoad {
  id: string;
  count?: number;
  share?: number;
  percentiles?: Record<string, number>;
}
export interface LoadView {
  instances: InstanceLoad[];
  percentiles?: Record<string, number>;
  minShare?: number;
  p99Limit?: number;
}

/** Per-instance counts, shares and latency percentiles, from either per-instance objects or parallel maps. */
export function loadView(evidence: unknown): LoadView | undefined {
  if (!isRecord(evidence)) return undefined;
  // parity's load checks nest the run's figures under `load` (src/load/result.ts).
  const ev = isRecord(evidence.load) ? { ...evidence, ...evidence.load } : evidence;
  const byId = new Map<string, InstanceLoad>();
  const get = (id: string) => byId.get(id) ?? byId.set(id, { id }).get(id)!;

  const objects = perInstance(pick(ev, ['instances', 'perInstance', 'byInstance', 'targets']));
  for (const [id, v] of objects ?? []) {
    const it = get(id);
    if (num(v) !== undefined) it.count = num(v);
    if (!isRecord(v)) continue;
    it.count = num(pick(v, ['count', 'requests', 'responses', 'hits', 'n']));
    it.share = num(pick(v, ['share', 'ratio', 'fraction']));
    it.percentiles =
      percentilesOf(pick(v, ['percentiles', 'latency', 'latencyMs', 'latencies'])) ?? percentilesOf(v);
  }
  for (const [key, field] of [
    ['counts', 'count'],
    ['shares', 'share'],
  ] as const) {
    const m = ev[key];
    if (isRecord(m))
      for (const [id, v] of Object.entries(m)) if (num(v) !== undefined) get(id)[field] = num(v);
  }
  // percentiles/latency may be per instance ({id: {p99}}) or overall ({p99}).
  let overall: Record<string, number> | undefined;
  for (const key of ['percentiles', 'latency', 'latencyMs']) {
    const m = ev[key];
    if (!isRecord(m)) continue;
    const flat = percentilesOf(m);
    if (flat) overall ??= flat;
    else
      for (const [id, v] of Object.entries(m)) {
        const p = percentilesOf(v);
        if (p) get(id).percentiles = p;
      }
  }
  overall ??= percentilesOf(ev);
  const instances = [...byId.values()];
  if (instances.length === 0) return overall ? { instances, percentiles: overall } : undefined;
  const total = instances.reduce((s, i) => s + (i.count ?? 0), 0);
  for (const i of instances)
    if (i.share === undefined && i.count !== undefined && total > 0) i.share = i.count / total;
  const thresholds = isRecord(ev.thresholds) ? ev.thresholds : ev;
  return {
    instances: instances.sort((a, b) => a.id.localeCompare(b.id)),
    percentiles: overall,
    minShare: num(thresholds.minShare),
    p99Limit: num(pick(thresholds, ['p99Ms', 'p99Limit'])),
  };
}

// ---- sticky.pinning ------------------------------------------------------------------------

/** The instance that answered each request, per virtual client (one row per client). */
export function pinningSequences(ev: unknown): string[][] | undefined {
  if (!isRecord(ev)) return undefined;
  const asSeq = (v: unknown): string[] | undefined => {
    if (!Array.isArray(v) || v.length === 0) return undefined;
    const ids = v.map(idOf);
    return ids.every((x) => x !== undefined) ? (ids as string[]) : undefined;
  };
  for (const key of ['clients', 'sequences']) {
    const v = ev[key];
    if (!Array.isArray(v)) continue;
    const rows = v.map((c) => asSeq(isRecord(c) ? pick(c, ['sequence', 'instances', 'requests']) : c));
    if (rows.length && rows.every((r) => r !== undefined)) return rows as string[][];
  }
  for (const key of ['sequence', 'requests', 'observed', 'responses', 'hits', 'instances']) {
    const s = asSeq(ev[key]);
    if (s) return [s];
  }
  return undefined;
}

// ---- other checks ------------------------------------------------------------------------

/** {instance: version} from deploy.consistency evidence. */
export function versionsOf(ev: unknown): [string, string][] | undefined {
  if (!isRecord(ev)) return undefined;
  const entries = perInstance(pick(ev, ['versions', 'instances']));
  const out = entries?.map(([id, v]) => [id, str(isRecord(v) ? pick(v, ['version', 'build']) : v)]);
  return out && out.every(([, v]) => v !== undefined) ? (out as [string, string][]) : undefined;
}

/** Registered targets and their health state. */
export function targetsOf(ev: unknown): { id: string; state?: string }[] | undefined {
  if (!isRecord(ev)) return undefined;
  const entries = perInstance(pick(ev, ['targets', 'instances']));
  if (entries)
    return entries.map(([id, v]) => ({
      id,
      state: str(isRecord(v) ? pick(v, ['state', 'health', 'status', 'reached']) : v),
    }));
  const healthy = ev.healthy;
  if (Array.isArray(healthy) && healthy.every((h) => typeof h === 'string'))
    return (healthy as string[]).map((id) => ({ id, state: 'healthy' }));
  return undefined;
}

/** Instance counts ({id: n}) from spread-like evidence. */
export function countsOf(ev: unknown): [string, number][] | undefined {
  if (!isRecord(ev)) return undefined;
  const entries = perInstance(pick(ev, ['counts', 'instances', 'byInstance', 'distribution']));
  const out = entries?.map(([id, v]) => [id, num(isRecord(v) ? pick(v, ['count', 'clients', 'n']) : v)]);
  return out && out.every(([, n]) => n !== undefined) ? (out as [string, number][]) : undefined;
}

/** A diff class that the config allows (expectDifferent) or calibration marked as noise; "unexpected" is not one. */
export const isAllowedDiff = (cls: string | undefined): boolean =>
  /^(?:expected|allowed|noise|ignored|accepted)\b/i.test(cls ?? '');

export interface DiffRow {
  path: string;
  cls?: string;
  values: Record<string, unknown>;
}

/** fingerprint.diff rows: {path, <side values...>, class}. */
export function diffRows(ev: unknown): DiffRow[] | undefined {
  if (!isRecord(ev)) return undefined;
  const rows = pick(ev, ['rows', 'diff', 'differences', 'drift', 'changes']);
  if (!Array.isArray(rows)) return undefined;
  const out: DiffRow[] = [];
  for (const r of rows) {
    if (!isRecord(r)) return undefined;
    const path = str(pick(r, ['path', 'key', 'field']));
    if (!path) return undefined;
    const cls = str(pick(r, ['class', 'classification', 'kind', 'verdict', 'status', 'severity']));
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r))
      if (
        ![
          'path',
          'key',
          'field',
          'class',
          'classification',
          'kind',
          'verdict',
          'status',
          'severity',
        ].includes(k)
      )
        values[k] = v;
    out.push({ path, cls, values });
  }
  return out;
}

// ---- journey.<name> ----------------------------------------------------------------------

interface JourneyStepView {
  step: string;
  instance?: string;
  on?: string;
  status: number | null;
  ok: boolean;
  tries?: number;
  lagMs?: number | null;
  latencyMs?: number;
  settleSeconds?: number;
  reason?: string;
}
export interface JourneyVariantView {
  variant: string;
  outcome?: string;
  steps: JourneyStepView[];
}

/** The pinned and hopping runs of a journey check, each as its steps. */
export function journeyView(ev: unknown): JourneyVariantView[] | undefined {
  if (!isRecord(ev) || !isRecord(ev.variants)) return undefined;
  const out: JourneyVariantView[] = [];
  for (const [variant, v] of Object.entries(ev.variants)) {
    if (!isRecord(v) || !Array.isArray(v.steps)) return undefined;
    const steps: JourneyStepView[] = [];
    for (const s of v.steps) {
      if (!isRecord(s) || !str(s.step)) return undefined;
      steps.push({
        step: str(s.step)!,
        instance: str(s.instance),
        on: str(s.on),
        status: num(s.status) ?? null,
        ok: s.ok === true,
        tries: num(s.tries),
        lagMs: s.lagMs === null ? null : num(s.lagMs),
        latencyMs: num(s.latencyMs),
        settleSeconds: num(s.settleSeconds),
        reason: str(s.reason),
      });
    }
    out.push({ variant, outcome: str(v.outcome), steps });
  }
  return out.length ? out : undefined;
}

export { str as stringOf, num as numberOf, pick };

// ---- failover.sticky ---------------------------------------------------------------------

/** The failover drill's figures (src/checks/failover.ts DrillObservation). */
export interface DrillView {
  from: string;
  to?: string;
  journey?: string;
  targetGroup?: string;
  deregistrationDelaySeconds?: number;
  stateAfterDeregister?: string;
  rePinMs?: number;
  cookieReissued?: boolean;
  sessionSurvived?: boolean;
  /** undefined: no journey tested the data. */
  dataSurvived?: boolean;
  background?: {
    connections?: number;
    requests?: number;
    transportErrors?: number;
    non2xx?: number;
    clientsRePinned?: number;
  };
  drainedMs?: number;
  registered?: boolean;
  healthyMs?: number;
  statesSeen: string[];
  answered?: boolean;
  restoreCommand?: string;
  targetsAfter: { id: string; state?: string }[];
  steps: { phase: string; name: string; instance?: string; status?: number; ok: boolean; detail?: string }[];
}

export function drillView(ev: unknown): DrillView | undefined {
  if (!isRecord(ev) || ev.ran !== true) return undefined;
  const from = str(ev.from);
  if (!from) return undefined;
  const outcome = isRecord(ev.outcome) ? ev.outcome : {};
  const session = isRecord(outcome.session) ? outcome.session : undefined;
  const data = isRecord(outcome.data) ? outcome.data : undefined;
  const bg = isRecord(ev.background) ? ev.background : undefined;
  const restore = isRecord(ev.restore) ? ev.restore : undefined;
  const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
  return {
    from,
    to: str(ev.to),
    journey: str(ev.journey),
    targetGroup: str(ev.targetGroup),
    deregistrationDelaySeconds: num(ev.deregistrationDelaySeconds),
    stateAfterDeregister: str(ev.stateAfterDeregister),
    rePinMs: num(ev.rePinMs),
    cookieReissued: bool(ev.cookieReissued),
    sessionSurvived: session ? bool(session.survived) : undefined,
    dataSurvived: data ? bool(data.survived) : undefined,
    background: bg && {
      connections: num(bg.connections),
      requests: num(bg.requests),
      transportErrors: num(bg.transportErrors),
      non2xx: num(bg.non2xx),
      clientsRePinned: num(bg.clientsRePinned),
    },
    drainedMs: num(ev.drainedMs),
    registered: restore ? bool(restore.registered) : undefined,
    healthyMs: restore ? num(restore.healthyMs) : undefined,
    statesSeen: restore && Array.isArray(restore.statesSeen) ? restore.statesSeen.map(String) : [],
    answered: restore ? bool(restore.answered) : undefined,
    restoreCommand: restore ? str(restore.command) : undefined,
    targetsAfter: targetsOf({ targets: ev.targetsAfter }) ?? [],
    steps: Array.isArray(ev.steps)
      ? ev.steps.filter(isRecord).map((s) => ({
          phase: str(s.phase) ?? '',
          name: str(s.name) ?? '',
          instance: str(s.instance),
          status: num(s.status),
          ok: s.ok === true,
          detail: str(s.detail),
        }))
      : [],
  };
}

// ---- fingerprint.diff endpoints ---------------------------------------------------------

export interface EndpointView {
  path: string;
  compare?: string;
  compared?: number;
  same?: number;
  rows: { field: string; cls: string; a: unknown; b: unknown; note?: string }[];
  inconsistencies: { field: string; values: Record<string, unknown> }[];
  unverified: string[];
}

/** fingerprint.diff's endpoint groups (evidence.endpoints), the values read under the two environments' names. */
export function endpointViews(
  ev: unknown,
  envA: string,
): { against: string; views: EndpointView[] } | undefined {
  if (!isRecord(ev) || !Array.isArray(ev.endpoints)) return undefined;
  const against = str(ev.against) ?? 'production';
  const views: EndpointView[] = [];
  for (const g of ev.endpoints) {
    if (!isRecord(g) || !str(g.path)) return undefined;
    const list = (v: unknown) => (Array.isArray(v) ? v.filter(isRecord) : []);
    views.push({
      path: str(g.path)!,
      compare: str(g.compare),
      compared: num(g.compared),
      same: num(g.same),
      rows: list(g.differences).map((d) => ({
        field: str(d.field) ?? '',
        cls: str(d.class) ?? '',
        a: d[envA],
        b: d[against],
        note: str(d.note),
      })),
      inconsistencies: list(g.inconsistencies).map((i) => ({
        field: str(i.field) ?? '',
        values: isRecord(i.values) ? i.values : {},
      })),
      unverified: Array.isArray(g.unverified)
        ? g.unverified.filter((u): u is string => typeof u === 'string')
        : [],
    });
  }
  return { against, views };
}
