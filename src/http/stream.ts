// One request whose answer is read as it arrives (a text/event-stream chat): every event with
// the time it was read, and when the stream ended. Bounded in time (maxMs for the whole
// stream), size and events, like every other request: a stream that never ends is cut, not
// waited for.
import { request, type Dispatcher } from 'undici';
import type { CookieJar } from 'tough-cookie';
import { HttpError } from '../errors.js';
import { networkError, sharedAgent, type HttpResponse, type SendOptions } from './client.js';
import { SseParser, type SseEvent } from './sse.js';

interface TimedEvent extends SseEvent {
  /** ms after the request was sent. */
  atMs: number;
  /** Which read of the body completed it (0-based). */
  read: number;
}

export interface StreamResponse extends HttpResponse {
  events: TimedEvent[];
  /** ms after the request was sent: the stream ended (or was cut, see `ended`). */
  endMs: number;
  /** false: cut at maxMs, maxEvents or maxBytes before the server ended it. */
  ended: boolean;
  /** How many reads the body took. */
  reads: number;
}

export interface StreamOptions extends Omit<SendOptions, 'timeoutMs' | 'maxBodyBytes'> {
  jar?: CookieJar;
  /** The whole exchange, headers to end. */
  maxMs: number;
  maxEvents?: number;
  maxBytes?: number;
}

const DEFAULT_MAX_EVENTS = 1000;
const DEFAULT_MAX_BYTES = 1024 * 1024;

export async function sendStream(url: string, opts: StreamOptions): Promise<StreamResponse> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
  if (opts.jar) {
    const cookie = await opts.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
  }
  const started = performance.now();
  const since = () => performance.now() - started;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.maxMs);
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body: opts.body,
      dispatcher: sharedAgent(),
      headersTimeout: opts.maxMs,
      bodyTimeout: opts.maxMs,
      signal: abort.signal,
    });
  } catch (err) {
    clearTimeout(timer);
    throw await networkError(url, method, err, opts.maxMs);
  }
  const raw = res.headers['set-cookie'];
  const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (opts.jar) for (const c of setCookies) await opts.jar.setCookie(c, url, { ignoreError: true });
  const parser = new SseParser();
  const events: TimedEvent[] = [];
  const chunks: Buffer[] = [];
  const maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let size = 0;
  let reads = 0;
  let ended = true;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const at = since();
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      for (const e of parser.push(decoder.decode(chunk, { stream: true })))
        events.push({ ...e, atMs: Math.round(at), read: reads });
      reads++;
      if (events.length >= maxEvents || size > maxBytes) {
        ended = false;
        break;
      }
    }
  } catch (err) {
    // Cut at maxMs: what arrived until then is the answer (the judge says it did not end).
    if (!abort.signal.aborted) {
      clearTimeout(timer);
      const e = await networkError(url, method, err, opts.maxMs);
      throw e instanceof HttpError ? e : new HttpError(String(err));
    }
    ended = false;
  } finally {
    clearTimeout(timer);
    if (!ended) res.body.destroy();
  }
  const endMs = Math.round(since());
  const bytes = Buffer.concat(chunks);
  return {
    status: res.statusCode,
    headers: res.headers,
    body: bytes.toString('utf8'),
    bytes,
    ms: endMs,
    setCookies,
    events,
    endMs,
    ended,
    reads,
  };
}
