// deploy.consistency: every instance reached through the ALB runs the same version, and when
// an expected version is given (app.version.expected or --expect-version) it is that one.
// Fewer instances reached than app.expectedInstances is a failure: a deploy gate that has
// seen one instance cannot say the deploy reached both.
import { extract } from '../http/identity.js';
import { probe } from './budget.js';
import { timed } from '../contract/result.js';
import type { Convergence } from '../contract/convergence.js';
import { distinct, getAttributed, identitySource, NO_IDENTITY, sampleUntil, triesFor } from './sample.js';
import type { CheckResultOf } from '../contract/result.js';
import type { EvidenceById } from '../contract/evidence.js';
import type { TargetContext } from '../contract/target.js';

export interface VersionSample {
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

/** A bounded round of cookie-less requests until every expected instance answered (GETs only). */
export function sampleVersions(ctx: TargetContext): Promise<VersionSample[]> {
  const want = ctx.app.expectedInstances;
  return sampleUntil(ctx, { want, maxTries: triesFor(want) }, () => versionSample(ctx));
}

export function versionSource(ctx: TargetContext): string {
  const v = ctx.app.version;
  return 'header' in v ? `header ${v.header}` : `GET ${v.path} → ${v.json}`;
}

export interface VersionView {
  /** instance → the versions it reported, "a / b" when it changed mid-round. */
  table: Record<string, string>;
  /** "i-a → 1.4.2, i-b → 1.5.0" */
  listing: string;
  /** What keeps the deploy from being consistent (empty: it is); one phrase each. */
  problems: string[];
  reached: number;
}

/** Pure: what a round of samples says about the rollout. */
export function versionView(
  samples: VersionSample[],
  want: number,
  expected: string | undefined,
  source: string,
): VersionView {
  const byInstance = new Map<string, Set<string>>();
  for (const s of samples) {
    const id = s.instance ?? NO_IDENTITY;
    if (!byInstance.has(id)) byInstance.set(id, new Set());
    byInstance.get(id)!.add(s.version ?? '(none)');
  }
  // Sorted by instance, so a diagnosis does not depend on which instance happened to answer first.
  const table = Object.fromEntries(
    [...byInstance].sort(([a], [b]) => a.localeCompare(b)).map(([id, vs]) => [id, [...vs].join(' / ')]),
  );
  const listing = Object.entries(table)
    .map(([id, v]) => `${id} → ${v}`)
    .join(', ');
  const problems: string[] = [];
  const missing = samples.filter((s) => s.version === undefined).length;
  if (missing > 0) problems.push(`${missing} of ${samples.length} answers carried no version (${source})`);
  if (expected !== undefined) {
    const off = [...byInstance]
      .sort(([a], [b]) => a.localeCompare(b))
      .filter(([, vs]) => [...vs].some((v) => v !== expected));
    if (off.length > 0) {
      problems.push(
        `not on the expected version ${expected}: ${off.map(([id, vs]) => `${id} → ${[...vs].join(' / ')}`).join(', ')}`,
      );
    }
  }
  // Without an expected version, disagreement is the problem; with one, the line above says it.
  const versions = distinct(samples.map((s) => s.version));
  if (versions.length > 1 && expected === undefined)
    problems.push(`instances run different versions: ${listing}`);
  const reached = distinct(samples.map((s) => s.instance)).length;
  if (reached < want) problems.push(`only ${reached} of ${want} instances reached`);
  return { table, listing, problems, reached };
}

export interface DeployOptions {
  /** The --converge wait that ran before the checks, if any (its outcome is this check's evidence). */
  convergence?: Convergence;
}

export function deployConsistency(
  ctx: TargetContext,
  opts: DeployOptions = {},
): Promise<CheckResultOf<'deploy.consistency'>> {
  return timed(deployConsistency.id, ctx.name, async () => {
    const want = ctx.app.expectedInstances;
    const expected = ctx.app.version.expected;
    const samples = await sampleVersions(ctx);
    const view = versionView(samples, want, expected, versionSource(ctx));
    const evidence: EvidenceById['deploy.consistency'] = {
      expectedInstances: want,
      ...(expected !== undefined ? { expectedVersion: expected } : {}),
      tries: samples.length,
      versions: view.table,
      source: versionSource(ctx),
      ...(opts.convergence ? { convergence: opts.convergence } : {}),
    };
    const c = opts.convergence;
    // What the wait saw that this check's own look does not already say (e.g. unhealthy targets).
    const also = c ? c.pending.filter((p) => !view.problems.includes(p)) : [];
    const notConverged =
      c && !c.converged
        ? `; did not converge in ${c.limitSeconds} s${also.length ? ` (${also.join('; ')})` : ''}`
        : '';
    if (view.problems.length > 0) {
      const problems = [...view.problems];
      if (view.reached < want) problems[problems.length - 1] += ` (identity: ${identitySource(ctx)})`;
      return {
        status: 'fail',
        // The listing once, unless a problem already names every instance's version.
        diagnosis: `${problems.join('; ')}${problems.some((p) => p.includes(view.listing)) ? '' : ` (seen: ${view.listing})`}${notConverged}`,
        evidence,
      };
    }
    const version = distinct(samples.map((s) => s.version))[0];
    const converged = c?.afterMs !== undefined ? ` (converged after ${(c.afterMs / 1000).toFixed(1)} s)` : '';
    return {
      status: 'pass',
      diagnosis: `all ${view.reached} instances reached run ${expected !== undefined ? 'the expected version' : 'version'} ${version}: ${view.listing}${converged}`,
      evidence,
    };
  });
}
deployConsistency.id = 'deploy.consistency' as const;
