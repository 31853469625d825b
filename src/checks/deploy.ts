// deploy.consistency: every instance reached through the ALB runs the same version.
import { extract } from '../http/identity.js';
import { probe } from './budget.js';
import { timed } from '../contract/result.js';
import { distinct, getAttributed, identitySource, NO_IDENTITY, sampleUntil, triesFor } from './sample.js';
import type { CheckResult } from '../contract/result.js';
import type { TargetContext } from '../contract/target.js';

interface VersionSample {
  instance: string | undefined;
  version: string | undefined;
}

/** One cookie-less request (two when the version lives on another path than the identity). */
async function versionSample(ctx: TargetContext): Promise<VersionSample> {
  const v = ctx.app.version;
  const p = await probe(ctx);
  if (p.version !== undefined || 'header' in v) return { instance: p.instance, version: p.version };
  const { instance, response } = await getAttributed(ctx, v.path);
  return { instance, version: extract(v, response) };
}

function versionSource(ctx: TargetContext): string {
  const v = ctx.app.version;
  return 'header' in v ? `header ${v.header}` : `GET ${v.path} → ${v.json}`;
}

export function deployConsistency(ctx: TargetContext): Promise<CheckResult> {
  return timed('deploy.consistency', ctx.name, async () => {
    const want = ctx.app.expectedInstances;
    const samples = await sampleUntil(ctx, { want, maxTries: triesFor(want) }, () => versionSample(ctx));
    // instance → versions it reported (a version change mid-run shows up as two).
    const byInstance = new Map<string, Set<string>>();
    for (const s of samples) {
      const id = s.instance ?? NO_IDENTITY;
      if (!byInstance.has(id)) byInstance.set(id, new Set());
      byInstance.get(id)!.add(s.version ?? '(none)');
    }
    const table = Object.fromEntries([...byInstance].map(([id, vs]) => [id, [...vs].join(' / ')]));
    const listing = Object.entries(table)
      .map(([id, v]) => `${id} → ${v}`)
      .join(', ');
    const evidence = {
      expectedInstances: want,
      tries: samples.length,
      versions: table,
      source: versionSource(ctx),
    };
    const missing = samples.filter((s) => s.version === undefined).length;
    if (missing > 0) {
      return {
        status: 'fail',
        diagnosis: `${missing} of ${samples.length} answers carried no version (${versionSource(ctx)}): ${listing}`,
        evidence,
      };
    }
    const versions = distinct(samples.map((s) => s.version));
    if (versions.length > 1) {
      return { status: 'fail', diagnosis: `instances run different versions: ${listing}`, evidence };
    }
    const ids = distinct(samples.map((s) => s.instance));
    const coverage =
      ids.length >= want
        ? ''
        : ` (only ${ids.length} of ${want} instances reached; identity: ${identitySource(ctx)})`;
    return {
      status: 'pass',
      diagnosis: `all ${ids.length} instances reached run version ${versions[0]}: ${listing}${coverage}`,
      evidence,
    };
  });
}
