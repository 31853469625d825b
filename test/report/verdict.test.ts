import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CriterionResult } from '../../src/report/model.js';
import { signoffVerdict } from '../../src/report/verdict.js';

type Status = CriterionResult['status'];
const criteria = (...statuses: Status[]): CriterionResult[] =>
  statuses.map((status, i) => ({ id: i + 1, title: `c${i + 1}`, status, checks: [] }));

describe('sign-off verdict', () => {
  it('passes only when all six criteria PASS', () => {
    expect(signoffVerdict(criteria('pass', 'pass', 'pass', 'pass', 'pass', 'pass'))).toEqual({
      verdict: 'passed',
      passed: true,
      line: 'PASSED: all 6 criteria PASS',
    });
  });

  it('one NOT VERIFIED blocks sign-off', () => {
    const v = signoffVerdict(criteria('pass', 'pass', 'not-verified', 'pass', 'pass', 'pass'));
    expect(v).toMatchObject({
      verdict: 'not-verified',
      passed: false,
      line: 'NOT PASSED: 1 NOT VERIFIED (3)',
    });
  });

  it('any FAIL makes it failed, and the line names every criterion that blocks', () => {
    const v = signoffVerdict(criteria('pass', 'fail', 'not-verified', 'pass', 'fail', 'fail'));
    expect(v).toMatchObject({ verdict: 'failed', passed: false });
    expect(v.line).toBe('NOT PASSED: 3 criteria FAIL (2, 5, 6), 1 NOT VERIFIED (3)');
  });

  it('missing criteria are NOT VERIFIED: five passing criteria are not a sign-off', () => {
    expect(signoffVerdict(criteria('pass', 'pass', 'pass', 'pass', 'pass'))).toMatchObject({
      verdict: 'not-verified',
      line: 'NOT PASSED: 1 NOT VERIFIED (6)',
    });
    expect(signoffVerdict([]).passed).toBe(false);
  });

  it('an unknown status never counts as a pass', () => {
    const cs = criteria('pass', 'pass', 'pass', 'pass', 'pass', 'pass');
    cs[0].status = 'PASS' as Status;
    expect(signoffVerdict(cs).passed).toBe(false);
  });

  it('passed iff every one of the six is PASS (property)', () => {
    const status = fc.constantFrom<Status>('pass', 'fail', 'not-verified');
    fc.assert(
      fc.property(fc.array(status, { minLength: 6, maxLength: 6 }), (ss) => {
        const v = signoffVerdict(criteria(...ss));
        expect(v.passed).toBe(ss.every((s) => s === 'pass'));
        expect(v.verdict === 'failed').toBe(ss.includes('fail'));
      }),
    );
  });
});
