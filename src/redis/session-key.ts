// Read-only inspection of one session key, and its deletion on non-production targets.
// Only TYPE, TTL, GETRANGE, HGETALL and DEL are used: never KEYS, FLUSH* or CONFIG.
import type { Redis } from 'ioredis';
import type { EnvironmentConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';

const MAX_VALUE_BYTES = 1024 * 1024;

export interface KeyInspection {
  exists: boolean;
  type: string;
  /** Seconds; -1 no expiry, -2 no such key (Redis semantics). */
  ttl: number;
  /** The value's bytes (strings: at most 1 MiB; hashes: fields and values joined). */
  bytes: Buffer;
}

export async function inspectKey(redis: Redis, key: string): Promise<KeyInspection> {
  const type = await redis.type(key);
  if (type === 'none') return { exists: false, type, ttl: -2, bytes: Buffer.alloc(0) };
  const ttl = await redis.ttl(key);
  let bytes: Buffer = Buffer.alloc(0);
  if (type === 'string') bytes = await redis.getrangeBuffer(key, 0, MAX_VALUE_BYTES - 1);
  else if (type === 'hash') {
    const h = await redis.hgetallBuffer(key);
    bytes = Buffer.concat(Object.entries(h).flatMap(([k, v]) => [Buffer.from(k), v]));
  }
  return { exists: true, type, ttl, bytes };
}

/** Delete a probe's own key; refused outright on a production environment. */
export async function deleteProbeKey(redis: Redis, env: EnvironmentConfig, key: string): Promise<boolean> {
  if (env.role === 'production') {
    throw new UsageError('refused: parity never writes to or deletes from a production Redis');
  }
  return (await redis.del(key)) > 0;
}

/** The session id in a cookie value: signed `sid.signature` values carry it before the first '.'. */
export function sidOf(cookieValue: string): string {
  let v = cookieValue;
  try {
    v = decodeURIComponent(cookieValue);
  } catch {
    // not percent-encoded after all: use it as it is
  }
  const dot = v.indexOf('.');
  return dot === -1 ? v : v.slice(0, dot);
}

/** The Redis key of a session, from the configured template (e.g. `chatmrpt:{sid}`). */
export function sessionKey(template: string, sid: string): string {
  return template.replaceAll('{sid}', sid);
}

/** The TTL verdict of app.session.ttlSeconds: 0 < ttl <= configured and ttl >= 0.9 × configured. */
export function ttlProblem(ttl: number, configured: number): string | undefined {
  if (ttl === -2) return 'the key does not exist';
  if (ttl === -1) return `the key has no TTL (never expires; expected ${configured} s)`;
  if (ttl <= 0) return `the key's TTL is ${ttl} s`;
  if (ttl > configured) return `TTL ${ttl} s is longer than the configured ${configured} s`;
  if (ttl < 0.9 * configured) return `TTL ${ttl} s is shorter than the configured ${configured} s`;
  return undefined;
}
