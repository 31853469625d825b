// Time and retry bounds shared by every check: no request outlives its own timeout or the
// run's deadline, and only idempotent reads are retried, a bounded number of times.
import { DeadlineError, ErrorCode, hasCode, HttpError } from '../errors.js';
import type { CookieJar } from '../http/client.js';
import { probeInstance, type Probe } from '../http/identity.js';
import { deadlineShare, type TargetContext } from '../contract/target.js';
import { sleep } from '../util.js';

const REQUEST_TIMEOUT_MS = 5000;
const READ_RETRIES = 2;

export function pastDeadline(ctx: TargetContext): boolean {
  return Date.now() >= ctx.deadline;
}

/** A request's timeout: its own, cut to what is left of the run's deadline. */
export function timeoutFor(ctx: TargetContext, ms = REQUEST_TIMEOUT_MS): number {
  const left = ctx.deadline - Date.now();
  if (left <= 0) throw new DeadlineError(`run deadline reached while probing ${ctx.name} (${ctx.env.url})`);
  return Math.min(ms, left);
}

// Targets that timed out in this run (checks of one run share this module): later reads
// fail at once instead of each waiting out its own timeout against a dead ALB.
const timedOut = new Map<string, string>();
const isTimeout = (err: unknown) => hasCode(err, ErrorCode.HttpTimeout);

/**
 * Run a read. Refused/reset connections are retried with a short backoff, within the
 * deadline; a timeout is not retried (it already waited its full time) and is remembered.
 */
export async function withRetries<T>(
  ctx: TargetContext,
  op: (timeoutMs: number) => Promise<T>,
  retries = READ_RETRIES,
): Promise<T> {
  const known = timedOut.get(ctx.env.url);
  if (known) throw new HttpError(`${known} (earlier in this run; not tried again)`);
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(timeoutFor(ctx));
    } catch (err) {
      if (isTimeout(err)) timedOut.set(ctx.env.url, (err as Error).message);
      if (!(err instanceof HttpError) || isTimeout(err) || attempt >= retries || pastDeadline(ctx)) throw err;
      await sleep(Math.min(100 * 2 ** attempt, ctx.deadline - Date.now()));
    }
  }
}

/**
 * The context for the first of `parts` stages of one check (a journey's pinned run before its
 * hopping run): an even share of what is left of the check's deadline, so the first stage
 * cannot leave nothing to the next.
 */
export function stageShare(ctx: TargetContext, parts: number): TargetContext {
  return { ...ctx, deadline: deadlineShare(Date.now(), ctx.deadline, parts - 1, 0) };
}

/** Which instance answers (see probeInstance), with the bounds above. */
export function probe(ctx: TargetContext, jar?: CookieJar): Promise<Probe> {
  return withRetries(ctx, (timeoutMs) => probeInstance(ctx, { jar, timeoutMs }));
}
