// The project's one error catalog, in undici's style: every error parity throws on purpose is a
// ParityError with a `name`, a stable `code` (what callers classify by, never the message
// text) and the exit code it maps to (0 pass, 1 a check failed, 2 usage/config, 3 could not run).

export const ErrorCode = {
  /** A ParityError of no more specific kind. */
  Error: 'PARITY_ERROR',
  Usage: 'PARITY_USAGE',
  CannotRun: 'PARITY_CANNOT_RUN',
  Http: 'PARITY_HTTP',
  HttpTimeout: 'PARITY_HTTP_TIMEOUT',
  Redis: 'PARITY_REDIS',
  Aws: 'PARITY_AWS',
  Deadline: 'PARITY_DEADLINE',
  StopWaiting: 'PARITY_STOP_WAITING',
  PortTaken: 'PARITY_PORT_TAKEN',
  LabApi: 'PARITY_LAB_API',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type ExitCode = 0 | 1 | 2 | 3;

export class ParityError extends Error {
  override readonly name: string = 'ParityError';
  readonly code: ErrorCode = ErrorCode.Error;
  readonly exitCode: ExitCode = 3;
}

/** Usage or configuration problem: exit 2. */
export class UsageError extends ParityError {
  override readonly name: string = 'UsageError';
  override readonly code: ErrorCode = ErrorCode.Usage;
  override readonly exitCode: ExitCode = 2;
}

/** A check or command could not run (unreachable, no credentials, missing binary): exit 3. */
export class CannotRunError extends ParityError {
  override readonly name: string = 'CannotRunError';
  override readonly code: ErrorCode = ErrorCode.CannotRun;
}

/** An HTTP request failed (refused, reset, DNS, TLS, body too large). */
export class HttpError extends CannotRunError {
  override readonly name: string = 'HttpError';
  override readonly code: ErrorCode = ErrorCode.Http;
}

/** An HTTP request ran out of its time: not worth retrying, it already waited its full time. */
export class HttpTimeoutError extends HttpError {
  override readonly name: string = 'HttpTimeoutError';
  override readonly code: ErrorCode = ErrorCode.HttpTimeout;
}

/** A Redis probe failed (refused, authentication, timeout, not Redis). */
export class RedisProbeError extends CannotRunError {
  override readonly name: string = 'RedisProbeError';
  override readonly code: ErrorCode = ErrorCode.Redis;
}

/** An AWS call failed (credentials, access, throttling, not found, unreachable). */
export class AwsError extends CannotRunError {
  override readonly name: string = 'AwsError';
  override readonly code: ErrorCode = ErrorCode.Aws;
}

/** The run's deadline was reached before a request could be sent. */
export class DeadlineError extends CannotRunError {
  override readonly name: string = 'DeadlineError';
  override readonly code: ErrorCode = ErrorCode.Deadline;
}

/** Thrown inside a waitFor callback to give up at once (the thing waited for cannot happen). */
export class StopWaiting extends ParityError {
  override readonly name: string = 'StopWaiting';
  override readonly code: ErrorCode = ErrorCode.StopWaiting;
}

/** A lab process exited because its port was taken (a race with another program): retried. */
export class PortTakenError extends StopWaiting {
  override readonly name: string = 'PortTakenError';
  override readonly code: ErrorCode = ErrorCode.PortTaken;
}

/** An error the lab's AWS Query endpoint answers with: `awsCode` is AWS's own error code. */
export class LabApiError extends ParityError {
  override readonly name: string = 'LabApiError';
  override readonly code: ErrorCode = ErrorCode.LabApi;
  constructor(
    readonly awsCode: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** True when err is a ParityError with this code. */
export function hasCode(err: unknown, code: ErrorCode): err is ParityError {
  return err instanceof ParityError && err.code === code;
}

/** The first line of an error's message (its name when the message is empty), or of a string. */
export function firstLine(value: unknown): string {
  if (value instanceof Error) return value.message.split('\n')[0] || value.name;
  return String(value).split('\n')[0];
}
