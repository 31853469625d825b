// Redis connections for probes of the session plane: bounded connect and command times, no
// offline queue and no reconnect loop (a probe fails fast with one line naming the cause).
import { Redis } from 'ioredis';
import { firstLine, RedisProbeError } from '../errors.js';

const DEFAULT_TIMEOUT_MS = 3000;

/** host:port of a redis URL, never its password. */
export function redisWhere(url: string): string {
  try {
    const u = new URL(url);
    return `redis ${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'redis (unparsable URL)';
  }
}

/** One line naming the cause: refused, timeout, DNS, authentication. */
export function describeRedisError(url: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const where = redisWhere(url);
  const msg = e.message ?? String(err);
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) return `${where}: connection refused`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `${where}: DNS lookup failed (${e.code})`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg))
    return `${where}: authentication failed (wrong password or user)`;
  if (/NOAUTH/i.test(msg)) return `${where}: authentication required (no password in the redis URL)`;
  if (e.code === 'ETIMEDOUT' || /timed? ?out/i.test(msg)) return `${where}: timed out`;
  if (/Unknown RESP type|Protocol error/i.test(msg))
    return `${where}: the server does not speak the Redis protocol`;
  if (/Connection is closed|Stream isn't writeable/i.test(msg)) return `${where}: connection closed`;
  return `${where}: ${firstLine(msg)}`;
}

/** Connect (with a timeout) and check the connection works; the caller must `close` it. */
export async function connectRedis(url: string, opts: { timeoutMs?: number } = {}): Promise<Redis> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: true,
    // Named, so an operator's CLIENT LIST (and the tests' MONITOR) can tell parity's connection apart.
    connectionName: 'parity',
  });
  let lastError: unknown;
  redis.on('error', (err) => (lastError = err)); // surfaced through connect/commands below
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new RedisProbeError(describeRedisError(url, lastError ?? err));
  }
  return redis;
}

/** Run commands on a connection; every failure becomes one RedisProbeError line. */
export async function withRedis<T>(
  url: string,
  body: (redis: Redis) => Promise<T>,
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  const redis = await connectRedis(url, opts);
  try {
    return await body(redis);
  } catch (err) {
    if (err instanceof RedisProbeError) throw err;
    throw new RedisProbeError(describeRedisError(url, err));
  } finally {
    redis.disconnect();
  }
}
