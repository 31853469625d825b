// The one place outcomes become exit codes: 0 all passed; 1 a check failed; 2 usage or
// config error; 3 a check could not run (unreachable, no credentials) and none failed.
import { ParityError, type ExitCode } from './errors.js';
import type { CheckStatus } from './contract/result.js';

/** An error's exit code: a ParityError's own, else 3 (something could not run). */
export function exitCodeOfError(err: unknown): ExitCode {
  return err instanceof ParityError ? err.exitCode : 3;
}

/** A run's exit code from its checks' statuses: any fail is 1; else any error is 3; else 0. */
export function exitCodeOfChecks(checks: { status: CheckStatus }[]): ExitCode {
  if (checks.some((c) => c.status === 'fail')) return 1;
  if (checks.some((c) => c.status === 'error')) return 3;
  return 0;
}

/**
 * The sign-off never passes while a criterion is failed or not verified: 1 when one failed,
 * 3 when none failed but one could not be verified (a check skipped, errored or absent).
 */
export function exitCodeOfVerdict(verdict: 'passed' | 'failed' | 'not-verified'): ExitCode {
  return verdict === 'passed' ? 0 : verdict === 'failed' ? 1 : 3;
}
