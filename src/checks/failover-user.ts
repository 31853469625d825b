// The drill's user: a fresh journey user (its own cookie jar, the configured login, pinned to
// whichever instance answered first) that does the first part of its work there and the rest
// after that instance was taken away. The work: the session write (before) and read (after),
// which tell whether the session survived; and, when journeys are configured, the first
// journey's steps up to its first change of instance (before) and the remaining ones (after),
// which tell whether the user's data survived.
import type { Journey, JourneyStep } from '../config/schema.js';
import { fill } from '../http/request-spec.js';
import { HttpError } from '../errors.js';
import type { TargetContext } from '../contract/target.js';
import { forgetSessions, newJourneyUser, runStep, type JourneyUser } from './journey/user.js';
import { answeredBy, sendSpec } from './user-requests.js';

/** One request (or step) of the user, for the evidence (no cookie, token or body in it). */
export interface DrillStep {
  phase: 'before' | 'after';
  name: string;
  method: string;
  path: string;
  status: number | null;
  instance: string | null;
  ms: number;
  ok: boolean;
  tries?: number;
  /** A step that settled after retries: from its first try to the passing answer. */
  lagMs?: number | null;
  detail?: string;
}

/** What the user's work after the failover showed. `data: null`: no journey to test it with. */
export interface AfterOutcome {
  session: { survived: boolean; detail: string };
  data: { survived: boolean; detail: string; journey: string } | null;
}

export interface DrillUser {
  user: JourneyUser;
  /** The instance the user is pinned to (X); undefined: no identity in the answer. */
  pinnedTo: string | undefined;
  journey?: string;
  /** The first part of the work, on X. Throws when it cannot be done (the drill is then void). */
  before(): Promise<DrillStep[]>;
  /** The rest of the work, wherever the user's cookies now lead. Never throws for what the app answers. */
  after(): Promise<{ steps: DrillStep[]; outcome: AfterOutcome }>;
  /** Delete the user's session from staging's Redis (never production); best effort. */
  forget(): Promise<void>;
}

const is2xx = (s: number) => s >= 200 && s < 300;

/** A journey's steps before its first change of instance (at least the first step), and the rest. */
export function splitJourney(journey: Journey): { first: JourneyStep[]; rest: JourneyStep[] } {
  const at = journey.steps.findIndex((s, i) => i > 0 && (s.on ?? 'same') !== 'same');
  const cut = at === -1 ? Math.max(1, journey.steps.length - 1) : at;
  return { first: journey.steps.slice(0, cut), rest: journey.steps.slice(cut) };
}

export async function drillUser(ctx: TargetContext): Promise<DrillUser> {
  const user = await newJourneyUser(ctx);
  const pinnedTo = user.instance;
  const journey: Journey | undefined = ctx.config.journeys?.[0];
  const { first, rest } = journey ? splitJourney(journey) : { first: [], rest: [] };
  const s = ctx.app.session;

  const sessionRequest = async (phase: DrillStep['phase'], name: string, spec: typeof s.write) => {
    try {
      const { res } = await sendSpec(ctx, spec, { jar: user.jar, vars: user.vars, headers: user.headers });
      const instance = answeredBy(ctx, res) ?? null;
      if (instance) user.instance = instance;
      const rec: DrillStep = {
        phase,
        name,
        method: spec.method,
        path: spec.path,
        status: res.status,
        instance,
        ms: Math.round(res.ms),
        ok: is2xx(res.status),
      };
      return { rec, body: res.body };
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const rec: DrillStep = {
        phase,
        name,
        method: spec.method,
        path: spec.path,
        status: null,
        instance: null,
        ms: 0,
        ok: false,
        detail: `request failed: ${err.message}`,
      };
      return { rec, body: '' };
    }
  };
  const journeyStep = async (phase: DrillStep['phase'], step: JourneyStep): Promise<DrillStep> => {
    // After the failover the user stays where the load balancer re-pinned it: every step is "same".
    const o = await runStep(ctx, user, step);
    return {
      phase,
      name: step.name,
      method: step.request.method,
      path: step.request.path,
      status: o.status,
      instance: o.instance ?? null,
      ms: o.latencyMs,
      ok: o.ok,
      tries: o.tries,
      lagMs: o.lagMs,
      ...(o.ok ? {} : { detail: o.reason }),
    };
  };

  return {
    user,
    pinnedTo,
    ...(journey ? { journey: journey.name } : {}),
    async before() {
      const steps: DrillStep[] = [];
      const w = await sessionRequest('before', 'session write', s.write);
      steps.push(w.rec);
      if (!w.rec.ok) {
        throw new Error(
          `session write ${s.write.method} ${s.write.path} ${w.rec.status === null ? w.rec.detail : `answered ${w.rec.status}`}`,
        );
      }
      for (const step of first) {
        const rec = await journeyStep('before', step);
        steps.push(rec);
        if (!rec.ok) throw new Error(`journey ${journey!.name} step "${step.name}": ${rec.detail}`);
      }
      return steps;
    },
    async after() {
      const steps: DrillStep[] = [];
      const r = await sessionRequest('after', 'session read', s.read);
      const want = s.read.contains === undefined ? undefined : fill(s.read.contains, user.vars);
      const where = r.rec.instance ?? 'the other instance';
      const survived = r.rec.ok && (want === undefined || r.body.includes(want));
      r.rec.ok = survived;
      r.rec.detail =
        r.rec.status === null
          ? r.rec.detail
          : !is2xx(r.rec.status)
            ? `${s.read.method} ${s.read.path} answered ${r.rec.status} through ${where}`
            : survived
              ? `the marker written before the failover was read back through ${where}`
              : `the marker written before the failover is missing when read through ${where}`;
      steps.push(r.rec);
      const session = { survived, detail: r.rec.detail ?? '' };
      let data: AfterOutcome['data'] = null;
      if (journey && survived && rest.length > 0) {
        data = {
          survived: true,
          journey: journey.name,
          detail: `journey ${journey.name}: every step passed`,
        };
        for (const step of rest) {
          const rec = await journeyStep('after', step);
          steps.push(rec);
          if (!rec.ok) {
            data = {
              survived: false,
              journey: journey.name,
              detail: `journey ${journey.name} step "${step.name}" (done before on ${pinnedTo}: ${first.map((f) => f.name).join(', ')}) failed on ${rec.instance ?? 'the other instance'}: ${rec.detail}`,
            };
            break;
          }
        }
      }
      return { steps, outcome: { session, data } };
    },
    async forget() {
      await forgetSessions(ctx, [user]);
    },
  };
}
