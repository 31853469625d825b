import { UsageError } from '../errors.js';
import { urlOf } from '../http/identity.js';
import type { TargetContext } from '../contract/target.js';
import type { LoadThresholds } from '../config/schema.js';
import type { DriverOptions } from './driver.js';
import type { LoadMode } from './result.js';

// From a target and the user's flags to a bounded load run, refusing what must not run.

const MAX_CONNECTIONS = 1000;
const MAX_DURATION_SECONDS = 600;
const MIN_DURATION_SECONDS = 1;
const MAX_RATE = 100_000;

export interface LoadRequest {
  connections?: number;
  /** Seconds, or "500ms" / "20s" / "2m". */
  duration?: number | string;
  sticky?: boolean;
  /** Requests per second over all connections, or "all-out" (default: load.rate). */
  rate?: number | 'all-out';
  /** Explicit override for a role: production target. */
  allowProductionLoad?: boolean;
  shard?: Shard;
}

export interface Shard {
  /** 1-based, like vitest's --shard. */
  index: number;
  count: number;
}

/** What the checks hold a run against; written into shard files so a merge needs no config. */
export interface LoadExpectations {
  env: string;
  expectedInstances: number;
  weights?: Record<string, number>;
  thresholds: LoadThresholds;
  identityHeader: string;
  stickyCookie: string;
}

export interface LoadPlan {
  mode: LoadMode;
  /** Connections of the whole run (all shards). */
  totalConnections: number;
  shard?: Shard;
  driver: DriverOptions;
  expectations: LoadExpectations;
}

/** "20s", "500ms", "2m", "3" (seconds) or a number of seconds. */
export function parseDuration(value: number | string, key = '--duration'): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${key}: "${value}" is not a duration (e.g. 20, 20s, 500ms, 2m)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

/** --rate: a whole number of requests per second, or "all-out". */
export function parseRate(value: string): number | 'all-out' {
  const v = value.trim();
  if (v === 'all-out') return v;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > MAX_RATE)
    throw new UsageError(
      `--rate must be a whole number of requests per second from 1 to ${MAX_RATE}, or all-out (got "${value}")`,
    );
  return n;
}

/** "I/N" with 1 <= I <= N. */
export function parseShard(value: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new UsageError(`--shard: "${value}" must be I/N with 1 <= I <= N (e.g. 1/4)`);
  return { index, count };
}

/** Connections of shard I of N: the total split as evenly as possible. */
export function shardConnections(total: number, shard: Shard): number {
  return Math.floor(total / shard.count) + (shard.index <= total % shard.count ? 1 : 0);
}

/** The identity header load attribution reads; a JSON-body identity cannot attribute load. */
function identityHeaderOf(ctx: TargetContext): string {
  const id = ctx.app.identity;
  if ('header' in id) return id.header;
  throw new UsageError(
    `load attribution needs an identity header: app.identity reads ${id.path} JSON ${id.json}, which load responses do not carry; set app.identity.header`,
  );
}

/** True when this target may not receive load without the explicit override. */
export function loadRefused(ctx: TargetContext, override = false): boolean {
  return ctx.env.role === 'production' && !override && !ctx.allowProductionWrites;
}

export function expectationsOf(ctx: TargetContext): LoadExpectations {
  const { minShare } = ctx.config.load.thresholds;
  const weights = ctx.config.load.weights;
  const total = weights ? Object.values(weights).reduce((a, b) => a + b, 0) : 0;
  const smallest = weights ? Math.min(...Object.values(weights)) / total : 1 / ctx.app.expectedInstances;
  if (minShare > smallest + 1e-9)
    throw new UsageError(
      `config error: load.thresholds.minShare ${minShare} exceeds the smallest expected share ${smallest.toFixed(3)} (${weights ? 'load.weights' : `${ctx.app.expectedInstances} instances`})`,
    );
  return {
    env: ctx.name,
    expectedInstances: ctx.app.expectedInstances,
    ...(ctx.config.load.weights ? { weights: ctx.config.load.weights } : {}),
    thresholds: ctx.config.load.thresholds,
    identityHeader: identityHeaderOf(ctx),
    stickyCookie: ctx.app.sticky.cookie,
  };
}

export function planLoad(ctx: TargetContext, req: LoadRequest = {}): LoadPlan {
  if (loadRefused(ctx, req.allowProductionLoad))
    throw new UsageError(
      `refusing to load "${ctx.name}": it is role production (pass --allow-production-load to override)`,
    );
  const expectations = expectationsOf(ctx);
  const connections = req.connections ?? ctx.config.load.connections;
  if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CONNECTIONS)
    throw new UsageError(`--connections must be an integer from 1 to ${MAX_CONNECTIONS}, got ${connections}`);
  // Name where the duration came from: the flag, or the config key.
  const key = req.duration !== undefined ? '--duration' : 'config error: load.duration';
  const durationSeconds = parseDuration(req.duration ?? ctx.config.load.duration, key);
  // Under a second, a run is a handful of requests: no distribution can be judged from it.
  if (!(durationSeconds >= MIN_DURATION_SECONDS) || durationSeconds > MAX_DURATION_SECONDS)
    throw new UsageError(
      `${key} must be at least ${MIN_DURATION_SECONDS} s and at most ${MAX_DURATION_SECONDS} s, got ${durationSeconds} s`,
    );
  const shard = req.shard;
  if (shard && connections < shard.count)
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: needs at least ${shard.count} connections, got ${connections}`,
    );
  const rate = req.rate ?? ctx.config.load.rate;
  if (rate !== 'all-out' && !(Number.isInteger(rate) && rate >= 1 && rate <= MAX_RATE))
    throw new UsageError(`--rate must be a whole number from 1 to ${MAX_RATE}, or all-out, got ${rate}`);
  if (shard && rate !== 'all-out' && rate < shard.count)
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: needs a rate of at least ${shard.count} req/s, got ${rate}`,
    );
  const mode: LoadMode = req.sticky ? 'sticky' : 'distribution';
  return {
    mode,
    totalConnections: connections,
    ...(shard ? { shard } : {}),
    expectations,
    driver: {
      url: urlOf(ctx, ctx.config.load.path),
      connections: shard ? shardConnections(connections, shard) : connections,
      durationSeconds,
      // A shard sends its share of the rate (split like the connections).
      ...(rate === 'all-out' ? {} : { overallRate: shard ? shardConnections(rate, shard) : rate }),
      identityHeader: expectations.identityHeader,
      ...(req.sticky ? { sticky: { cookie: expectations.stickyCookie } } : {}),
    },
  };
}
