import { newHistogram, recordMs } from './histogram.js';
import type { InstanceData, StickyData } from './result.js';

// The hot path: every response is attributed to the instance named by the identity header.
// autocannon hands over raw headers as a flat [name, value, ...] array in the server's case.

/** First value of a header in a raw header array; `lowerName` must be lower case. */
export function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  const n = lowerName.length;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.length === n && k.toLowerCase() === lowerName) return raw[i + 1];
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

interface Slot {
  count: number;
  statusCodes: Map<number, number>;
  latency: ReturnType<typeof newHistogram>;
}

const newSlot = (): Slot => ({ count: 0, statusCodes: new Map(), latency: newHistogram() });

/** Per-instance counts, status codes and latency histograms of one run. */
export class Tally {
  readonly byInstance = new Map<string, Slot>();
  readonly unattributed = newSlot();
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
    recordMs(slot.latency, latencyMs);
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
