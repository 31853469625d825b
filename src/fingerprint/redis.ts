import type { Redis } from 'ioredis';
import { CannotRunError, firstLine } from '../errors.js';
import { connectRedis, describeRedisError } from '../redis/client.js';
import { deleteProbeKey } from '../redis/session-key.js';
import type { TargetContext } from '../contract/target.js';
import { durationBucket } from './buckets.js';
import { createProbeSession } from './probe-session.js';
import type { Sample, Scalar } from './types.js';

// The session plane, read-only: INFO (version, mode, eviction policy, cluster; ElastiCache
// forbids CONFIG) and the TTL of a few live session keys found by a bounded SCAN. Never KEYS,
// FLUSH*, CONFIG or any write. Where no session exists, staging gets one made through the app
// (createProbeSession) and DEL'd once its TTL is read; production is never written, so its
// TTL is then "unknown".

const SCAN_CALLS = 20;
const SCAN_COUNT = 200;
const KEYS_WANTED = 5;

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/** The session keys of the config's redisKey template ("chatmrpt:{sid}"), not other keys under the prefix. */
export function sessionKeyPattern(template: string): {
  match: string;
  isSession: (key: string) => boolean;
  keyOf: (sid: string) => string;
} {
  const [prefix, suffix = ''] = template.split('{sid}');
  return {
    match: `${globEscape(prefix)}*${globEscape(suffix)}`,
    // A sid has no ':' (so "chatmrpt:token:..." is not a session).
    isSession: (key) =>
      key.startsWith(prefix) &&
      key.endsWith(suffix) &&
      /^[A-Za-z0-9_\-.]+$/.test(key.slice(prefix.length, key.length - suffix.length)),
    keyOf: (sid) => `${prefix}${sid}${suffix}`,
  };
}

async function findSessionKeys(
  redis: Redis,
  pattern: ReturnType<typeof sessionKeyPattern>,
): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  for (let i = 0; i < SCAN_CALLS; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern.match, 'COUNT', SCAN_COUNT);
    for (const k of keys) if (pattern.isSession(k)) found.add(k);
    cursor = next;
    if (cursor === '0' || found.size >= KEYS_WANTED) break;
  }
  return [...found].sort().slice(0, KEYS_WANTED);
}

export async function redisSample(ctx: TargetContext, opts: { createProbe: boolean }): Promise<Sample> {
  const fields: Record<string, Scalar> = {};
  const raw: Record<string, Scalar> = {};
  const unknown: Record<string, string> = {};
  const url = ctx.env.redis?.url;
  const key = `environments.${ctx.name}.redis`;
  if (!url) return { fields, raw, unknown: { redis: `not configured (${key})` }, identifiers: [] };

  let redis: Redis;
  try {
    redis = await connectRedis(url, { timeoutMs: 3000 });
  } catch (err) {
    throw new CannotRunError(`${key}: ${firstLine(err)}`);
  }
  try {
    const info = parseInfo(await redis.info());
    fields['redis.version'] = info.redis_version ?? null;
    fields['redis.mode'] = info.redis_mode ?? 'standalone';
    fields['redis.maxmemoryPolicy'] = info.maxmemory_policy ?? null;
    fields['redis.clusterEnabled'] = info.cluster_enabled === '1';

    const pattern = sessionKeyPattern(ctx.app.session.redisKey);
    let keys = await findSessionKeys(redis, pattern);
    let probe = '';
    let probeKey: string | undefined;
    if (keys.length === 0 && opts.createProbe) {
      const made = await createProbeSession(ctx);
      if ('sid' in made) {
        probeKey = pattern.keyOf(made.sid);
        keys = [probeKey];
        probe = ' (a probe session made through the ALB, then deleted)';
      } else unknown['redis.session.ttl'] = made.reason;
    }
    if (keys.length) {
      const ttls = (await Promise.all(keys.map((k) => redis.ttl(k)))).filter((t) => t !== -2);
      // The probe session has served its purpose: parity leaves nothing behind (staging only;
      // createProbeSession never runs on production, and deleteProbeKey refuses it too).
      if (probeKey) await deleteProbeKey(redis, ctx.env, probeKey);
      if (ttls.includes(-1)) {
        fields['redis.session.ttl'] = 'no expiry';
      } else if (ttls.length) {
        // The freshest session is the closest to the configured TTL.
        const max = Math.max(...ttls);
        fields['redis.session.ttl'] = durationBucket(max);
        raw['redis.session.ttl'] = `max TTL ${max} s over ${ttls.length} key(s)${probe}`;
      }
    }
    if (!('redis.session.ttl' in fields) && !('redis.session.ttl' in unknown)) {
      unknown['redis.session.ttl'] =
        `no session keys match "${pattern.match}"` +
        (ctx.env.role === 'production' ? ' (production is only read, never written)' : '');
    }
    return { fields, raw, unknown, identifiers: [] };
  } catch (err) {
    if (err instanceof CannotRunError) throw err;
    throw new CannotRunError(`${key}: ${describeRedisError(url, err)}`);
  } finally {
    redis.disconnect();
  }
}
