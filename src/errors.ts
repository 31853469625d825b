// Errors that the CLI turns into one line and an exit code (see design: exit codes).

/** Usage or configuration problem: exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A check or command could not run (unreachable, no credentials, missing binary): exit 3. */
export class CannotRunError extends Error {
  readonly exitCode = 3;
}

export function exitCodeOf(err: unknown): number {
  if (err && typeof err === 'object' && 'exitCode' in err && typeof err.exitCode === 'number') {
    return err.exitCode;
  }
  return 3;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] || err.name;
  return String(err);
}
