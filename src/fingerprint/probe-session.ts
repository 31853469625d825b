import { randomBytes } from 'node:crypto';
import type { RequestSpec } from '../config/schema.js';
import type { TargetContext } from '../contract/target.js';
import { firstLine } from '../errors.js';
import { assertMethodAllowed, CookieJar, send } from '../http/client.js';
import { urlOf } from '../http/identity.js';
import { getPointer } from '../http/json-pointer.js';
import { buildRequest } from '../http/request-spec.js';
import { sidOf } from '../redis/session-key.js';

// A session created on purpose (staging only) so the session TTL can be observed where no user
// has left one. It goes through the ALB with the configured login/write requests, so the app
// stores it exactly as it stores a user's.

async function request(
  ctx: TargetContext,
  spec: RequestSpec,
  jar: CookieJar,
  marker: string,
  token?: string,
) {
  assertMethodAllowed(ctx.env, spec.method, ctx.allowProductionWrites);
  const req = buildRequest(spec, { marker }, token ? { authorization: `Bearer ${token}` } : {});
  const res = await send(urlOf(ctx, req.path), {
    method: req.method,
    headers: req.headers,
    body: req.body,
    jar,
  });
  if (res.status >= 400) throw new Error(`${spec.method} ${spec.path} answered ${res.status}`);
  return res;
}

/** The sid of a new session, or a reason it could not be made. Never for role: production. */
export async function createProbeSession(
  ctx: TargetContext,
): Promise<{ sid: string; cookie: string } | { reason: string }> {
  if (ctx.env.role === 'production') return { reason: 'production is only read, never written' };
  const session = ctx.app.session;
  const marker = `parity-fingerprint-${randomBytes(4).toString('hex')}`;
  const jar = new CookieJar();
  try {
    let token: string | undefined;
    if (session.login) {
      const res = await request(ctx, session.login, jar, marker);
      if (session.login.token) {
        const t = getPointer(JSON.parse(res.body), session.login.token);
        if (typeof t === 'string') token = t;
      }
    }
    await request(ctx, session.write, jar, marker, token);
  } catch (err) {
    return { reason: `creating a probe session failed: ${firstLine(err)}` };
  }
  const cookies = await jar.getCookies(ctx.env.url);
  const value = cookies.find((c) => c.key === session.cookie)?.value;
  if (!value) return { reason: `the session write set no ${session.cookie} cookie (app.session.cookie)` };
  return { sid: sidOf(value), cookie: `${session.cookie}=${value}` };
}
