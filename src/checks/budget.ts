// Time and retry bounds shared by every check: no request outlives its own timeout or the
// run's deadline, and only idempotent reads are retried, a bounded number of times.
import { CannotRunError } from '../errors.js';
import { HttpError, type CookieJar } from '../http/client.js';
import { probeInstance, type Probe } from '../http/identity.js';
import type { TargetContext } from './types.js';

export const REQUEST_TIMEOUT_MS = 5000;
const READ_RETRIES = 2;

export class DeadlineError extends CannotRunError {}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export function pastDeadline(ctx: TargetContext): boolean {
  return Date.now() >= ctx.deadline;
}

/** A request's timeout: its own, cut to what is left of the run's deadline. */
export function timeoutFor(ctx: TargetContext, ms = REQUEST_TIMEOUT_MS): number {
  const left = ctx.deadline - Date.now();
  if (left <= 0) throw new DeadlineError(`run deadline reached while probing ${ctx.name} (${ctx.env.url})`);
  return Math.min(ms, left);
}

/** Run a read; network errors (HttpError) are retried with a short backoff, within the deadline. */
export async function withRetries<T>(
  ctx: TargetContext,
  op: (timeoutMs: number) => Promise<T>,
  retries = READ_RETRIES,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(timeoutFor(ctx));
    } catch (err) {
      if (!(err instanceof HttpError) || attempt >= retries || pastDeadline(ctx)) throw err;
      await sleep(Math.min(100 * 2 ** attempt, ctx.deadline - Date.now()));
    }
  }
}

/** Which instance answers (see probeInstance), with the bounds above. */
export function probe(ctx: TargetContext, jar?: CookieJar): Promise<Probe> {
  return withRetries(ctx, (timeoutMs) => probeInstance(ctx, { jar, timeoutMs }));
}
