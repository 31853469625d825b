import type { EventEmitter } from 'node:events';
// Not the global: Node defines it as a getter, which a fixed-rate run called for every response.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { CannotRunError } from '../errors.js';
import { rawHeader, setCookieValue, StickyClient, stickySummary, Tally } from './attribution.js';
import type { LoadData } from './result.js';
import { round } from '../util.js';

// The autocannon driver: C connections for D seconds, every response attributed to an
// instance. At D the connections drain (no new request; in-flight ones complete), so the
// counts equal what the load balancer forwarded. A hard stop bounds the drain.
//
// Two ways to load. All-out (the default): each connection sends its next request as soon as
// the last one is answered. Fixed rate (overallRate R): autocannon's own pacing, R requests
// in each 1-s window spread over the connections (each connection sends its share of a
// window back to back, then waits for the next window), and at most R x D requests in all
// (fewer only if the windows slipped: the run still drains at D).
//
// The driver keeps its own tallies (per instance, µs HDR), so autocannon's per-request
// bookkeeping (status map, whole-ms WASM histogram, request total, all discarded:
// skipAggregateResult) is unhooked from each client: it cost as much again as the
// attribution, and a second listener on an event makes every emit of it copy the listener
// list (docs/performance.md).

export interface DriverOptions {
  /** Full URL (load balancer + path). */
  url: string;
  connections: number;
  durationSeconds: number;
  /** Response header naming the instance (any case on the wire). */
  identityHeader: string;
  /** Sticky virtual clients: each connection keeps the cookie its first response set. */
  sticky?: { cookie: string };
  /**
   * Fixed rate: requests per second over all connections (autocannon's overallRate; it opens
   * at most R connections). Latencies are service times from each request's
   * actual send (autocannon's coordinated-omission correction is off: it is wrong with a
   * rate), not the delay a fixed schedule would see.
   */
  overallRate?: number;
  /** Per-request timeout (s). */
  requestTimeoutSeconds?: number;
  onProgress?: (p: Progress) => void;
  /** Drain early (as at the end of the duration) once this aborts; the duration stays the upper bound. */
  stop?: AbortSignal;
}

export interface Progress {
  elapsedSeconds: number;
  responses: number;
  /** Responses in the last second. */
  rate: number;
  transportErrors: number;
  perInstance: Record<string, number>;
}

/**
 * The events a client emits for every request. autocannon's own listeners on them only feed
 * its result (status map, WASM histogram, request total), which the driver does not use.
 */
const PER_REQUEST_EVENTS = ['response', 'request'] as const;

/** What the driver reaches inside autocannon's Client (v9): the `amount` option's own stop, and its parser. */
interface ClientInternals {
  reqsMade: number;
  responseMax?: number;
  destroyed: boolean;
  /** http-parser-js's parser: its hooks are properties keyed by the constants on its class. */
  parser: Record<number, (info: HeadersInfo) => unknown> & {
    constructor: { kOnHeadersComplete: number };
  };
}

/**
 * Calls `read` with each response's headers, just before the client's own hook (which emits
 * them as 'headers', then keeps them for its response). A 'headers' listener would cost a
 * dispatch per response that bare autocannon does not make.
 */
function onHeadersComplete(client: ClientInternals, read: (info: HeadersInfo) => void): void {
  const { parser } = client;
  const k = parser.constructor.kOnHeadersComplete;
  // autocannon sets it on each parser; http-parser-js's prototype has a no-op of its own.
  if (!Object.hasOwn(parser, k)) throw new CannotRunError('autocannon: no parser headers hook found');
  const own = parser[k];
  // The hook's result tells the parser whether to skip the body: it stays the client's own.
  parser[k] = (info) => {
    read(info);
    return own(info);
  };
}

/** The parser's header info (http-parser-js), as autocannon's client receives it. */
interface HeadersInfo {
  headers: string[];
  statusCode: number;
}

export async function runLoad(opts: DriverOptions): Promise<LoadData> {
  const { durationSeconds, overallRate: rate } = opts;
  if (!Number.isInteger(opts.connections) || opts.connections < 1 || !(durationSeconds > 0))
    throw new RangeError(
      `runLoad: needs connections >= 1 and a duration > 0 (got ${opts.connections}, ${durationSeconds})`,
    );
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= 1))
    throw new RangeError(`runLoad: overallRate must be a whole number >= 1 (got ${rate})`);
  // autocannon opens no more connections than requests per second.
  const connections = rate === undefined ? opts.connections : Math.min(opts.connections, rate);
  const requestTimeout = opts.requestTimeoutSeconds ?? 10;
  const idHeader = opts.identityHeader.toLowerCase();
  const cookieName = opts.sticky?.cookie;
  const tally = new Tally();
  const clients: (autocannon.Client & ClientInternals)[] = [];
  const stickyClients: StickyClient[] = [];
  /** What each client needs once autocannon has finished building it (after setupClient). */
  const afterBuild: (() => void)[] = [];
  let finishedClients = 0;
  let sent = 0;
  let drainedAt = 0;
  let onDrained: () => void = () => {};
  const drained = new Promise<void>((r) => (onDrained = r));
  /** Our per-request listeners: every other one (autocannon's own) is unhooked. */
  const ours = new Set<unknown>();
  /** Fixed rate: responses in each second since the start (the evidence that the rate held). */
  const perSecond: number[] = [];
  let t0 = 0;
  let lastResponseAt = 0;

  const setupClient = (client: autocannon.Client) => {
    const index = clients.length;
    clients.push(client as autocannon.Client & ClientInternals);
    // Fixed rate: this connection's share of R per window, for D seconds (autocannon's split),
    // so the run sends at most R x D requests, never a window's worth more at the end.
    if (rate !== undefined)
      (client as autocannon.Client & ClientInternals).responseMax = Math.max(
        1,
        Math.round(shareOf(rate, connections, index) * durationSeconds),
      );
    const sticky = cookieName === undefined ? undefined : new StickyClient();
    if (sticky) stickyClients.push(sticky);
    let instance: string | undefined;
    // One request in flight per connection (pipelining 1). autocannon reconnects silently when
    // the server closes the connection and sends the request again: a request while one is
    // still in flight means that one got no response.
    let inflight = false;
    // A timeout reconnects (and so re-sends) before autocannon emits 'timeout': the loss just
    // counted as closed is then reclassified in the same tick.
    let lossJustCounted = false;
    const onRequest = () => {
      sent++;
      if (inflight) {
        tally.transportErrors++;
        tally.closed++;
        lossJustCounted = true;
        queueMicrotask(() => (lossJustCounted = false));
      }
      inflight = true;
    };
    ours.add(onRequest);
    client.on('request' as never, onRequest);
    // Named, as the listeners, so that a profile (bench/load-profile.ts) names them.
    const onHeaders = (info: HeadersInfo) => {
      instance = rawHeader(info.headers, idHeader);
      if (sticky && sticky.cookie === undefined && cookieName !== undefined) {
        const value = setCookieValue(info.headers, cookieName);
        if (value !== undefined) {
          sticky.cookie = value;
          // Kept in the client's request itself: autocannon resets `context` every loop.
          client.setHeaders({ cookie: `${cookieName}=${value}` });
        }
      }
    };
    const onResponse = (status: number, _bytes: number, ms: number) => {
      inflight = false;
      tally.record(instance, status, ms);
      sticky?.observe(instance);
      instance = undefined;
      if (rate !== undefined) {
        lastResponseAt = performance.now();
        const s = Math.floor((lastResponseAt - t0) / 1000);
        perSecond[s] = (perSecond[s] ?? 0) + 1;
      }
    };
    ours.add(onResponse);
    client.on('response', onResponse);
    client.on('connError' as never, () => {
      inflight = false;
      tally.transportErrors++;
    });
    client.on('timeout' as never, () => {
      if (lossJustCounted) {
        lossJustCounted = false;
        tally.closed--;
      } else {
        inflight = false;
        tally.transportErrors++;
      }
      tally.timeouts++;
    });
    client.on('done' as never, () => {
      if (++finishedClients === connections) {
        drainedAt = performance.now();
        onDrained();
      }
    });
    afterBuild.push(() => {
      unhookForeign(client, PER_REQUEST_EVENTS, ours);
      onHeadersComplete(client as autocannon.Client & ClientInternals, onHeaders);
    });
  };

  const startedAt = new Date();
  t0 = performance.now();
  const drainGraceMs = (requestTimeout + 1) * 1000;
  let instance: autocannon.Instance | undefined;
  const finishedByAutocannon = new Promise<void>((resolve, reject) => {
    try {
      instance = autocannon(
        {
          url: opts.url,
          connections,
          // A backstop only: the driver drains at durationSeconds and stops hard after the grace.
          duration: durationSeconds + drainGraceMs / 1000 + 2,
          timeout: requestTimeout,
          pipelining: 1,
          setupClient,
          skipAggregateResult: true,
          ...(rate !== undefined ? { overallRate: rate, ignoreCoordinatedOmission: true } : {}),
        } as autocannon.Options,
        (err) => (err ? reject(err) : resolve()),
      );
      // The clients exist now (autocannon builds them synchronously; their first requests are
      // written, but no response can be parsed before this returns): unhook its own
      // bookkeeping, and read each response's headers where the parser hands them over.
      for (const f of afterBuild) f();
    } catch (err) {
      reject(err);
    }
  });
  finishedByAutocannon.catch(() => {});

  const timers: NodeJS.Timeout[] = [];
  let abandoned = 0;
  let last = 0;
  if (opts.onProgress) {
    const progress = opts.onProgress;
    timers.push(
      setInterval(() => {
        progress({
          elapsedSeconds: (performance.now() - t0) / 1000,
          responses: tally.responses,
          rate: tally.responses - last,
          transportErrors: tally.transportErrors,
          perInstance: tally.counts(),
        });
        last = tally.responses;
      }, 1000),
    );
  }
  // At the end of the duration: each connection finishes its in-flight request, then stops.
  const drain = () => {
    for (const c of clients) if (!c.destroyed) c.responseMax = Math.max(1, c.reqsMade);
  };
  timers.push(setTimeout(drain, durationSeconds * 1000));
  if (opts.stop?.aborted) drain();
  else opts.stop?.addEventListener('abort', drain, { once: true });
  // Connections that have not drained within the grace are cut (their requests are lost).
  timers.push(
    setTimeout(
      () => {
        abandoned = clients.filter((c) => !c.destroyed).length;
        instance?.stop();
      },
      durationSeconds * 1000 + drainGraceMs,
    ),
  );
  let hardTimer: NodeJS.Timeout | undefined;
  const hardStop = new Promise<never>((_, reject) => {
    hardTimer = setTimeout(
      () => reject(new CannotRunError(`load run did not stop within ${durationSeconds} s + grace`)),
      durationSeconds * 1000 + drainGraceMs + 5000,
    );
  });
  try {
    await Promise.race([drained, hardStop, finishedByAutocannon.then(() => drained)]);
  } catch (err) {
    instance?.stop();
    throw err instanceof CannotRunError
      ? err
      : new CannotRunError(`load run failed: ${(err as Error).message}`);
  } finally {
    for (const t of timers) clearTimeout(t);
    clearTimeout(hardTimer);
    opts.stop?.removeEventListener('abort', drain);
  }
  // Every client is done; let autocannon release its timers.
  instance?.stop();
  // The events above already count each request lost to a closed connection, a connection
  // error or a timeout; any request sent that still has no outcome (none of those events came)
  // is counted here once, as closed. Each abandoned connection may hold one request still in
  // flight, not lost.
  const unaccounted = Math.max(0, sent - tally.responses - tally.transportErrors - abandoned);
  tally.transportErrors += unaccounted;
  tally.closed += unaccounted;

  // A fixed-rate schedule spans D seconds, or up to its last response if that came later (a
  // connection that has sent its last window's share only closes at the next window).
  const durationS =
    rate === undefined ? (drainedAt - t0) / 1000 : Math.max(durationSeconds, (lastResponseAt - t0) / 1000);
  return {
    mode: cookieName === undefined ? 'distribution' : 'sticky',
    pacing:
      rate === undefined
        ? { kind: 'all-out' }
        : { kind: 'fixed-rate', rate, perSecond: Array.from(perSecond, (n) => n ?? 0) },
    url: opts.url,
    connections,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: round(durationS, 3),
    rps: round(tally.responses / durationS, 1),
    responses: tally.responses,
    transportErrors: tally.transportErrors,
    timeouts: tally.timeouts,
    closed: tally.closed,
    instances: tally.instances(),
    unattributed: tally.unattributedData(),
    ...(cookieName === undefined ? {} : { sticky: stickySummary(stickyClients) }),
    abandoned,
    runs: 1,
  };
}

/** Removes each listener on `events` that is not one of `ours`. */
export function unhookForeign(
  emitter: EventEmitter,
  events: readonly string[],
  ours: ReadonlySet<unknown>,
): void {
  for (const event of events)
    for (const l of emitter.listeners(event))
      if (!ours.has(l)) emitter.removeListener(event, l as (...args: unknown[]) => void);
}

/** Connection i's share of n over c connections (autocannon's own split of overallRate). */
const shareOf = (n: number, c: number, i: number) => Math.floor(n / c) + (i + 1 <= n % c ? 1 : 0);
