import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { fixturePath } from '../paths.js';

// One environment of the lab, in the vocabulary of ELBv2 (what AWS would say about it).

const InstanceSchema = z
  .object({
    id: z.string(),
    az: z.string().default('us-east-2a'),
    /** Target weight in the LB (HAProxy weight; AWS has no per-target weight, see faults). */
    weight: z.number().int().min(0).max(256).default(1),
    /** false: the process runs but is not a registered target. */
    registered: z.boolean().default(true),
    /** true: registered, but its process is not running (the target fails health checks). */
    down: z.boolean().default(false),
    /** Overrides of the environment's app settings for this instance. */
    version: z.string().optional(),
    health: z.enum(['healthy', 'degraded', 'unhealthy']).default('healthy'),
    latencyMs: z.number().int().min(0).default(0),
    /** Name of the Redis this instance uses; "main" is the environment's own. */
    redis: z.string().default('main'),
  })
  .strict();

export const EnvTopologySchema = z
  .object({
    accountId: z.string(),
    loadBalancer: z
      .object({
        name: z.string(),
        scheme: z.enum(['internet-facing', 'internal']),
        ipAddressType: z.enum(['ipv4', 'dualstack']),
        availabilityZones: z.array(z.string()).min(1),
        idleTimeoutSeconds: z.number().int().min(1).max(4000),
      })
      .strict(),
    listener: z.object({ port: z.number().int(), protocol: z.enum(['HTTP', 'HTTPS']) }).strict(),
    targetGroup: z
      .object({
        name: z.string(),
        protocol: z.enum(['HTTP', 'HTTPS']),
        port: z.number().int(),
        algorithm: z.enum(['round_robin', 'least_outstanding_requests']),
        deregistrationDelaySeconds: z.number().int().min(0),
        healthCheck: z
          .object({
            path: z.string().startsWith('/'),
            intervalSeconds: z.number().int().min(1),
            timeoutSeconds: z.number().int().min(1),
            healthyThreshold: z.number().int().min(1),
            unhealthyThreshold: z.number().int().min(1),
            matcher: z.string(),
          })
          .strict(),
        stickiness: z
          .object({
            enabled: z.boolean(),
            type: z.literal('lb_cookie'),
            durationSeconds: z.number().int().min(1).max(604800),
          })
          .strict(),
      })
      .strict(),
    app: z
      .object({
        version: z.string(),
        sessionTtlSeconds: z.number().int().min(1),
        /** false: the app sends no X-Instance-Id/X-App-Version (identity only via GET /whoami). */
        identityHeaders: z.boolean().optional(),
        /** Session cookie name (the reference app's SESSION_COOKIE). */
        sessionCookie: z.string().optional(),
        /** Redis key prefix of sessions (the reference app's REDIS_PREFIX). */
        redisPrefix: z.string().optional(),
      })
      .strict(),
    instances: z.array(InstanceSchema).min(1),
  })
  .strict();

export const TopologySchema = z.object({ environments: z.record(z.string(), EnvTopologySchema) }).strict();

export type EnvTopology = z.infer<typeof EnvTopologySchema>;
export type InstanceTopology = z.infer<typeof InstanceSchema>;
export type Topology = z.infer<typeof TopologySchema>;

export function parseTopology(raw: unknown, source: string): Topology {
  const result = TopologySchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(`topology error: ${source}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return result.data;
}

export function loadTopology(file = fixturePath('lab/topology.yaml')): Topology {
  return parseTopology(parse(readFileSync(file, 'utf8')), file);
}

/**
 * Deep-merge a patch into a plain tree. Arrays merge element by element (a patch
 * `instances: [{}, {down: true}]` changes only the second instance); `null` deletes.
 */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (patch === null) return undefined;
  if (Array.isArray(patch) && Array.isArray(base)) {
    const out = base.map((b, i) => (i < patch.length ? deepMerge(b, patch[i]) : b));
    for (let i = base.length; i < patch.length; i++) out.push(patch[i]);
    return out.filter((v) => v !== undefined);
  }
  if (isPlain(patch) && isPlain(base)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      const merged = deepMerge(base[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return patch;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
