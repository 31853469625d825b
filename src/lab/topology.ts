import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { fixturePath } from '../paths.js';
import { PARSE_ONCE } from '../util.js';

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
    /** EC2: key into the environment's `amis` (default: ec2.ami). */
    ami: z.string().optional(),
    /** EC2: instance type (default: ec2.instanceType). */
    type: z.string().optional(),
    /** EC2's state of the instance (its process keeps running: EC2 alone says so). */
    state: z
      .enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'])
      .default('running'),
    /**
     * EC2 reports a public address (a second loopback address in the lab); the instance answers
     * on it when its security group admits the target port from the world, as it would in AWS.
     */
    publicIp: z.boolean().default(false),
  })
  .strict();

/** One security group rule: `from` holds CIDRs (IPv4/IPv6), `sg:<role>` references, prefix list ids. */
const SgRuleSchema = z
  .object({
    protocol: z.enum(['tcp', 'udp', 'icmp', '-1']),
    /** A port or "from-to"; absent for protocol -1 (all traffic). */
    ports: z.union([z.number().int().min(0).max(65535), z.string().regex(/^\d+-\d+$/)]).optional(),
    from: z.array(z.string().regex(/^(sg:(alb|instance)|pl-[0-9a-f]+|[0-9a-f.:]+\/\d{1,3})$/)).min(1),
    description: z.string().optional(),
  })
  .strict();

const SgSchema = z
  .object({ ingress: z.array(SgRuleSchema).default([]), egress: z.array(SgRuleSchema).default([]) })
  .strict();

const EnvTopologySchema = z
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
        /** "memory": each instance keeps sessions in its own process (fault memory-sessions). */
        sessionStore: z.enum(['redis', 'memory']).optional(),
        /**
         * Where instances keep uploads: one data folder shared by all (as a shared filesystem
         * would), or one each ("local"), optionally copied to the peers after a delay (ChatMRPT's
         * rsync workaround).
         */
        uploads: z
          .object({
            storage: z.enum(['shared', 'local']).default('shared'),
            syncDelaySeconds: z.number().min(0).optional(),
          })
          .strict()
          .optional(),
        /** The streaming chat (POST /send_message_streaming): buffered holds every event until the end (fault buffered-stream). */
        stream: z
          .object({ buffered: z.boolean().default(false) })
          .strict()
          .optional(),
        /** The front end and read-only API (src/lab/frontend.ts; faults stale-frontend, missing-route, shape-change). */
        frontend: z
          .object({
            build: z.string().optional(),
            missingRoutes: z.array(z.string().startsWith('/')).optional(),
            shapeChange: z.boolean().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    instances: z.array(InstanceSchema).min(1),
    /** EC2 defaults of the instances (docs/ec2.md). */
    ec2: z
      .object({
        instanceType: z.string().default('t3.medium'),
        ami: z.string().default('app'),
        instanceProfile: z.string().optional(),
      })
      .strict()
      .prefault({}),
    /** AMIs by key: their name and platform, as DescribeImages reports them. */
    amis: z
      .record(z.string(), z.object({ name: z.string(), platform: z.string().default('Linux/UNIX') }).strict())
      .default({ app: { name: 'chatmrpt-app', platform: 'Linux/UNIX' } }),
    /**
     * How `parity lab deploy` rolls out (docs/lab.md): drain each instance first (false: restart
     * in place, as ChatMRPT's script does), roll back when it reaches the instance numbered
     * `rollbackAt` (1-based: that one fails, the ones before go back to the old version), and
     * how long a restarted app takes to boot before it listens.
     */
    deploy: z
      .object({
        drain: z.boolean().default(true),
        rollbackAt: z.number().int().min(1).optional(),
        bootMs: z.number().int().min(0).max(30_000).default(1500),
      })
      .strict()
      .prefault({}),
    /** The load balancer's and the instances' security groups (default: the plan's Phase 4). */
    securityGroups: z.object({ alb: SgSchema, instance: SgSchema }).strict().optional(),
  })
  .strict();

const TopologySchema = z.object({ environments: z.record(z.string(), EnvTopologySchema) }).strict();

export type EnvTopology = z.infer<typeof EnvTopologySchema>;
export type SgRuleTopology = z.infer<typeof SgRuleSchema>;
export type SgTopology = z.infer<typeof SgSchema>;
export type Topology = z.infer<typeof TopologySchema>;

export function parseTopology(raw: unknown, source: string): Topology {
  const result = TopologySchema.safeParse(raw, PARSE_ONCE);
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
