import { readUserFile } from '../config/read-user-file.js';
import { writeOutputSync } from '../io/output.js';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { decodeHistogram, encodeHistogram, newHistogram } from './histogram.js';
import type { LoadExpectations, Shard } from './plan.js';
import type { InstanceData, LoadData, Pacing, StickyData } from './result.js';

// Shard files: one load run's counts and its HDR histograms (compressed base64), so runs on
// several machines merge into exactly the totals and percentiles of one big run.

const KIND = 'parity-load-shard';

const Counts = z.record(z.string(), z.number().int().min(0));
const Slot = z.object({ count: z.number().int().min(0), statusCodes: Counts, latency: z.string() }).strict();
const ThresholdsSchema = z
  .object({ maxErrorRate: z.number(), p99Ms: z.number(), minShare: z.number(), alpha: z.number() })
  .strict();

const ShardFileSchema = z
  .object({
    kind: z.literal(KIND),
    version: z.literal(1),
    shard: z
      .object({ index: z.number().int().min(1), count: z.number().int().min(1) })
      .strict()
      .nullable(),
    totalConnections: z.number().int().min(1),
    expectations: z
      .object({
        env: z.string(),
        expectedInstances: z.number().int().min(1),
        weights: z.record(z.string(), z.number()).optional(),
        thresholds: ThresholdsSchema,
        identityHeader: z.string(),
        stickyCookie: z.string(),
      })
      .strict(),
    mode: z.enum(['distribution', 'sticky']),
    // Absent in files written before fixed-rate runs existed: all-out.
    pacing: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('all-out') }).strict(),
        z
          .object({
            kind: z.literal('fixed-rate'),
            rate: z.number().int().min(1),
            perSecond: z.array(z.number().int().min(0)),
          })
          .strict(),
      ])
      .optional(),
    url: z.string(),
    connections: z.number().int().min(1),
    startedAt: z.string(),
    finishedAt: z.string(),
    durationSeconds: z.number().min(0),
    rps: z.number().min(0),
    responses: z.number().int().min(0),
    transportErrors: z.number().int().min(0),
    timeouts: z.number().int().min(0),
    closed: z.number().int().min(0).optional(),
    abandoned: z.number().int().min(0),
    latencyUnit: z.literal('us'),
    instances: z.record(z.string(), Slot),
    unattributed: Slot,
    sticky: z
      .object({
        clients: z.number().int().min(0),
        clientsWithCookie: z.number().int().min(0),
        pinned: Counts,
        violations: z.number().int().min(0),
        clientsWithViolations: z.number().int().min(0),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ShardFile = z.infer<typeof ShardFileSchema>;

export interface LoadPart {
  shard: Shard | null;
  totalConnections: number;
  expectations: LoadExpectations;
  data: LoadData;
}

const encodeSlot = (s: InstanceData) => ({
  count: s.count,
  statusCodes: s.statusCodes,
  latency: encodeHistogram(s.latency),
});

export function toShardFile(
  plan: { shard?: Shard | null; totalConnections: number; expectations: LoadExpectations },
  data: LoadData,
): ShardFile {
  return {
    kind: KIND,
    version: 1,
    shard: plan.shard ?? null,
    totalConnections: plan.totalConnections,
    expectations: plan.expectations,
    mode: data.mode,
    pacing: data.pacing ?? { kind: 'all-out' },
    url: data.url,
    connections: data.connections,
    startedAt: data.startedAt,
    finishedAt: data.finishedAt,
    durationSeconds: data.durationSeconds,
    rps: data.rps,
    responses: data.responses,
    transportErrors: data.transportErrors,
    timeouts: data.timeouts,
    closed: data.closed ?? 0,
    abandoned: data.abandoned,
    latencyUnit: 'us',
    instances: Object.fromEntries(Object.entries(data.instances).map(([id, s]) => [id, encodeSlot(s)])),
    unattributed: encodeSlot(data.unattributed),
    ...(data.sticky ? { sticky: data.sticky } : {}),
  };
}

const decodeSlot = (s: z.infer<typeof Slot>, where: string): InstanceData => {
  let latency;
  try {
    latency = decodeHistogram(s.latency);
  } catch {
    throw new UsageError(`${where}: latency histogram is not a valid HDR base64 encoding`);
  }
  if (latency.totalCount !== s.count)
    throw new UsageError(`${where}: histogram holds ${latency.totalCount} values but count is ${s.count}`);
  return { count: s.count, statusCodes: s.statusCodes, latency };
};

export function fromShardFile(raw: unknown, source: string): LoadPart {
  const parsed = ShardFileSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UsageError(
      `${source}: not a parity load shard file (${i?.path.join('.') || 'root'}: ${i?.message})`,
    );
  }
  const f = parsed.data;
  const { weights, ...rest } = f.expectations;
  return {
    shard: f.shard,
    totalConnections: f.totalConnections,
    expectations: { ...rest, ...(weights ? { weights } : {}) },
    data: {
      mode: f.mode,
      pacing: f.pacing ?? { kind: 'all-out' },
      url: f.url,
      connections: f.connections,
      startedAt: f.startedAt,
      finishedAt: f.finishedAt,
      durationSeconds: f.durationSeconds,
      rps: f.rps,
      responses: f.responses,
      transportErrors: f.transportErrors,
      timeouts: f.timeouts,
      closed: f.closed ?? 0,
      abandoned: f.abandoned,
      instances: Object.fromEntries(
        Object.entries(f.instances).map(([id, s]) => [id, decodeSlot(s, `${source}: instances.${id}`)]),
      ),
      unattributed: decodeSlot(f.unattributed, `${source}: unattributed`),
      ...(f.sticky ? { sticky: f.sticky } : {}),
      runs: 1,
    },
  };
}

export function writeShardFile(path: string, file: ShardFile): void {
  writeOutputSync(path, JSON.stringify(file) + '\n');
}

export async function readShardFile(path: string): Promise<LoadPart> {
  const text = (await readUserFile(path, { what: 'shard part' })).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`${path}: not JSON`);
  }
  return fromShardFile(raw, path);
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

function addSlot(into: InstanceData | undefined, from: InstanceData): InstanceData {
  const out = into ?? { count: 0, statusCodes: {}, latency: newHistogram() };
  out.count += from.count;
  addCounts(out.statusCodes, from.statusCodes);
  out.latency.add(from.latency);
  return out;
}

/**
 * The exact sum of the parts: counts add, histograms add (so percentiles are those of all
 * responses together). The parts must be the complete set of shards of one run.
 */
export function mergeParts(parts: { part: LoadPart; source: string }[]): LoadPart {
  if (parts.length === 0) throw new UsageError('load merge: give at least one shard file');
  const [first] = parts;
  const key = (p: LoadPart) =>
    JSON.stringify([
      p.data.mode,
      p.data.pacing?.kind ?? 'all-out',
      p.data.url,
      p.totalConnections,
      p.shard?.count ?? 1,
      p.expectations,
    ]);
  for (const { part, source } of parts) {
    if (key(part) !== key(first.part))
      throw new UsageError(
        `${source}: not a shard of the same run as ${first.source} (mode, pacing, URL, connections, shard count or thresholds differ)`,
      );
  }
  const count = first.part.shard?.count ?? 1;
  const seen = new Map<number, string>();
  for (const { part, source } of parts) {
    const index = part.shard?.index ?? 1;
    const dup = seen.get(index);
    if (dup) throw new UsageError(`${source}: shard ${index}/${count} given twice (also ${dup})`);
    seen.set(index, source);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length)
    throw new UsageError(`load merge: missing shard ${missing.map((i) => `${i}/${count}`).join(', ')}`);

  const datas = parts.map((p) => p.part.data);
  const instances: Record<string, InstanceData> = {};
  let unattributed: InstanceData | undefined;
  for (const d of datas) {
    for (const [id, s] of Object.entries(d.instances)) instances[id] = addSlot(instances[id], s);
    unattributed = addSlot(unattributed, d.unattributed);
  }
  let sticky: StickyData | undefined;
  if (datas[0].sticky) {
    sticky = { clients: 0, clientsWithCookie: 0, pinned: {}, violations: 0, clientsWithViolations: 0 };
    for (const d of datas) {
      const s = d.sticky!;
      sticky.clients += s.clients;
      sticky.clientsWithCookie += s.clientsWithCookie;
      sticky.violations += s.violations;
      sticky.clientsWithViolations += s.clientsWithViolations;
      addCounts(sticky.pinned, s.pinned);
    }
  }
  const sum = (f: (d: LoadData) => number) => datas.reduce((s, d) => s + f(d), 0);
  const startedAt = datas.map((d) => d.startedAt).sort()[0];
  const finishedAt = datas
    .map((d) => d.finishedAt)
    .sort()
    .at(-1)!;
  return {
    shard: null,
    totalConnections: first.part.totalConnections,
    expectations: first.part.expectations,
    data: {
      mode: datas[0].mode,
      pacing: mergePacing(datas.map((d) => d.pacing ?? { kind: 'all-out' })),
      url: datas[0].url,
      connections: sum((d) => d.connections),
      startedAt,
      finishedAt,
      // Shards run side by side: the run lasts as long as its longest shard; its rate is their sum.
      durationSeconds: Math.max(...datas.map((d) => d.durationSeconds)),
      rps: Math.round(sum((d) => d.rps) * 10) / 10,
      responses: sum((d) => d.responses),
      transportErrors: sum((d) => d.transportErrors),
      timeouts: sum((d) => d.timeouts),
      closed: sum((d) => d.closed ?? 0),
      abandoned: sum((d) => d.abandoned),
      instances: Object.fromEntries(Object.entries(instances).sort(([a], [b]) => a.localeCompare(b))),
      unattributed: unattributed!,
      ...(sticky ? { sticky } : {}),
      runs: sum((d) => d.runs),
    },
  };
}

/** Shards of a fixed-rate run each ran their share of the rate: the whole run's rate is the sum. */
function mergePacing(all: Pacing[]): Pacing {
  if (all.some((p) => p.kind !== 'fixed-rate')) return { kind: 'all-out' };
  const rates = all as Extract<Pacing, { kind: 'fixed-rate' }>[];
  const seconds = Math.max(...rates.map((p) => p.perSecond.length));
  return {
    kind: 'fixed-rate',
    rate: rates.reduce((s, p) => s + p.rate, 0),
    perSecond: Array.from({ length: seconds }, (_, i) =>
      rates.reduce((s, p) => s + (p.perSecond[i] ?? 0), 0),
    ),
  };
}
