import { newHistogram, toUs } from './histogram.js';
import type { InstanceData, StickyData } from './result.js';

// The hot path: every response is attributed to the instance named by the identity header.
// autocannon hands over raw headers as a flat [name, value, ...] array in the server's case.

/** First value of a header in a raw header array; `lowerName` must be lower case. */
export function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  const n = lowerName.length;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    // Most servers send it in lower case: compare first, and copy it lower-cased only if not.
    if (k.length === n && (k === lowerName || k.toLowerCase() === lowerName)) return raw[i + 1];
  }
  return undefined;
}

/** Value of cookie `name` from the Set-Cookie headers of a raw header array. */
export function setCookieValue(raw: readonly string[], name: string): string | undefined {
  const prefix = name + '=';
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.length !== 10 || k.toLowerCase() !== 'set-cookie') continue;
    const v = raw[i + 1].trimStart();
    if (!v.startsWith(prefix)) continue;
    const end = v.indexOf(';');
    return v.slice(prefix.length, end < 0 ? undefined : end).trim();
  }
  return undefined;
}

/**
 * Latencies wait in a small buffer per slot and enter the HDR histogram a batch at a time.
 * Recorded one by one, between socket reads, the histogram's index math (Math.log2 and
 * Math.pow, calls out of the JIT code) ran cold every time: 0.6 µs a response in a profile
 * (bench/load-profile.ts), 0.14–0.18 µs in batches.
 */
const BATCH = 512;

interface Slot {
  count: number;
  statusCodes: Map<number, number>;
  latency: ReturnType<typeof newHistogram>;
  /** Latencies (µs) not yet in `latency`: the first `pendingCount`. */
  pending: Float64Array;
  pendingCount: number;
}

const newSlot = (): Slot => ({
  count: 0,
  statusCodes: new Map(),
  latency: newHistogram(),
  pending: new Float64Array(BATCH),
  pendingCount: 0,
});

function flush(slot: Slot): void {
  for (let i = 0; i < slot.pendingCount; i++) slot.latency.recordValue(slot.pending[i]);
  slot.pendingCount = 0;
}

/** Per-instance counts, status codes and latency histograms of one run. */
export class Tally {
  // Private: a slot's histogram lacks its pending batch until instances() or unattributedData() flush it.
  private readonly byInstance = new Map<string, Slot>();
  private readonly unattributed = newSlot();
  responses = 0;
  transportErrors = 0;
  timeouts = 0;
  /** Requests whose connection closed before any response (part of transportErrors). */
  closed = 0;

  record(instance: string | undefined, status: number, latencyMs: number): void {
    let slot = this.unattributed;
    if (instance !== undefined) {
      slot = this.byInstance.get(instance) ?? newSlot();
      if (slot.count === 0) this.byInstance.set(instance, slot);
    }
    this.responses++;
    slot.count++;
    slot.statusCodes.set(status, (slot.statusCodes.get(status) ?? 0) + 1);
    slot.pending[slot.pendingCount++] = toUs(latencyMs);
    if (slot.pendingCount === BATCH) flush(slot);
  }

  /** Responses so far per instance (for progress lines). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const id of [...this.byInstance.keys()].sort()) out[id] = this.byInstance.get(id)!.count;
    return out;
  }

  instances(): Record<string, InstanceData> {
    const out: Record<string, InstanceData> = {};
    for (const [id, s] of [...this.byInstance].sort(([a], [b]) => a.localeCompare(b))) out[id] = dataOf(s);
    return out;
  }

  unattributedData(): InstanceData {
    return dataOf(this.unattributed);
  }
}

function dataOf(s: Slot): InstanceData {
  flush(s);
  return {
    count: s.count,
    statusCodes: Object.fromEntries([...s.statusCodes].map(([k, v]) => [String(k), v])),
    latency: s.latency,
  };
}

/** One virtual client of a sticky run: its cookie, the instance it is pinned to, and any hops. */
export class StickyClient {
  cookie: string | undefined;
  pinned: string | undefined;
  violations = 0;

  observe(instance: string | undefined): void {
    if (instance === undefined) return;
    if (this.pinned === undefined) this.pinned = instance;
    else if (instance !== this.pinned) this.violations++;
  }
}

export function stickySummary(clients: readonly StickyClient[]): StickyData {
  const pinned: Record<string, number> = {};
  let violations = 0;
  let clientsWithViolations = 0;
  for (const c of clients) {
    if (c.pinned !== undefined) pinned[c.pinned] = (pinned[c.pinned] ?? 0) + 1;
    violations += c.violations;
    if (c.violations > 0) clientsWithViolations++;
  }
  return {
    clients: clients.length,
    clientsWithCookie: clients.filter((c) => c.cookie !== undefined).length,
    pinned: Object.fromEntries(Object.entries(pinned).sort(([a], [b]) => a.localeCompare(b))),
    violations,
    clientsWithViolations,
  };
}
