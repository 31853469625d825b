// What every check returns (the results contract), and the one wrapper that times a check.
import { firstLine } from '../errors.js';
import { oneLine } from '../text.js';

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skip';

/** What every check returns. */
export interface CheckResult {
  id: string;
  env: string;
  status: CheckStatus;
  diagnosis: string;
  durationMs: number;
  evidence: Record<string, unknown>;
}

/** The one place every check result is finished: its diagnosis bounded to one short line. */
export function completeCheck(r: CheckResult): CheckResult {
  return { ...r, diagnosis: oneLine(r.diagnosis) };
}

/** Time a check body; exceptions become status "error" with a one-line diagnosis. */
export async function timed(
  id: string,
  env: string,
  body: () => Promise<Omit<CheckResult, 'id' | 'env' | 'durationMs'>>,
): Promise<CheckResult> {
  const started = performance.now();
  try {
    const r = await body();
    return completeCheck({ id, env, durationMs: Math.round(performance.now() - started), ...r });
  } catch (err) {
    return completeCheck({
      id,
      env,
      status: 'error',
      diagnosis: firstLine(err),
      evidence: {},
      durationMs: Math.round(performance.now() - started),
    });
  }
}
