import type { TargetContext } from '../contract/target.js';
import { collectAws, type AwsSnapshot } from '../aws/collect.js';
import { elbv2 } from '../aws/client.js';
import { ec2 } from '../aws/ec2-client.js';
import { ec2PlaneOf } from '../aws/ec2-collect.js';
import { healthRows } from '../aws/target-health.js';
import { awsSample } from './aws.js';
import { ec2Sample } from './ec2.js';
import { endpointsSample } from './endpoints.js';
import { httpSample } from './http.js';
import { normalizeFields, normalizeValue, sortedRecord } from './normalize.js';
import { redisSample } from './redis.js';
import { FINGERPRINT_KIND, type Fingerprint, type Sample, type Scalar } from './types.js';

// collect (AWS, HTTP, Redis) → normalize → calibrate noise. Noise is calibrated the way Diffy
// does it: the environment is fingerprinted more than once (the HTTP plane's unpinned requests
// land on different instances), and a field that differs between those passes is volatile.

export interface CollectOptions {
  /** Passes to collect; 2 or more calibrates noise (default 2). */
  samples?: number;
}

async function awsPart(ctx: TargetContext): Promise<Sample> {
  if (!ctx.env.aws) {
    return {
      fields: {},
      raw: {},
      unknown: { aws: `not configured (environments.${ctx.name}.aws)` },
      identifiers: [],
    };
  }
  const e = elbv2(ctx);
  try {
    const snap = await collectAws(ctx, e);
    const lb = awsSample(snap, ctx.name);
    const instances = await ec2Part(ctx, snap);
    return {
      fields: { ...lb.fields, ...instances.fields },
      raw: { ...lb.raw, ...instances.raw },
      unknown: { ...lb.unknown, ...instances.unknown },
      identifiers: [...lb.identifiers, ...instances.identifiers],
    };
  } finally {
    e.client.destroy();
  }
}

/** The EC2 plane of the snapshot's targets; unobservable (not a failure) when EC2 refuses. */
async function ec2Part(ctx: TargetContext, snap: AwsSnapshot): Promise<Sample> {
  const e = ec2(ctx);
  try {
    const plane = await ec2PlaneOf(e, {
      loadBalancer: snap.loadBalancer.LoadBalancerName ?? '',
      lbSecurityGroups: snap.loadBalancer.SecurityGroups ?? [],
      listeners: snap.listeners.map((l) => l.listener),
      targetGroups: snap.targetGroups.map((g) => ({
        ...(g.targetGroup.Port !== undefined ? { port: g.targetGroup.Port } : {}),
        targets: healthRows(g.health),
      })),
    });
    return ec2Sample(plane, ctx.name);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    return { fields: {}, raw: {}, unknown: { instances: reason, securityGroups: reason }, identifiers: [] };
  } finally {
    e.client.destroy();
  }
}

/** One pass over the three planes, merged. */
async function collectSample(ctx: TargetContext, opts: { createProbe: boolean }): Promise<Sample> {
  const parts = await Promise.all([awsPart(ctx), httpSample(ctx), redisSample(ctx, opts)]);
  // The endpoints go last, alone: no other request through the ALB interleaves with theirs,
  // so the ALB's round robin spreads them over the instances.
  parts.push(await endpointsSample(ctx));
  return {
    fields: Object.assign({}, ...parts.map((p) => p.fields)),
    raw: Object.assign({}, ...parts.map((p) => p.raw)),
    unknown: Object.assign({}, ...parts.map((p) => p.unknown)),
    identifiers: parts.flatMap((p) => p.identifiers),
    perInstance: Object.assign({}, ...parts.map((p) => p.perInstance ?? {})),
  };
}

/** Per-instance values of every pass, normalized (instances too); the first pass where a field differed wins. */
function mergePerInstance(
  samples: Sample[],
  identifiers: Sample['identifiers'],
): Record<string, Record<string, Scalar>> {
  const out: Record<string, Record<string, Scalar>> = {};
  for (const s of samples) {
    for (const [path, byInstance] of Object.entries(s.perInstance ?? {})) {
      if (path in out) continue;
      const entries = Object.entries(byInstance)
        .map(([id, v]): [string, Scalar] => [
          String(normalizeValue(id, identifiers)),
          v === undefined ? '(absent)' : normalizeValue(v, identifiers),
        ])
        .sort(([x], [y]) => (x < y ? -1 : 1));
      // Raw values that normalize alike (two start times, both "<time>") do not differ.
      if (entries.every(([, v]) => v === entries[0][1])) continue;
      out[path] = Object.fromEntries(entries);
    }
  }
  return sortedRecord(out);
}

/** Paths whose value (or presence, or being unknown) differs between normalized samples. */
export function volatilePaths(
  samples: { fields: Record<string, unknown>; unknown: Record<string, string> }[],
): string[] {
  const paths = new Set(samples.flatMap((s) => [...Object.keys(s.fields), ...Object.keys(s.unknown)]));
  const out: string[] = [];
  for (const p of paths) {
    const first = samples[0];
    const differs = samples.some(
      (s) =>
        s.fields[p] !== first.fields[p] ||
        p in s.fields !== p in first.fields ||
        p in s.unknown !== p in first.unknown,
    );
    if (differs) out.push(p);
  }
  return out.sort();
}

export async function collectFingerprint(
  ctx: TargetContext,
  opts: CollectOptions = {},
): Promise<Fingerprint> {
  const n = Math.max(1, Math.min(opts.samples ?? 2, 10));
  const samples: Sample[] = [];
  // Each pass makes (and deletes) its own probe session where none exists, so passes agree.
  for (let i = 0; i < n; i++) samples.push(await collectSample(ctx, { createProbe: true }));
  // One identifier set for every pass, so a placeholder means the same thing in each.
  const identifiers = samples.flatMap((s) => s.identifiers);
  const normalized = samples.map((s) => ({ ...normalizeFields(s.fields, identifiers), unknown: s.unknown }));
  const first = normalized[0];
  const raw = { ...first.raw };
  for (const [k, v] of Object.entries(samples[0].raw)) raw[k] = v;
  const perInstance = mergePerInstance(samples, identifiers);
  // A field that differs between instances is volatile too (the Diffy rule: noise).
  const volatile = [...new Set([...volatilePaths(normalized), ...Object.keys(perInstance)])].sort();
  return {
    schemaVersion: 1,
    kind: FINGERPRINT_KIND,
    env: ctx.name,
    role: ctx.env.role,
    collectedAt: new Date().toISOString(),
    samples: n,
    fields: sortedRecord(first.fields),
    raw: sortedRecord(raw),
    unknown: sortedRecord(first.unknown),
    volatile,
    ...(Object.keys(perInstance).length ? { perInstance } : {}),
  };
}
