import { Agent, errors, FormData, request, type Dispatcher } from 'undici';
import { connect } from 'node:net';
import { CookieJar } from 'tough-cookie';
import { HttpError, HttpTimeoutError, UsageError } from '../errors.js';
import { describeTlsError } from '../tls-errors.js';
import { mergeCookieHeader } from './cookie-header.js';
import type { EnvironmentConfig } from '../config/schema.js';

export interface HttpResponse {
  status: number;
  /** Header names in lower case (undici's own). */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's bytes as received (for digests of binary files). */
  bytes?: Buffer;
  /** Time to the whole body, in ms (sub-millisecond resolution). */
  ms: number;
  setCookies: string[];
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | FormData;
  timeoutMs?: number;
  /** Bodies larger than this are cut off and fail: a target cannot make us buffer gigabytes. */
  maxBodyBytes?: number;
  /** Cookies are sent from and stored into this jar (one jar = one virtual client). */
  jar?: CookieJar;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BODY = 1024 * 1024;

// One connection pool for every probe; the LB balances per request, not per connection.
const agent = new Agent({
  connections: 32,
  keepAliveTimeout: 4000,
  connect: { timeout: DEFAULT_TIMEOUT_MS },
});

/** The shared pool, for the other request shapes of this folder (event streams). */
export function sharedAgent(): Agent {
  return agent;
}

/** Closes the shared pool (end of a run), so no socket keeps the process alive. */
export function closeHttp(): Promise<void> {
  return agent.close();
}

/** One HTTP request with a deadline and a capped body; network failures become one-line HttpErrors. */
export async function send(url: string, opts: SendOptions = {}): Promise<HttpResponse> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The config refuses it already (src/config/schema.ts); this holds for every other caller:
  // a body-less GET/HEAD is the only request that may reach production.
  if (READ_ONLY.has((opts.method ?? 'GET').toUpperCase()) && opts.body !== undefined)
    throw new UsageError(
      `refused: a ${opts.method ?? 'GET'} request with a body (${url}); GET and HEAD carry none`,
    );
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.jar) {
    const cookie = await opts.jar.getCookieString(url);
    // The request's own Cookie header (any case) is merged with the jar's, not replaced.
    const own = Object.keys(headers).find((k) => k.toLowerCase() === 'cookie');
    const mine = own === undefined ? undefined : headers[own];
    if (own !== undefined) delete headers[own];
    const merged = mergeCookieHeader(mine, cookie);
    if (merged) headers.cookie = merged;
  }
  const started = performance.now();
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: (opts.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body: opts.body,
      dispatcher: agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw await networkError(url, opts.method ?? 'GET', err, timeoutMs);
  }
  const bytes = await readCapped(
    res.body,
    opts.maxBodyBytes ?? DEFAULT_MAX_BODY,
    url,
    timeoutMs,
    opts.method ?? 'GET',
  );
  const raw = res.headers['set-cookie'];
  const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (opts.jar) for (const c of setCookies) await opts.jar.setCookie(c, url, { ignoreError: true });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: bytes.toString('utf8'),
    bytes,
    ms: performance.now() - started,
    setCookies,
  };
}

async function readCapped(
  body: Dispatcher.ResponseData['body'],
  max: number,
  url: string,
  timeoutMs: number,
  method: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > max) {
        body.destroy();
        throw new HttpError(`${url}: response body larger than ${max} bytes (read capped)`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw await networkError(url, method, err, timeoutMs);
  }
  return Buffer.concat(chunks);
}

/** The error of a failed request: a timeout is its own kind (see HttpTimeoutError). */
export async function networkError(
  url: string,
  method: string,
  err: unknown,
  timeoutMs: number,
): Promise<HttpError> {
  if (isTimeout(err)) return new HttpTimeoutError(describeNetworkError(url, err, timeoutMs));
  return new HttpError(await explainProtocolError(url, method, err, timeoutMs));
}

// undici's parser says only that the answer "does not match the HTTP/1.1 protocol" (or, past
// a bad header, that the body length is wrong): read the raw head once more to name the header.
const PROTOCOL_ERROR = /does not match the HTTP\/1\.1 protocol|body length does not match content-length/i;

async function explainProtocolError(url: string, method: string, err: unknown, timeoutMs: number) {
  const line = describeNetworkError(url, err, timeoutMs);
  const e = err as { message?: string; cause?: { message?: string } };
  if (!PROTOCOL_ERROR.test(`${e.message} ${e.cause?.message}`)) return line;
  // Only a read may be repeated (GET/HEAD: what production allows), and only over plain HTTP.
  if (!/^(GET|HEAD)$/i.test(method) || !url.startsWith('http:')) return line;
  const bad = await badHeaderOf(url, Math.min(timeoutMs, 2000)).catch(() => undefined);
  return bad ? `${safeHost(url)}: ${bad}` : line;
}

/** The first response header with a control character in its raw head, as "invalid response header X: control character (0x01)". */
function badHeaderOf(url: string, timeoutMs: number): Promise<string | undefined> {
  const u = new URL(url);
  return new Promise((resolve) => {
    let head = '';
    const socket = connect(Number(u.port || 80), u.hostname.replace(/^\[|\]$/g, ''));
    const done = (v: string | undefined) => {
      socket.destroy();
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(() => done(scan(head)), timeoutMs);
    socket.on('error', () => done(scan(head)));
    socket.on('connect', () =>
      socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end >= 0 || head.length > 64 * 1024) done(scan(end >= 0 ? head.slice(0, end) : head));
    });
    socket.on('end', () => done(scan(head)));
  });
}

function scan(head: string): string | undefined {
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    // eslint-disable-next-line no-control-regex
    const ctl = /[\u0000-\u0008\u000a-\u001f\u007f]/.exec(line.slice(colon + 1));
    if (ctl) {
      const hex = ctl[0].charCodeAt(0).toString(16).padStart(2, '0');
      return `invalid response header ${line.slice(0, colon).trim().slice(0, 60)}: control character (0x${hex})`;
    }
  }
  return undefined;
}

function isTimeout(err: unknown): boolean {
  const e = err as { name?: string };
  return (
    err instanceof errors.HeadersTimeoutError ||
    err instanceof errors.BodyTimeoutError ||
    err instanceof errors.ConnectTimeoutError ||
    e.name === 'TimeoutError' ||
    e.name === 'AbortError'
  );
}

/** One line naming the cause: refused, DNS, TLS, timeout. */
function describeNetworkError(url: string, err: unknown, timeoutMs: number): string {
  const e = err as {
    code?: string;
    cause?: { code?: string; message?: string };
    name?: string;
    message?: string;
  };
  const code = e.cause?.code ?? e.code ?? '';
  const host = safeHost(url);
  if (code === 'ECONNREFUSED') return `${host}: connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${host}: DNS lookup failed (${code})`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `${host}: connection reset by peer`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${host}: unreachable (${code})`;
  if (
    /CERT|SSL|TLS|ERR_TLS/i.test(code) ||
    /certificate|SSL|TLS/i.test(e.cause?.message ?? e.message ?? '')
  ) {
    return `${host}: ${describeTlsError(code, e.cause?.message ?? e.message ?? '')}`;
  }
  if (isTimeout(err)) {
    return `${host}: timed out after ${timeoutMs} ms`;
  }
  return `${host}: ${e.cause?.message ?? e.message ?? String(err)}`;
}

function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return u.host;
  } catch {
    return url;
  }
}

const READ_ONLY = new Set(['GET', 'HEAD']);

/**
 * The production interlock: a role: production environment only ever receives GET/HEAD,
 * unless the user passed the explicit override.
 */
export function assertMethodAllowed(env: EnvironmentConfig, method: string, override = false): void {
  if (env.role === 'production' && !READ_ONLY.has(method.toUpperCase()) && !override) {
    throw new UsageError(
      `refused: ${method} to a role: production environment (${env.url}); only GET/HEAD are sent to production unless --allow-production-writes is given`,
    );
  }
}

export { CookieJar, FormData };
