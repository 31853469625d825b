import { collectFingerprint, type CollectOptions } from '../fingerprint/collect.js';
import { diffFingerprints } from '../fingerprint/diff.js';
import { timed } from '../contract/result.js';
import { targetContext } from '../contract/target.js';
import type { CheckResult } from '../contract/result.js';
import type { TargetContext } from '../contract/target.js';

const show = (v: unknown) => (v === undefined ? '(absent)' : String(v));

/**
 * fingerprint.diff: the environment's structural fingerprint against production's (the config's
 * role: production environment), field by field. Fails on drift; expected differences
 * (fingerprint.expectDifferent) and noise (volatile fields) pass; unobservable fields are listed.
 */
export async function fingerprintDiff(ctx: TargetContext, opts: CollectOptions = {}): Promise<CheckResult> {
  return timed('fingerprint.diff', ctx.name, async () => {
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
    const tail = `${s.compared} fields compared; ${s.expected} expected, ${s.noise} noise, ${s.unverified} unverified`;
    const diagnosis = drift.length
      ? `${drift.length} field(s) drifted from ${prodName}: ` +
        drift
          .slice(0, 3)
          .map((d) => `${d.path} ${show(d.a)} vs ${show(d.b)}`)
          .join('; ') +
        (drift.length > 3 ? `; and ${drift.length - 3} more` : '') +
        ` (${tail})`
      : `no drift from ${prodName} (${tail})`;
    return {
      status: drift.length ? 'fail' : 'pass',
      diagnosis,
      evidence: {
        against: prodName,
        summary: s,
        differences: diff.differences,
        unverified: diff.unverified,
        unusedExpectations: diff.unusedExpectations,
      },
    };
  });
}
