// The journey users of `parity watch` (staging only: they write): each loops the configured
// journeys for the watch's duration the way a real user does, with its own cookie jar and
// sticky cookie. It never chooses an instance (`on: other`/`on: any` are ignored: the deploy
// is what moves it), each step is sent once (settle retries only where the step declares
// them), captures carry from step to step, and the journey's teardown runs after every loop
// (bounded, never in the verdict). The steps are the journey runner's own (runStep).
import { getMaxListeners, setMaxListeners } from 'node:events';
import type { Journey } from '../config/schema.js';
import { firstLine } from '../errors.js';
import { scrubText } from '../secrets.js';
import type { TargetContext } from '../contract/target.js';
import { forgetSessions, newJourneyUser, runStep, type JourneyUser } from './journey/user.js';
import { runTeardown } from './journey/teardown.js';
import { pause } from './watch-users.js';

/** One step of a journey user's loop, as it saw it (ms since the watch started). */
interface JourneyStepSample {
  step: string;
  t: number;
  /** Who answered (or, for an answer without identity, the instance the user was pinned to). */
  instance?: string;
  status: number | null;
  ok: boolean;
  /** One line, redacted: "ok" or what was expected and what came back. */
  reason: string;
  /** A failed step: a short, redacted excerpt of the app's answer. */
  answer?: string;
  tries: number;
}

/** One loop of one journey by one journey user. */
export interface JourneyLoop {
  /** 1-based: "journey user 2". */
  user: number;
  journey: string;
  /** 1-based, per user. */
  loop: number;
  startMs: number;
  steps: JourneyStepSample[];
  /** Teardown steps that did not succeed (data left behind; not part of the verdict). */
  teardownFailed: number;
}

export interface WatchJourneyOptions {
  users: number;
  journeys: Journey[];
  signal: AbortSignal;
  /** Hard bound of the whole watch, ms. */
  maxMs: number;
  /** Time 0 of the watch (performance.now()). */
  t0: number;
  onLoop?: (l: JourneyLoop) => void;
}

/** A user's pause between two steps (it reads the answer); none between a loop's last step and the next loop's first. */
const THINK_MS = 1000;
/** Longest a step may take beyond its own settle window. */
const STEP_BOUND_MS = 10_000;
/** A loop's teardown (all its steps). */
const TEARDOWN_BOUND_MS = 5000;
/** A user that could not start (the login refused) tries again after this long. */
const RESTART_PAUSE_MS = 2000;

/** Run the journey users until the signal aborts (or maxMs); their loops in the order they ended. */
export async function watchJourneys(ctx: TargetContext, o: WatchJourneyOptions): Promise<JourneyLoop[]> {
  const loops: JourneyLoop[] = [];
  const journeys = o.journeys.filter((j) => j.steps.length > 0);
  if (o.users <= 0 || journeys.length === 0) return loops;
  const now = () => Math.round(performance.now() - o.t0);
  const end = o.t0 + o.maxMs;
  const live = () => !o.signal.aborted && performance.now() < end;
  const made: JourneyUser[] = [];
  // Each user waits on the signal too (one listener at a time each), beside the sticky users.
  setMaxListeners(getMaxListeners(o.signal) + o.users, o.signal);

  const one = async (user: number): Promise<void> => {
    await pause(((THINK_MS * (user - 1)) / o.users) | 0, o.signal); // spread the users
    let loop = 0;
    let u: JourneyUser | undefined;
    while (live()) {
      if (!u) {
        const t = now();
        try {
          u = await newJourneyUser(stepContext(ctx, 0));
          made.push(u);
        } catch (err) {
          const journey = journeys[0]!.name;
          const reason = scrubText(`could not start: ${firstLine(err)}`);
          record({
            user,
            journey,
            loop: ++loop,
            startMs: t,
            teardownFailed: 0,
            steps: [failedStart(t, reason)],
          });
          await pause(RESTART_PAUSE_MS, o.signal);
          continue;
        }
      }
      for (const journey of journeys) {
        if (!live()) break;
        record(await runLoop(ctx, u, journey, { user, loop: ++loop, now, live, signal: o.signal }));
      }
    }
  };
  const record = (l: JourneyLoop) => {
    loops.push(l);
    o.onLoop?.(l);
  };

  await Promise.all(Array.from({ length: o.users }, (_, i) => one(i + 1)));
  // Their session keys too, as the journey checks do (best effort, never on production).
  await forgetSessions(ctx, made);
  return loops;
}

/** One loop: the journey's steps in order until one fails, then its teardown. */
async function runLoop(
  ctx: TargetContext,
  user: JourneyUser,
  journey: Journey,
  o: { user: number; loop: number; now: () => number; live: () => boolean; signal: AbortSignal },
): Promise<JourneyLoop> {
  const steps: JourneyStepSample[] = [];
  const startMs = o.now();
  for (const [i, step] of journey.steps.entries()) {
    if (i > 0) {
      await pause(THINK_MS, o.signal);
      if (!o.live()) break;
    }
    const t = o.now();
    try {
      const r = await runStep(stepContext(ctx, (step.settleSeconds ?? 0) * 1000), user, step, { once: true });
      steps.push({
        step: step.name,
        t,
        instance: r.instance,
        status: r.status,
        ok: r.ok,
        reason: r.reason,
        ...(r.answer ? { answer: r.answer } : {}),
        tries: r.tries,
      });
      if (!r.ok) break;
    } catch (err) {
      // The step's own time bound (a DeadlineError): recorded as what the user saw.
      steps.push({
        step: step.name,
        t,
        instance: user.instance,
        status: null,
        ok: false,
        reason: firstLine(err),
        tries: 1,
      });
      break;
    }
  }
  const teardown = await runTeardown(ctx, journey, [{ variant: 'pinned', user }], TEARDOWN_BOUND_MS);
  return {
    user: o.user,
    journey: journey.name,
    loop: o.loop,
    startMs,
    steps,
    teardownFailed: teardown.filter((t) => !t.ok).length,
  };
}

/** The context of one step: its settle window plus a bound, within the watch's own deadline. */
function stepContext(ctx: TargetContext, settleMs: number): TargetContext {
  return { ...ctx, deadline: Math.min(ctx.deadline, Date.now() + settleMs + STEP_BOUND_MS) };
}

function failedStart(t: number, reason: string): JourneyStepSample {
  return { step: '(start)', t, status: null, ok: false, reason, tries: 1 };
}
