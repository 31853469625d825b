import type { TargetContext } from '../contract/target.js';
import { collectAws } from '../aws/collect.js';
import { elbv2 } from '../aws/client.js';
import { awsSample } from './aws.js';
import { httpSample } from './http.js';
import { normalizeFields, sortedRecord } from './normalize.js';
import { redisSample } from './redis.js';
import { FINGERPRINT_KIND, type Fingerprint, type Sample } from './types.js';

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
    return awsSample(await collectAws(ctx, e), ctx.name);
  } finally {
    e.client.destroy();
  }
}

/** One pass over the three planes, merged. */
export async function collectSample(ctx: TargetContext, opts: { createProbe: boolean }): Promise<Sample> {
  const parts = await Promise.all([awsPart(ctx), httpSample(ctx), redisSample(ctx, opts)]);
  return {
    fields: Object.assign({}, ...parts.map((p) => p.fields)),
    raw: Object.assign({}, ...parts.map((p) => p.raw)),
    unknown: Object.assign({}, ...parts.map((p) => p.unknown)),
    identifiers: parts.flatMap((p) => p.identifiers),
  };
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
    volatile: volatilePaths(normalized),
  };
}
