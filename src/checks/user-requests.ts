// A virtual user's requests through the ALB, shared by the session probe, journeys and the
// failover drill: which cookies steer it, who answered, the configured login, one configured
// request sent with the run's bounds.
import type { RequestSpec } from '../config/schema.js';
import { CookieJar, send, type HttpResponse } from '../http/client.js';
import { extract, urlOf } from '../http/identity.js';
import { getPointer } from '../http/json-pointer.js';
import { buildRequest } from '../http/request-spec.js';
import { addRuntimeSecret } from '../secrets.js';
import { timeoutFor, withRetries } from './budget.js';
import { stickyNames } from './sticky.js';
import type { TargetContext } from '../contract/target.js';

/** The same client's cookies without the LB's sticky ones: the ALB then picks an instance afresh. */
export async function withoutSticky(ctx: TargetContext, jar: CookieJar): Promise<CookieJar> {
  const out = new CookieJar();
  const drop = stickyNames(ctx);
  for (const c of await jar.getCookies(ctx.env.url)) {
    if (!drop.includes(c.key)) await out.setCookie(c, ctx.env.url);
  }
  return out;
}

/** Whether the jar holds the LB's sticky cookie (the one that pins the client). */
export async function holdsSticky(ctx: TargetContext, jar: CookieJar): Promise<boolean> {
  return (await jar.getCookies(ctx.env.url)).some((c) => c.key === ctx.app.sticky.cookie);
}

/** Instance identity of any answer, where the identity is a header (else unknown). */
export function answeredBy(ctx: TargetContext, res: HttpResponse): string | undefined {
  return 'header' in ctx.app.identity ? extract(ctx.app.identity, res) : undefined;
}

type Spec = Parameters<typeof buildRequest>[0];

/**
 * Send one configured request with the jar's cookies. Reads (GET/HEAD) may be retried on a
 * refused or reset connection; anything else is sent exactly once.
 */
export async function sendSpec(
  ctx: TargetContext,
  spec: Spec,
  opts: {
    jar: CookieJar;
    vars: Record<string, string>;
    headers?: Record<string, string>;
    /** Sent exactly once, also a GET (a watch: a retry would hide what the user saw). */
    once?: boolean;
  },
): Promise<{ res: HttpResponse; method: string; path: string }> {
  const req = buildRequest(spec, opts.vars, opts.headers);
  const go = (timeoutMs: number) =>
    send(urlOf(ctx, req.path), {
      method: req.method,
      headers: req.headers,
      body: req.body,
      jar: opts.jar,
      timeoutMs,
    });
  const res =
    (req.method === 'GET' || req.method === 'HEAD') && !opts.once
      ? await withRetries(ctx, go)
      : await go(timeoutFor(ctx));
  return { res, method: req.method, path: spec.path };
}

export type LoginResult =
  | {
      ok: true;
      res: HttpResponse;
      /** "Bearer …" when app.session.login.token is set: a secret. */ authorization?: string;
    }
  | { ok: false; res: HttpResponse; detail: string };

/** The configured login (app.session.login), through the jar. */
export async function logIn(
  ctx: TargetContext,
  login: RequestSpec,
  opts: { jar: CookieJar; vars: Record<string, string> },
): Promise<LoginResult> {
  const { res, method } = await sendSpec(ctx, login, opts);
  const what = `${method} ${login.path}`;
  if (res.status < 200 || res.status >= 300) {
    return { ok: false, res, detail: `login failed: ${what} answered ${res.status}` };
  }
  if (!login.token) return { ok: true, res };
  let token: unknown;
  try {
    token = getPointer(JSON.parse(res.body), login.token);
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') {
    return { ok: false, res, detail: `login failed: no token at ${login.token} in the answer of ${what}` };
  }
  // Learnt at run time: known only to this process, which scrubs it from its outputs.
  addRuntimeSecret(token);
  return { ok: true, res, authorization: `Bearer ${token}` };
}
