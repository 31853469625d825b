import { Agent, errors, FormData, request, type Dispatcher } from 'undici';
import { CookieJar } from 'tough-cookie';
import { HttpError, HttpTimeoutError, UsageError } from '../errors.js';
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

/** Closes the shared pool (end of a run), so no socket keeps the process alive. */
export function closeHttp(): Promise<void> {
  return agent.close();
}

/** One HTTP request with a deadline and a capped body; network failures become one-line HttpErrors. */
export async function send(url: string, opts: SendOptions = {}): Promise<HttpResponse> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.jar) {
    const cookie = await opts.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
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
    throw networkError(url, err, timeoutMs);
  }
  const bytes = await readCapped(res.body, opts.maxBodyBytes ?? DEFAULT_MAX_BODY, url, timeoutMs);
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
    throw networkError(url, err, timeoutMs);
  }
  return Buffer.concat(chunks);
}

/** The error of a failed request: a timeout is its own kind (see HttpTimeoutError). */
function networkError(url: string, err: unknown, timeoutMs: number): HttpError {
  const line = describeNetworkError(url, err, timeoutMs);
  return isTimeout(err) ? new HttpTimeoutError(line) : new HttpError(line);
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
    const why = e.cause?.message ?? e.message;
    return `${host}: TLS error${why ? `: ${why}` : ''}${code && code !== why ? ` (${code})` : ''}`;
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
