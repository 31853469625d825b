import { Cookie } from 'tough-cookie';
import type { TargetContext } from '../contract/target.js';
import { send } from '../http/client.js';
import { headerValue, probeInstance, urlOf } from '../http/identity.js';
import { durationBucket } from './buckets.js';
import { numbered } from './normalize.js';
import type { Identifier, Sample, Scalar } from './types.js';

// The HTTP plane, through the ALB, GET only: the health answer's shape (keys and value types,
// not values) and status, response header names (values only for security headers), cookies
// with their attributes, and the version each instance runs.

/** Headers whose values are policy, so they are compared; all others only by presence. */
const SECURITY_HEADERS = new Set([
  'strict-transport-security',
  'content-security-policy',
  'content-security-policy-report-only',
  'x-frame-options',
  'x-content-type-options',
  'x-xss-protection',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
  'cross-origin-embedder-policy',
  'cross-origin-resource-policy',
  'access-control-allow-origin',
  'access-control-allow-credentials',
]);

/** Keys and JSON types of a value: {"a":{"b":1}} → {"x.a.b": "number"}. Arrays by element types. */
export function jsonShape(
  value: unknown,
  base: string,
  out: Record<string, Scalar> = {},
): Record<string, Scalar> {
  if (Array.isArray(value)) {
    const types = [
      ...new Set(value.map((v) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v))),
    ].sort();
    out[base] = `array<${types.join('|') || 'empty'}>`;
    const firstObject = value.find((v) => v && typeof v === 'object' && !Array.isArray(v));
    if (firstObject) jsonShape(firstObject, `${base}[]`, out);
  } else if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) out[base] = 'object<empty>';
    for (const [k, v] of entries) jsonShape(v, `${base}.${k}`, out);
  } else {
    out[base] = value === null ? 'null' : typeof value;
  }
  return out;
}

/** "Path=/; Max-Age≤7d; SameSite=None; Secure; HttpOnly": the attributes, never the value. */
export function describeCookie(
  setCookie: string,
  responseDate: string | undefined,
): { name: string; text: string } | null {
  const c = Cookie.parse(setCookie, { loose: true });
  if (!c) return null;
  const parts: string[] = [];
  if (c.domain) parts.push(`Domain=${c.domain}`);
  parts.push(`Path=${c.path ?? '(default)'}`);
  if (typeof c.maxAge === 'number') parts.push(`Max-Age${durationBucket(c.maxAge)}`);
  else if (c.expires instanceof Date) {
    const base = responseDate ? Date.parse(responseDate) : Date.now();
    parts.push(
      `Expires${durationBucket(Math.round((c.expires.getTime() - (Number.isNaN(base) ? Date.now() : base)) / 1000))}`,
    );
  } else parts.push('session');
  const sameSite = /;\s*samesite\s*=\s*([^;]*)/i.exec(setCookie)?.[1]?.trim();
  if (sameSite) parts.push(`SameSite=${sameSite[0].toUpperCase()}${sameSite.slice(1).toLowerCase()}`);
  if (c.secure) parts.push('Secure');
  if (c.httpOnly) parts.push('HttpOnly');
  return { name: c.key, text: parts.join('; ') };
}

export async function httpSample(ctx: TargetContext): Promise<Sample> {
  const fields: Record<string, Scalar> = {};
  const raw: Record<string, Scalar> = {};
  const unknown: Record<string, string> = {};
  const host = new URL(ctx.env.url).host;
  const identifiers: Identifier[] = [{ value: host, placeholder: '<alb-host>' }];

  const health = await send(urlOf(ctx, ctx.app.health.path), { method: 'GET' });
  fields['http.health.status'] = health.status;
  try {
    Object.assign(fields, jsonShape(JSON.parse(health.body), 'http.health.json'));
  } catch {
    fields['http.health.json'] =
      `(not JSON: ${headerValue(health.headers, 'content-type') ?? 'no content-type'})`;
  }
  for (const [name, value] of Object.entries(health.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'set-cookie' || value === undefined) continue;
    fields[`http.headers.${lower}`] = SECURITY_HEADERS.has(lower)
      ? (Array.isArray(value) ? value : [value]).join(', ')
      : 'present';
  }
  const date = headerValue(health.headers, 'date');
  for (const sc of health.setCookies) {
    const c = describeCookie(sc, date);
    if (c) fields[`http.cookies.${c.name}`] = c.text;
  }

  // Which instances answer, and which version each runs: fresh requests without cookies, so
  // the ALB balances them; bounded, and stops once every expected instance has been seen.
  const expected = ctx.app.expectedInstances;
  const versions = new Map<string, string | undefined>();
  for (let i = 0; i < Math.min(4 * expected, 16) && versions.size < expected; i++) {
    const p = await probeInstance(ctx);
    if (p.instance !== undefined) versions.set(p.instance, p.version ?? versions.get(p.instance));
  }
  if (versions.size === 0) {
    const why = `no instance identity in the answers (app.identity)`;
    return { fields, raw, unknown: { 'http.instances': why, 'http.versions': why }, identifiers };
  }
  fields['http.instances.seen'] = versions.size;
  identifiers.push(...numbered(versions.keys(), 'instance'));
  const known = [...versions.values()].filter((v): v is string => v !== undefined);
  if (known.length) {
    fields['http.versions'] = [...new Set(known)].sort().join(', ');
    raw['http.versions'] = [...versions.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, v]) => `${id}=${v ?? '?'}`)
      .join(', ');
  } else {
    unknown['http.versions'] = 'the identity request does not reveal the version (app.version)';
  }
  return { fields, raw, unknown, identifiers };
}
