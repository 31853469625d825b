// Sticky routing through the ALB: the first answer sets the sticky cookie, a client that
// keeps its cookies stays on one instance, and fresh clients still spread out. The cookie's
// value is encrypted and changes on every answer on a real ALB: never compared, never recorded.
import { Cookie } from 'tough-cookie';
import { CookieJar } from '../http/client.js';
import { probe } from './budget.js';
import { timed } from '../contract/result.js';
import { distinct, formatTally, identitySource, NO_IDENTITY, tally } from './sample.js';
import type { CheckResultOf } from '../contract/result.js';
import type { EvidenceById } from '../contract/evidence.js';
import type { TargetContext } from '../contract/target.js';

/** A Set-Cookie header's name and attributes; the value is left out on purpose. */
export interface CookieAttributes {
  name: string;
  path?: string;
  domain?: string;
  expires?: string;
  maxAge?: number | string;
  secure: boolean;
  httpOnly: boolean;
  sameSite?: string;
}

export function cookieAttributes(setCookie: string): CookieAttributes | undefined {
  const c = Cookie.parse(setCookie, { loose: true });
  if (!c) return undefined;
  return {
    name: c.key,
    ...(c.path ? { path: c.path } : {}),
    ...(c.domain ? { domain: c.domain } : {}),
    ...(c.expires instanceof Date ? { expires: c.expires.toISOString() } : {}),
    ...(c.maxAge !== null && c.maxAge !== undefined ? { maxAge: c.maxAge } : {}),
    secure: c.secure,
    httpOnly: c.httpOnly,
    ...(c.sameSite ? { sameSite: c.sameSite } : {}),
  };
}

/** The sticky cookie's name and the ALB's companion (AWSALB → AWSALBCORS). */
export function stickyNames(ctx: TargetContext): string[] {
  const name = ctx.app.sticky.cookie;
  return [name, `${name}CORS`];
}

export function stickyCookie(ctx: TargetContext): Promise<CheckResultOf<'sticky.cookie'>> {
  return timed(stickyCookie.id, ctx.name, async () => {
    const name = ctx.app.sticky.cookie;
    const first = await probe(ctx);
    const cookies = first.response.setCookies
      .map(cookieAttributes)
      .filter((c): c is CookieAttributes => c !== undefined);
    const sticky = cookies.find((c) => c.name === name);
    const evidence: EvidenceById['sticky.cookie'] = {
      cookie: name,
      instance: first.instance ?? NO_IDENTITY,
      setCookies: cookies.filter((c) => stickyNames(ctx).includes(c.name)),
      otherCookieNames: cookies.map((c) => c.name).filter((n) => !stickyNames(ctx).includes(n)),
    };
    if (!sticky) {
      const names = cookies.map((c) => c.name);
      return {
        status: 'fail',
        diagnosis: `the first answer through the ALB set no ${name} cookie (cookies set: ${names.length ? names.join(', ') : 'none'}): stickiness looks disabled`,
        evidence,
      };
    }
    const attrs = [
      sticky.path && `Path=${sticky.path}`,
      sticky.maxAge !== undefined && `Max-Age=${sticky.maxAge}`,
      sticky.expires && `Expires=${sticky.expires}`,
      sticky.secure && 'Secure',
      sticky.httpOnly && 'HttpOnly',
      sticky.sameSite && `SameSite=${sticky.sameSite}`,
    ].filter(Boolean);
    return {
      status: 'pass',
      diagnosis: `the first answer set ${name} (${attrs.join('; ') || 'no attributes'})`,
      evidence,
    };
  });
}
stickyCookie.id = 'sticky.cookie' as const;

/** Show a long sequence as its first entries and a count. */
function sequence(ids: (string | undefined)[], max = 8): string {
  const shown = ids.slice(0, max).map((i) => i ?? NO_IDENTITY);
  return shown.join(' → ') + (ids.length > max ? ` → … (${ids.length} requests)` : '');
}

/** N consecutive requests with one cookie jar all reach the same instance. */
export function stickyPinning(
  ctx: TargetContext,
  opts: { requests?: number } = {},
): Promise<CheckResultOf<'sticky.pinning'>> {
  return timed(stickyPinning.id, ctx.name, async () => {
    const n = opts.requests ?? 20;
    const jar = new CookieJar();
    const seq: (string | undefined)[] = [];
    for (let i = 0; i < n; i++) seq.push((await probe(ctx, jar)).instance);
    const hasCookie = (await jar.getCookies(ctx.env.url)).some((c) => c.key === ctx.app.sticky.cookie);
    const ids = distinct(seq);
    const evidence: EvidenceById['sticky.pinning'] = {
      requests: n,
      sequence: seq.map((i) => i ?? NO_IDENTITY),
      answers: tally(seq),
      stickyCookieKept: hasCookie,
    };
    if (seq.some((i) => i === undefined)) {
      return {
        status: 'fail',
        diagnosis: `cannot tell instances apart: answers without identity (${identitySource(ctx)}); sequence: ${sequence(seq)}`,
        evidence,
      };
    }
    if (ids.length !== 1) {
      const noCookie = hasCookie ? '' : ` (no ${ctx.app.sticky.cookie} cookie was set)`;
      return {
        status: 'fail',
        diagnosis: `${n} requests with one cookie jar reached ${ids.length} instances${noCookie}: ${sequence(seq)}`,
        evidence,
      };
    }
    return { status: 'pass', diagnosis: `${n} requests with one cookie jar all reached ${ids[0]}`, evidence };
  });
}
stickyPinning.id = 'sticky.pinning' as const;

/** K fresh clients (each its own jar) land on at least two instances. */
export function stickySpread(
  ctx: TargetContext,
  opts: { clients?: number } = {},
): Promise<CheckResultOf<'sticky.spread'>> {
  return timed(stickySpread.id, ctx.name, async () => {
    const k = opts.clients ?? 16;
    const need = Math.min(2, ctx.app.expectedInstances);
    const landed: (string | undefined)[] = [];
    // Four clients at a time: quick on a real ALB, still sequential enough not to load it.
    for (let i = 0; i < k; i += 4) {
      const batch = Array.from({ length: Math.min(4, k - i) }, () => probe(ctx, new CookieJar()));
      for (const p of await Promise.all(batch)) landed.push(p.instance);
    }
    const ids = distinct(landed);
    const evidence: EvidenceById['sticky.spread'] = { clients: k, landed: tally(landed) };
    if (ids.length < need) {
      return {
        status: 'fail',
        diagnosis: `${k} fresh clients landed on ${ids.length === 0 ? 'no identifiable instance' : `only ${ids.join(', ')}`} (${formatTally(tally(landed))}); expected at least ${need} instances`,
        evidence,
      };
    }
    return {
      status: 'pass',
      diagnosis: `${k} fresh clients landed on ${ids.length} instances: ${formatTally(tally(landed))}`,
      evidence,
    };
  });
}
stickySpread.id = 'sticky.spread' as const;
