// A step's `expect.stream`: the answer is a text/event-stream whose events reach the user as
// the app sends them. A proxy or load balancer that buffers the stream (or an idle timeout
// shorter than the app's first event) breaks a chat while every status check passes.
import type { JourneyStep, StepExpect } from '../../config/schema.js';
import type { CookieJar } from '../../http/client.js';
import { urlOf } from '../../http/identity.js';
import { buildRequest } from '../../http/request-spec.js';
import { sendStream, type StreamResponse } from '../../http/stream.js';
import type { TargetContext } from '../../contract/target.js';
import { timeoutFor } from '../budget.js';

export type StreamExpect = NonNullable<StepExpect['stream']>;

/** What the evidence keeps of a stream (times in ms after the request was sent). */
export interface StreamRecord {
  contentType: string | null;
  events: number;
  firstEventMs: number | null;
  lastEventMs: number | null;
  endMs: number;
  /** false: cut at its time bound (maxSeconds) or size bound before the app ended it. */
  ended: boolean;
  /** The first event was read before the stream ended (null: no event, or the stream was cut). */
  incremental: boolean | null;
}

/**
 * The first event must come at least this long before the end for the stream to count as
 * incremental: a buffered stream hands every event over in the same read as its end.
 */
const INCREMENTAL_GAP_MS = 10;

export function streamRecord(res: StreamResponse): StreamRecord {
  const ct = res.headers['content-type'];
  const first = res.events[0];
  const last = res.events.at(-1);
  // Cut before its end with an event read: that event came before the end.
  const incremental = !first ? null : !res.ended ? true : res.endMs - first.atMs >= INCREMENTAL_GAP_MS;
  return {
    contentType: (Array.isArray(ct) ? ct[0] : ct) ?? null,
    events: res.events.length,
    firstEventMs: first?.atMs ?? null,
    lastEventMs: last?.atMs ?? null,
    endMs: res.endMs,
    ended: res.ended,
    incremental,
  };
}

/** Why a stream does not meet `want`; undefined when it does. Pure. */
export function unmetStream(want: StreamExpect, s: StreamRecord): string | undefined {
  if (!s.contentType || !/^text\/event-stream\b/i.test(s.contentType))
    return `answered with content-type ${s.contentType ?? '(none)'}, not text/event-stream`;
  const within = s.ended ? 'before the stream ended' : `within ${(s.endMs / 1000).toFixed(1)} s (cut there)`;
  if (s.firstEventMs === null) return `no event ${within} (expected at least ${want.minEvents})`;
  if (want.firstEventMs !== undefined && s.firstEventMs > want.firstEventMs)
    return `first event after ${s.firstEventMs} ms (expected within ${want.firstEventMs} ms): an idle timeout shorter than that cuts the user's stream`;
  if (want.incremental && s.incremental === false)
    return `the stream was buffered: all ${s.events} events arrived at ${s.firstEventMs} ms, together with the end of the stream at ${s.endMs} ms (none read before it ended): the app, a proxy or the load balancer holds the events until the end`;
  if (s.events < want.minEvents) return `${s.events} events ${within} (expected at least ${want.minEvents})`;
  return undefined;
}

/** Send a stream step with the user's cookies, reading at most maxSeconds (within the deadline). */
export function sendStreamStep(
  ctx: TargetContext,
  step: Pick<JourneyStep, 'request'>,
  want: StreamExpect,
  opts: { jar: CookieJar; vars: Record<string, string>; headers?: Record<string, string> },
): Promise<StreamResponse> {
  const req = buildRequest(step.request, opts.vars, opts.headers);
  return sendStream(urlOf(ctx, req.path), {
    method: req.method,
    headers: req.headers,
    body: req.body,
    jar: opts.jar,
    maxMs: timeoutFor(ctx, want.maxSeconds * 1000),
  });
}
