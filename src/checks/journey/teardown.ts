// A journey's `teardown` steps: what the app offers to delete a user's data (ChatMRPT's
// POST /api/data/clear), sent for every user the journey made once its steps are done, pass
// or fail. Bounded in time, reported in the evidence, and never part of the verdict: a
// teardown that fails leaves data behind, it does not make staging less of a twin.
import type { Journey, TeardownStep } from '../../config/schema.js';
import { HttpError } from '../../errors.js';
import type { JourneyTeardownEvidence } from '../../contract/evidence.js';
import type { TargetContext } from '../../contract/target.js';
import { NO_IDENTITY } from '../sample.js';
import { answeredBy, sendSpec } from '../user-requests.js';
import { hideSecrets, unmet, type JourneyUser } from './user.js';

/** The whole teardown of one journey check (all users, all steps). */
const TEARDOWN_BOUND_MS = 10_000;

export interface TeardownUser {
  variant: JourneyTeardownEvidence['variant'];
  user: JourneyUser;
}

/** `{name}`s of the journey's captures that `step` uses but the user never captured. */
function missingCaptures(journey: Journey, step: TeardownStep, user: JourneyUser): string[] {
  const names = new Set(journey.steps.flatMap((s) => Object.keys(s.capture ?? {})));
  const used = [...JSON.stringify(step.request).matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
  return [...new Set(used)].filter((n) => names.has(n) && user.vars[n] === undefined);
}

/**
 * Send the teardown steps for each user, in order, with the user's cookies as they are at the
 * end (the instance its last step ran on). Never throws for what the app answers or a network
 * failure; its own deadline (TEARDOWN_BOUND_MS), not the run's, so a journey cut short by the
 * run's deadline still cleans up.
 */
export async function runTeardown(
  ctx: TargetContext,
  journey: Journey,
  users: TeardownUser[],
  boundMs = TEARDOWN_BOUND_MS,
): Promise<JourneyTeardownEvidence[]> {
  const out: JourneyTeardownEvidence[] = [];
  if (journey.teardown.length === 0) return out;
  const tctx: TargetContext = { ...ctx, deadline: Date.now() + boundMs };
  for (const { variant, user } of users) {
    for (const step of journey.teardown) {
      const rec = { variant, step: step.name, method: step.request.method, path: step.request.path };
      const missing = missingCaptures(journey, step, user);
      if (Date.now() >= tctx.deadline || missing.length > 0) {
        const why =
          missing.length > 0
            ? `not sent: ${missing.map((n) => `{${n}}`).join(', ')} never captured`
            : `not sent: the teardown's ${boundMs / 1000} s were spent`;
        out.push({
          ...rec,
          instance: user.instance ?? NO_IDENTITY,
          status: null,
          latencyMs: 0,
          ok: false,
          reason: why,
        });
        continue;
      }
      try {
        const { res } = await sendSpec(tctx, step.request, {
          jar: user.jar,
          vars: user.vars,
          headers: user.headers,
        });
        const by = answeredBy(ctx, res);
        if (by !== undefined) user.instance = by;
        const bad = unmet(step.expect, res, user.vars);
        out.push({
          ...rec,
          instance: by ?? user.instance ?? NO_IDENTITY,
          status: res.status,
          latencyMs: Math.round(res.ms),
          ok: bad === undefined,
          reason: bad === undefined ? 'ok' : hideSecrets(user, bad),
        });
      } catch (err) {
        // A network failure or the teardown's own deadline: recorded, never thrown.
        const why = err instanceof HttpError ? `request failed: ${err.message}` : (err as Error).message;
        out.push({
          ...rec,
          instance: user.instance ?? NO_IDENTITY,
          status: null,
          latencyMs: 0,
          ok: false,
          reason: hideSecrets(user, why),
        });
      }
    }
  }
  return out;
}

/** "; teardown: "clear" failed for 1 of 2 users (answered 500: …)" for a diagnosis; "" when all went well. */
export function teardownNote(records: JourneyTeardownEvidence[]): string {
  const failed = records.filter((r) => !r.ok);
  if (failed.length === 0) return '';
  const first = failed[0]!;
  return `; teardown left data behind: step "${first.step}" for the ${first.variant} user ${first.reason}${failed.length > 1 ? ` (${failed.length} teardown steps failed)` : ''}`;
}
