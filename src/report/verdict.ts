import type { CriterionResult } from './model.js';
import { CRITERIA } from './criteria.js';

export type Verdict = 'passed' | 'failed' | 'not-verified';

export interface SignoffVerdict {
  verdict: Verdict;
  /** True only when every one of the six criteria is PASS. */
  passed: boolean;
  /** One line, e.g. "NOT PASSED: 1 criterion FAIL (2), 1 NOT VERIFIED (5)". */
  line: string;
}

/**
 * The sign-off rule: passed only when all six criteria are present and PASS. Any FAIL makes
 * it failed; otherwise anything missing or NOT VERIFIED leaves it not verified.
 */
export function signoffVerdict(criteria: CriterionResult[]): SignoffVerdict {
  const byId = new Map(criteria.map((c) => [c.id, c.status]));
  // The six are always required; an extra criterion that did not pass also blocks sign-off.
  const ids = [...new Set([...CRITERIA.map((d) => d.id), ...byId.keys()])].sort((a, b) => a - b);
  const status = (id: number) => byId.get(id) ?? 'not-verified';
  const failed = ids.filter((id) => status(id) === 'fail');
  const unverified = ids.filter((id) => status(id) !== 'fail' && status(id) !== 'pass');

  const verdict: Verdict = failed.length ? 'failed' : unverified.length ? 'not-verified' : 'passed';
  const plural = (n: number) => (n === 1 ? 'criterion' : 'criteria');
  const parts = [
    failed.length && `${failed.length} ${plural(failed.length)} FAIL (${failed.join(', ')})`,
    unverified.length && `${unverified.length} NOT VERIFIED (${unverified.join(', ')})`,
  ].filter(Boolean);
  const line =
    verdict === 'passed' ? `PASSED: all ${ids.length} criteria PASS` : `NOT PASSED: ${parts.join(', ')}`;
  return { verdict, passed: verdict === 'passed', line };
}
