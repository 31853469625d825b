// One journey user and its steps, reusable by the journey checks and the failover drill:
// a fresh cookie jar (the app's session cookie and the LB's sticky cookies), the configured
// login, a way to move the user to another instance without sending a step twice, and one
// step sent on whatever instance the user is pinned to now (repeated only when it declares
// settleSeconds).
import { isDeepStrictEqual } from 'node:util';
import { unresolvedLogin } from '../../config/deferred.js';
import type { JourneyStep } from '../../config/schema.js';
import { assertMethodAllowed, CookieJar, type HttpResponse } from '../../http/client.js';
import { getPointer } from '../../http/json-pointer.js';
import { fill } from '../../http/request-spec.js';
import { DeadlineError, firstLine, HttpError, UsageError } from '../../errors.js';
import { withRedis } from '../../redis/client.js';
import { deleteProbeKey, sessionKey, sidOf } from '../../redis/session-key.js';
import { pastDeadline, probe } from '../budget.js';
import { newMarker } from '../marker.js';
import { sleep } from '../../util.js';
import type { TargetContext } from '../../contract/target.js';
import { answeredBy, holdsSticky, logIn, sendSpec, withoutSticky } from '../user-requests.js';
import { addRuntimeSecret, REDACTED, scrubText } from '../../secrets.js';
import { captureAll } from './capture.js';
import { sendStreamStep, streamRecord, unmetStream, type StreamRecord } from './stream.js';

/** A virtual user. `jar` and `headers` hold secrets (session cookie, bearer token): never put them in evidence. */
export interface JourneyUser {
  jar: CookieJar;
  /** Unique per user; fills `{marker}` in requests and expectations. */
  marker: string;
  vars: Record<string, string>;
  /** Sent with every step (the bearer token after a token login). */
  headers: Record<string, string>;
  /** The instance the user is on now, as the last answer that revealed it said. */
  instance?: string;
  /** Values its steps captured (also in `vars`): secrets, never recorded. */
  captured: Set<string>;
}

/** `text` with the user's captured values and every known secret replaced: safe for evidence. */
export function hideSecrets(user: Pick<JourneyUser, 'captured'>, text: string): string {
  let out = text;
  // Like the process's own secrets, values shorter than 4 characters ("42") are left alone:
  // replacing them would mangle ordinary numbers and words.
  const values = [...user.captured].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
  for (const v of values) out = out.split(v).join(REDACTED);
  return scrubText(out);
}

/** The configured login was refused: the user cannot start (the check reports it as an error). */
class LoginFailed extends Error {}

/**
 * A fresh user: one harmless GET that tells which instance answered (its sticky cookie pins
 * the user there), then the login when app.session.login is configured.
 */
export async function newJourneyUser(ctx: TargetContext): Promise<JourneyUser> {
  const marker = newMarker();
  const user: JourneyUser = {
    jar: new CookieJar(),
    marker,
    vars: { marker },
    headers: {},
    captured: new Set(),
  };
  // A login whose ${VAR}s are unset was deferred (src/config/deferred.ts): this run uses it.
  const noLogin = unresolvedLogin(ctx.config);
  if (noLogin) throw new UsageError(noLogin);
  const login = ctx.app.session.login;
  // The production interlock before anything is sent.
  if (login) assertMethodAllowed(ctx.env, login.method, ctx.allowProductionWrites);
  user.instance = (await probe(ctx, user.jar)).instance;
  if (login) {
    const r = await logIn(ctx, login, { jar: user.jar, vars: user.vars });
    if (!r.ok) throw new LoginFailed(r.detail);
    if (r.authorization) user.headers.authorization = r.authorization;
    user.instance = answeredBy(ctx, r.res) ?? user.instance;
  }
  return user;
}

export interface OtherInstance {
  /** The instance found (undefined: every try answered from `notInstance` or without identity). */
  instance?: string;
  /** Whether the user now holds a sticky cookie that pins it to `instance`. */
  pinned: boolean;
  /** Where each try landed. */
  landed: (string | undefined)[];
}

/**
 * Move the user to another instance than `notInstance` with harmless GETs: each try drops only
 * the LB's sticky cookies (the app's are kept) so the LB picks afresh, until another instance
 * answers; the user then keeps the sticky cookie that answer set, which pins it there. Bounded
 * in tries and time. The LB re-issues its cookie on every answer, so no value is compared.
 */
export async function findOtherInstance(
  ctx: TargetContext,
  user: JourneyUser,
  notInstance: string | undefined,
  opts: { maxTries?: number; maxMs?: number } = {},
): Promise<OtherInstance> {
  const maxTries = opts.maxTries ?? 10;
  const until = Date.now() + (opts.maxMs ?? 10_000);
  const landed: (string | undefined)[] = [];
  while (landed.length < maxTries && Date.now() < until && !pastDeadline(ctx)) {
    const jar = await withoutSticky(ctx, user.jar);
    const p = await probe(ctx, jar);
    landed.push(p.instance);
    if (p.instance === undefined || p.instance === notInstance) continue;
    if (!(await holdsSticky(ctx, jar))) return { instance: p.instance, pinned: false, landed };
    user.jar = jar;
    user.instance = p.instance;
    return { instance: p.instance, pinned: true, landed };
  }
  if (landed.length === 0) {
    throw new DeadlineError(`run deadline reached before another instance of ${ctx.name} was looked for`);
  }
  return { pinned: false, landed };
}

export interface StepOutcome {
  /** Who answered the last try (undefined: no identity in the answer and no known pinning). */
  instance: string | undefined;
  /** HTTP status of the last try; null when it could not be sent. */
  status: number | null;
  /** Latency of the last try. */
  latencyMs: number;
  tries: number;
  /** A retried step that passed: from its first try to the passing answer. 0: passed at once; null: did not pass. */
  lagMs: number | null;
  ok: boolean;
  /** One line: what was expected and what came back (or "ok"). */
  reason: string;
  /** The step's settle window (s), when it declared one. */
  settleSeconds?: number;
  /** The run's deadline (the check's share of it) ended the settle window early. */
  cutShort?: boolean;
  /** A step with a settle window: how long it actually waited, first try to last answer (ms). */
  waitedMs?: number;
  /** Other instances that answered earlier tries (a settle retry should stay put). */
  alsoAnsweredFrom?: string[];
  /** A failed step: a short, redacted excerpt of the app's own answer. */
  answer?: string;
  /** Names of the values the step captured (never the values). */
  captured?: string[];
  /** expect.stream: how the events arrived. */
  stream?: StreamRecord;
  /** Epoch ms of the first try's start and of the last answer. */
  startedAt: number;
  finishedAt: number;
}

type Expect = JourneyStep['expect'];

/** The app's own message in a JSON answer: message/error/detail, also one level down ({"error": {"message": …}}). */
function messageOf(doc: unknown): string | undefined {
  if (!doc || typeof doc !== 'object') return undefined;
  const o = doc as Record<string, unknown>;
  for (const k of ['message', 'error', 'detail', 'msg', 'error_description']) {
    const v = o[k];
    if (typeof v === 'string' && v.trim()) return v;
    const inner = v && typeof v === 'object' ? messageOf(v) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/**
 * A short, one-line excerpt of an answer for a diagnosis, in the app's own words: its
 * message/error/detail field when it is JSON with one, else the first non-blank line of
 * text (an HTML page's title). Bounded; callers redact it (hideSecrets).
 */
export function answerExcerpt(body: string, max = 160): string {
  let text: string | undefined;
  try {
    text = messageOf(JSON.parse(body));
  } catch {
    // not JSON
  }
  if (text === undefined && /^\s*</.test(body)) {
    text = /<title[^>]*>([^<]*)<\/title>/i.exec(body.slice(0, 64 * 1024))?.[1];
  }
  text ??= body.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  // Scrubbed before it is cut: an app that echoes a secret must not leak even part of it.
  text = scrubText(text).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Why an answer does not meet the step's expectation; undefined when it does. Pure. */
export function unmet(
  expect: Expect,
  res: Pick<HttpResponse, 'status' | 'body'>,
  vars: Record<string, string>,
): string | undefined {
  const statusOk =
    expect.status === undefined ? res.status >= 200 && res.status < 300 : res.status === expect.status;
  const excerpt = () => {
    const e = answerExcerpt(res.body);
    return e ? `: ${e}` : '';
  };
  if (!statusOk) return `answered ${res.status} (expected ${expect.status ?? '2xx'})${excerpt()}`;
  if (expect.contains !== undefined) {
    const want = fill(expect.contains, vars);
    if (!res.body.includes(want)) return `answered ${res.status} without "${want}"${excerpt()}`;
  }
  if (expect.json) {
    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      return `answered ${res.status} with a body that is not JSON`;
    }
    for (const [pointer, value] of Object.entries(expect.json)) {
      const want = typeof value === 'string' ? fill(value, vars) : value;
      const got = getPointer(doc, pointer);
      // The app's own message, when it gave one ({"success": false, "message": "No data found…"}).
      const said = messageOf(doc);
      if (!isDeepStrictEqual(got, want))
        return `answered ${res.status} with ${pointer} = ${JSON.stringify(got) ?? 'nothing'} (expected ${JSON.stringify(want)})${said ? `: ${answerExcerpt(res.body)}` : ''}`;
    }
  }
  return undefined;
}

const SETTLE_FIRST_PAUSE_MS = 250;
// A retry is started only with this much of the deadline left after its pause: one sent at
// the deadline's edge would fail with "run deadline reached" instead of the step's own reason.
const TRY_RESERVE_MS = 1000;
const SETTLE_MAX_PAUSE_MS = 1000;

/**
 * Send one step on the instance the user is pinned to now (the caller decides the pinning).
 * A step that declares settleSeconds is repeated, with the same cookies (so on the same
 * instance), while its expectation fails, until that time is spent; any other step is sent
 * exactly once. Never throws for what the app answers; the production interlock and the run's
 * deadline do throw.
 */
export async function runStep(
  ctx: TargetContext,
  user: JourneyUser,
  step: JourneyStep,
  opts: { once?: boolean } = {},
): Promise<StepOutcome> {
  assertMethodAllowed(ctx.env, step.request.method, ctx.allowProductionWrites);
  const settleMs = (step.settleSeconds ?? 0) * 1000;
  const startedAt = Date.now();
  const seen = new Set<string>();
  let pause = SETTLE_FIRST_PAUSE_MS;
  for (let tries = 1; ; tries++) {
    const pinned = (await holdsSticky(ctx, user.jar)) ? user.instance : undefined;
    let status: number | null = null;
    let latencyMs = 0;
    let instance = pinned;
    let reason: string | undefined;
    let answer: string | undefined;
    let stream: StreamRecord | undefined;
    let captured: string[] | undefined;
    try {
      const a = await attempt(ctx, user, step, opts.once);
      ({ status, reason, answer, stream, captured } = a);
      latencyMs = a.latencyMs;
      if (a.instance !== undefined) instance = user.instance = a.instance;
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      reason = `request failed: ${err.message}`;
    }
    if (reason !== undefined) reason = hideSecrets(user, reason);
    const finishedAt = Date.now();
    const base = {
      instance,
      status,
      latencyMs,
      tries,
      startedAt,
      finishedAt,
      ...(step.settleSeconds !== undefined
        ? { settleSeconds: step.settleSeconds, waitedMs: finishedAt - startedAt }
        : {}),
      ...(seen.size > 0 && [...seen].some((i) => i !== instance)
        ? { alsoAnsweredFrom: [...seen].filter((i) => i !== instance) }
        : {}),
      ...(captured?.length ? { captured } : {}),
      ...(stream ? { stream } : {}),
      ...(reason !== undefined && answer ? { answer } : {}),
    };
    if (instance !== undefined) seen.add(instance);
    if (reason === undefined) {
      return { ...base, ok: true, lagMs: tries === 1 ? 0 : finishedAt - startedAt, reason: 'ok' };
    }
    const spent = finishedAt - startedAt;
    const left = Math.min(settleMs - spent, ctx.deadline - finishedAt - TRY_RESERVE_MS - pause);
    if (left <= 0) {
      const cutShort = settleMs > 0 && spent < settleMs;
      return { ...base, ok: false, lagMs: null, reason, ...(cutShort ? { cutShort } : {}) };
    }
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 1.5, SETTLE_MAX_PAUSE_MS);
  }
}

interface Attempt {
  status: number;
  latencyMs: number;
  instance: string | undefined;
  reason?: string;
  answer?: string;
  stream?: StreamRecord;
  captured?: string[];
}

/**
 * One try of a step: sent (read as a stream when it expects one), judged, and on success its
 * captures stored in the user's vars (registered as secrets of the run). A capture that finds
 * nothing fails the step, naming the capture.
 */
async function attempt(
  ctx: TargetContext,
  user: JourneyUser,
  step: JourneyStep,
  once?: boolean,
): Promise<Attempt> {
  const opts = { jar: user.jar, vars: user.vars, headers: user.headers, once };
  const want = step.expect.stream;
  let res: HttpResponse;
  let stream: StreamRecord | undefined;
  if (want) {
    const s = await sendStreamStep(ctx, step, want, opts);
    res = s;
    stream = streamRecord(s);
  } else {
    res = (await sendSpec(ctx, step.request, opts)).res;
  }
  const base = {
    status: res.status,
    latencyMs: Math.round(res.ms),
    instance: answeredBy(ctx, res),
    ...(stream ? { stream } : {}),
  };
  const excerpt = () => hideSecrets(user, answerExcerpt(res.body)) || undefined;
  const reason =
    unmet(step.expect, res, user.vars) ?? (want && stream ? unmetStream(want, stream) : undefined);
  if (reason !== undefined) return { ...base, reason, answer: excerpt() };
  const cookies = Object.fromEntries(
    (await user.jar.getCookies(ctx.env.url)).map((c) => [c.key, c.value] as const),
  );
  const got = captureAll(step.capture, res, cookies);
  if (!got.ok) return { ...base, reason: `answered ${res.status}, but ${got.reason}`, answer: excerpt() };
  for (const [name, value] of Object.entries(got.values)) {
    user.vars[name] = value;
    user.captured.add(value);
    addRuntimeSecret(value);
  }
  const names = Object.keys(got.values);
  return { ...base, ...(names.length ? { captured: names } : {}) };
}

export interface SessionCleanup {
  /** Session keys parity deleted from the environment's Redis. */
  deleted?: number;
  /** Why the cleanup did not happen (production, no redis config, an error); the check is unaffected. */
  skipped?: string;
}

/**
 * Delete the users' sessions from the environment's Redis when they are done, like the session
 * probe does: never on production (the keys are left to their TTL there). Best effort: a Redis
 * problem is reported, not thrown. Files the app stored for them stay where the app put them.
 */
export async function forgetSessions(ctx: TargetContext, users: JourneyUser[]): Promise<SessionCleanup> {
  const redis = ctx.env.redis;
  if (ctx.env.role === 'production') return { skipped: 'production: sessions are left to their TTL' };
  if (!redis) return { skipped: `environment ${ctx.name} has no redis config` };
  const keys = new Set<string>();
  for (const user of users) {
    const cookie = (await user.jar.getCookies(ctx.env.url)).find((c) => c.key === ctx.app.session.cookie);
    if (cookie) keys.add(sessionKey(ctx.app.session.redisKey, sidOf(cookie.value)));
  }
  if (keys.size === 0) return { deleted: 0 };
  try {
    return await withRedis(redis.url, async (client) => {
      let deleted = 0;
      for (const key of keys) if (await deleteProbeKey(client, ctx.env, key)) deleted++;
      return { deleted };
    });
  } catch (err) {
    return { skipped: firstLine(err) };
  }
}
