import { collectFingerprint, type CollectOptions } from '../fingerprint/collect.js';
import { diffFingerprints, perInstanceText } from '../fingerprint/diff.js';
import { driftItems, endpointEvidence } from '../fingerprint/endpoint-groups.js';
import { timed } from '../contract/result.js';
import { targetContext } from '../contract/target.js';
import type { CheckResultOf } from '../contract/result.js';
import type { TargetContext } from '../contract/target.js';

const show = (v: unknown) => (v === undefined ? '(absent)' : String(v));

/**
 * fingerprint.diff: the environment's structural fingerprint against production's (the config's
 * role: production environment), field by field. Fails on drift; expected differences
 * (fingerprint.expectDifferent) and noise (volatile fields) pass; unobservable fields are listed.
 */
export async function fingerprintDiff(
  ctx: TargetContext,
  opts: CollectOptions = {},
): Promise<CheckResultOf<'fingerprint.diff'>> {
  return timed(fingerprintDiff.id, ctx.name, async () => {
    if (ctx.env.role === 'production') {
      return {
        status: 'skip',
        diagnosis: 'this is production; fingerprint.diff compares another environment with it',
        evidence: {},
      };
    }
    const prodName = Object.entries(ctx.config.environments).find(([, e]) => e.role === 'production')?.[0];
    if (!prodName) {
      return {
        status: 'skip',
        diagnosis: 'no role: production environment in the config to compare with',
        evidence: {},
      };
    }
    const prod = targetContext(ctx.config, prodName, { deadline: ctx.deadline });
    const [mine, theirs] = await Promise.all([collectFingerprint(ctx, opts), collectFingerprint(prod, opts)]);
    const diff = diffFingerprints(mine, theirs, { expectDifferent: ctx.config.fingerprint.expectDifferent });
    const s = diff.summary;
    const drift = diff.differences.filter((d) => d.class === 'drift');
    const inconsistent = diff.inconsistencies.length
      ? `; ${diff.inconsistencies.length} inconsistent inside ${ctx.name}: ` +
        diff.inconsistencies
          .slice(0, 2)
          .map((i) => `${i.path} ${perInstanceText(i.values)}`)
          .join('; ')
      : '';
    const tail = `${s.compared} fields compared; ${s.expected} expected, ${s.noise} noise, ${s.unverified} unverified${inconsistent}`;
    const items = driftItems(drift, show);
    const diagnosis = drift.length
      ? `${drift.length} field(s) drifted from ${prodName}: ` +
        items.slice(0, 3).join('; ') +
        (items.length > 3 ? `; and ${items.length - 3} more` : '') +
        ` (${tail})`
      : `no drift from ${prodName} (${tail})`;
    const endpoints = endpointEvidence(diff, mine, theirs, ctx.config.fingerprint.endpoints);
    return {
      status: drift.length ? 'fail' : 'pass',
      diagnosis,
      evidence: {
        against: prodName,
        summary: s,
        differences: diff.differences,
        unverified: diff.unverified,
        inconsistencies: diff.inconsistencies,
        ...(endpoints.length ? { endpoints } : {}),
        unusedExpectations: diff.unusedExpectations,
      },
    };
  });
}
fingerprintDiff.id = 'fingerprint.diff' as const;
