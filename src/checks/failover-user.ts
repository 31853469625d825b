// The drill's user: a fresh client (its own cookie jar) that does the first part of its work
// pinned to one instance and the rest after that instance was taken away. Without journeys in
// the config, the work is the session probe's write (before) and read (after).
import { randomBytes } from 'node:crypto';
import { assertMethodAllowed, CookieJar, send, type HttpResponse } from '../http/client.js';
import { extract, urlOf } from '../http/identity.js';
import { getPointer } from '../http/json-pointer.js';
import { buildRequest, fill } from '../http/request-spec.js';
import type { RequestSpec } from '../config/schema.js';
import { timeoutFor, withRetries } from './budget.js';
import type { TargetContext } from '../contract/target.js';

/** One request of the user, for the evidence (no cookie or token in it). */
export interface DrillStep {
  phase: 'before' | 'after';
  name: string;
  method: string;
  path: string;
  status: number;
  instance: string | null;
  ms: number;
  ok: boolean;
  tries?: number;
  detail?: string;
}

/** What the user's work after the failover showed. `null`: not tested (nothing to test it with). */
export interface AfterOutcome {
  session: { survived: boolean; detail: string };
  data: { survived: boolean; detail: string } | null;
}

export interface DrillUser {
  jar: CookieJar;
  marker: string;
  /** Sign in (where configured) and do the first part of the work, pinned by the jar's sticky cookie. */
  before(): Promise<DrillStep[]>;
  /** The rest of the work, wherever the jar's cookies now lead. */
  after(): Promise<{ steps: DrillStep[]; outcome: AfterOutcome }>;
}

const is2xx = (s: number) => s >= 200 && s < 300;

/** The instance that answered, when the identity is a response header (else null). */
export function answeredBy(ctx: TargetContext, res: HttpResponse): string | null {
  return 'header' in ctx.app.identity ? (extract(ctx.app.identity, res) ?? null) : null;
}

/** A request of the user; reads may be retried, writes are sent once. */
export async function userRequest(
  ctx: TargetContext,
  spec: RequestSpec,
  vars: Record<string, string>,
  headers: Record<string, string>,
  jar: CookieJar,
): Promise<HttpResponse> {
  assertMethodAllowed(ctx.env, spec.method, ctx.allowProductionWrites);
  const req = buildRequest(spec, vars, headers);
  const go = (timeoutMs: number) =>
    send(urlOf(ctx, req.path), { method: req.method, headers: req.headers, body: req.body, jar, timeoutMs });
  return req.method === 'GET' || req.method === 'HEAD' ? withRetries(ctx, go) : go(timeoutFor(ctx));
}

/** The session user: app.session.login, then write (before); read, which must hold the marker (after). */
export function sessionUser(ctx: TargetContext, jar = new CookieJar()): DrillUser {
  const s = ctx.app.session;
  const marker = `parity-drill-${randomBytes(6).toString('hex')}`;
  const vars = { marker };
  const headers: Record<string, string> = {};
  const step = async (phase: DrillStep['phase'], name: string, spec: RequestSpec) => {
    const res = await userRequest(ctx, spec, vars, headers, jar);
    const rec: DrillStep = {
      phase,
      name,
      method: spec.method,
      path: spec.path,
      status: res.status,
      instance: answeredBy(ctx, res),
      ms: Math.round(res.ms),
      ok: is2xx(res.status),
    };
    return { res, rec };
  };
  return {
    jar,
    marker,
    async before() {
      const steps: DrillStep[] = [];
      if (s.login) {
        const { res, rec } = await step('before', 'login', s.login);
        steps.push(rec);
        if (!rec.ok)
          throw new Error(`login failed: ${s.login.method} ${s.login.path} answered ${res.status}`);
        if (s.login.token) {
          let token: unknown;
          try {
            token = getPointer(JSON.parse(res.body), s.login.token);
          } catch {
            token = undefined;
          }
          if (typeof token !== 'string' || !token)
            throw new Error(`login failed: no token at ${s.login.token}`);
          headers.authorization = `Bearer ${token}`;
        }
      }
      const { res, rec } = await step('before', 'session write', s.write);
      steps.push(rec);
      if (!rec.ok) {
        throw new Error(`session write failed: ${s.write.method} ${s.write.path} answered ${res.status}`);
      }
      const cookies = await jar.getCookies(ctx.env.url);
      if (!headers.authorization && !cookies.some((c) => c.key === s.cookie)) {
        throw new Error(`session write set no session cookie "${s.cookie}"`);
      }
      return steps;
    },
    async after() {
      const { res, rec } = await step('after', 'session read', s.read);
      const want = s.read.contains === undefined ? undefined : fill(s.read.contains, vars);
      const holds = want === undefined || res.body.includes(want);
      const survived = rec.ok && holds;
      rec.ok = survived;
      const where = rec.instance ?? 'the other instance';
      const detail = !rec.ok
        ? !is2xx(res.status)
          ? `${s.read.method} ${s.read.path} answered ${res.status} through ${where}`
          : `the marker written before the failover is missing when read through ${where}`
        : `the marker written before the failover was read back through ${where}`;
      rec.detail = detail;
      return { steps: [rec], outcome: { session: { survived, detail }, data: null } };
    },
  };
}
