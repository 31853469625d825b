// The traffic of `parity watch`: steady sticky users through the ALB, each with its own cookie
// jar (and, on staging, its own session holding a marker), plus one cookie-less "new user" the
// load balancer spreads over every instance (it sees each instance stop and answer again).
// Every request is sent once: a retry would hide exactly what the watch is there to see.
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { assertMethodAllowed, CookieJar, send } from '../http/client.js';
import { probeInstance } from '../http/identity.js';
import { buildRequest } from '../http/request-spec.js';
import { ErrorCode, firstLine, hasCode } from '../errors.js';
import { sleep } from '../util.js';
import { answeredBy, logIn } from './user-requests.js';
import type { TargetContext } from '../contract/target.js';

/** One request as a user saw it. `user` -1: the cookie-less new user. */
export interface WatchSample {
  user: number;
  /** ms since the watch started, when it was sent. */
  t: number;
  kind: 'identity' | 'session';
  instance?: string;
  version?: string;
  status?: number;
  /** No answer: refused, reset, timeout (with the one-line cause). */
  error?: string;
  /** Session reads: the marker was there. */
  sessionOk?: boolean;
}

export interface WatchTrafficOptions {
  users: number;
  /** Requests per second, all users together. */
  rate: number;
  /** Session writes (the marker), login and session reads with it: staging only. */
  writes: boolean;
  signal: AbortSignal;
  /** Hard bound of the whole watch, ms. */
  maxMs: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  onSample?: (s: WatchSample) => void;
}

export const NEW_USER = -1;
/** Every how many of a user's requests one is a session read. */
const SESSION_EVERY = 5;

/** Run the users until the signal aborts (or maxMs); the samples in the order they ended. */
export async function watchTraffic(ctx: TargetContext, o: WatchTrafficOptions): Promise<WatchSample[]> {
  const samples: WatchSample[] = [];
  // Every user waits on the signal at once (one listener each, removed after its wait).
  setMaxListeners(o.users + 10, o.signal);
  const t0 = performance.now();
  const now = () => Math.round(performance.now() - t0);
  const end = t0 + o.maxMs;
  const live = () => !o.signal.aborted && performance.now() < end;
  const push = (s: WatchSample) => {
    samples.push(s);
    o.onSample?.(s);
  };
  // The new user takes one share of the rate, each sticky user another.
  const periodMs = Math.max(5, ((o.users + 1) / o.rate) * 1000);
  const timeoutMs = o.timeoutMs ?? 3000;

  const identity = async (user: number, jar: CookieJar | undefined): Promise<void> => {
    const t = now();
    try {
      const p = await probeInstance(ctx, { jar, timeoutMs });
      push({
        user,
        t,
        kind: 'identity',
        instance: p.instance,
        version: p.version,
        status: p.response.status,
      });
    } catch (err) {
      push({ user, t, kind: 'identity', error: errorKind(err) });
    }
  };

  const sticky = async (user: number): Promise<void> => {
    await sleep((periodMs * user) / (o.users + 1)); // spread the users over one period
    const jar = new CookieJar();
    const marker = `parity${randomBytes(6).toString('hex')}`;
    const vars = { marker };
    const headers: Record<string, string> = {};
    let hasMarker = false;
    if (o.writes && live())
      hasMarker = await startSession(ctx, user, jar, vars, headers, now, push, timeoutMs);
    for (let i = 0; live(); i++) {
      const next = performance.now() + periodMs;
      if (hasMarker && i % SESSION_EVERY === SESSION_EVERY - 1) {
        await sessionRead(ctx, user, jar, vars, headers, now, push, timeoutMs);
      } else await identity(user, jar);
      await pause(next - performance.now(), o.signal);
    }
  };

  const fresh = async (): Promise<void> => {
    while (live()) {
      const next = performance.now() + periodMs;
      await identity(NEW_USER, undefined);
      await pause(next - performance.now(), o.signal);
    }
  };

  await Promise.all([fresh(), ...Array.from({ length: o.users }, (_, i) => sticky(i + 1))]);
  return samples;
}

type Push = (s: WatchSample) => void;

/** Log in (when configured) and write the user's marker into its session; true when it took. */
async function startSession(
  ctx: TargetContext,
  user: number,
  jar: CookieJar,
  vars: Record<string, string>,
  headers: Record<string, string>,
  now: () => number,
  push: Push,
  timeoutMs: number,
): Promise<boolean> {
  const s = ctx.app.session;
  const t = now();
  try {
    assertMethodAllowed(ctx.env, s.write.method, ctx.allowProductionWrites);
    if (s.login) {
      const login = await logIn(ctx, s.login, { jar, vars });
      if (!login.ok) {
        push({ user, t, kind: 'session', status: login.res.status, instance: answeredBy(ctx, login.res) });
        return false;
      }
      if (login.authorization) headers.authorization = login.authorization;
    }
    const req = buildRequest(s.write, vars, headers);
    const res = await send(ctx.env.url.replace(/\/$/, '') + req.path, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      jar,
      timeoutMs,
    });
    const ok = res.status >= 200 && res.status < 300;
    push({ user, t, kind: 'session', status: res.status, instance: answeredBy(ctx, res), sessionOk: ok });
    return ok;
  } catch (err) {
    push({ user, t, kind: 'session', error: errorKind(err) });
    return false;
  }
}

async function sessionRead(
  ctx: TargetContext,
  user: number,
  jar: CookieJar,
  vars: Record<string, string>,
  headers: Record<string, string>,
  now: () => number,
  push: Push,
  timeoutMs: number,
): Promise<void> {
  const spec = ctx.app.session.read;
  const t = now();
  try {
    const req = buildRequest(spec, vars, headers);
    const res = await send(ctx.env.url.replace(/\/$/, '') + req.path, {
      method: req.method,
      headers: req.headers,
      jar,
      timeoutMs,
    });
    const want = (spec.contains ?? '{marker}').replaceAll('{marker}', vars.marker);
    push({
      user,
      t,
      kind: 'session',
      status: res.status,
      instance: answeredBy(ctx, res),
      version:
        'header' in ctx.app.version
          ? res.headers[ctx.app.version.header.toLowerCase()]?.toString()
          : undefined,
      sessionOk: res.status >= 200 && res.status < 300 ? res.body.includes(want) : undefined,
    });
  } catch (err) {
    push({ user, t, kind: 'session', error: errorKind(err) });
  }
}

/** "timeout", "refused", "reset" or the one-line cause: what the user got instead of an answer. */
function errorKind(err: unknown): string {
  if (hasCode(err, ErrorCode.HttpTimeout)) return 'timeout';
  const line = firstLine(err);
  if (/ECONNREFUSED|refused/i.test(line)) return 'refused';
  if (/ECONNRESET|socket hang up|other side closed|reset|closed/i.test(line)) return 'reset';
  return line;
}

export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((done) => {
    const onAbort = () => {
      clearTimeout(timer);
      done();
    };
    // Removed when the timer fires: one listener per pause would pile up on the shared signal.
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
