// What every check returns (the results contract), and the one wrapper that times a check.
import { firstLine } from '../errors.js';

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

/** Time a check body; exceptions become status "error" with a one-line diagnosis. */
export async function timed(
  id: string,
  env: string,
  body: () => Promise<Omit<CheckResult, 'id' | 'env' | 'durationMs'>>,
): Promise<CheckResult> {
  const started = performance.now();
  try {
    const r = await body();
    return { id, env, durationMs: Math.round(performance.now() - started), ...r };
  } catch (err) {
    return {
      id,
      env,
      status: 'error',
      diagnosis: firstLine(err),
      evidence: {},
      durationMs: Math.round(performance.now() - started),
    };
  }
}
