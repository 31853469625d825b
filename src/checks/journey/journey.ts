// journey.<name>: a user's workflow, run twice with fresh users: pinned (every step on one
// instance: does the workflow itself work?) and hopping (each step on the instance its `on`
// asks for: does the user's work follow them to another instance?). The two runs together
// tell the diagnoses apart (see judgeJourney and docs/journeys.md).
import type { Journey, JourneyStep } from '../../config/schema.js';
import { assertMethodAllowed, type CookieJar } from '../../http/client.js';
import { firstLine } from '../../errors.js';
import { fill } from '../../http/request-spec.js';
import { timed, type CheckResultOf, type CheckStatus } from '../../contract/result.js';
import type { JourneyId } from '../../contract/evidence.js';
import type { TargetContext } from '../../contract/target.js';
import { formatTally, NO_IDENTITY, tally } from '../sample.js';
import { stageShare } from '../budget.js';
import { holdsSticky, sendSpec, withoutSticky } from '../user-requests.js';
import {
  findOtherInstance,
  forgetSessions,
  newJourneyUser,
  runStep,
  type JourneyUser,
  type StepOutcome,
} from './user.js';
import { runTeardown, teardownNote, type TeardownUser } from './teardown.js';
import { pendingTeardowns } from './pending.js';
import type { JourneyStepEvidence, JourneyVariantEvidence, Same } from '../../contract/evidence.js';

type Variant = 'pinned' | 'hopping';

/** What the evidence keeps of a step's outcome (not its epoch times). */
type SentStep = Omit<StepOutcome, 'startedAt' | 'finishedAt'>;

/** One step as run, for evidence: no cookies, no tokens, no request bodies. */
export interface StepRecord extends Omit<SentStep, 'instance'> {
  step: string;
  method: string;
  path: string;
  /** The pinning this run used (pinned: always "same"). */
  on: JourneyStep['on'];
  instance: string;
  /** Start of the step's first try, ms after the variant's user was created. */
  atMs: number;
  /** on: other: where the harmless GETs that looked for another instance landed. */
  hop?: { from: string; landed: Record<string, number> };
}

type VariantOutcome =
  | 'passed'
  | 'step-failed'
  /** on: other, but every try answered from the previous step's instance. */
  | 'no-other-instance'
  /** on: other found another instance, but its answer set no sticky cookie to pin the step there. */
  | 'not-pinned'
  /** on: other was pinned to another instance, but the step answered from the previous one. */
  | 'hop-not-held';

export interface VariantRun {
  variant: Variant;
  outcome: VariantOutcome;
  /** The step that failed or could not be placed. */
  atStep?: string;
  steps: StepRecord[];
  /** Instances the steps ran on, in order of first use. */
  instances: string[];
  /** For a failed hop: did the session follow to the failing instance? (followed null: could not tell) */
  session?: { read: string; followed: boolean | null };
}

const idOf = (i: string | undefined) => i ?? NO_IDENTITY;

/** Did the session reach `there`? The configured session read (a GET) with the user's cookies
 * on the instance of the earlier steps and on `there`: only when the earlier instance shows
 * the marker is its absence on `there` a sign the session did not follow. */
async function sessionFollowed(
  ctx: TargetContext,
  user: JourneyUser,
  earlier: CookieJar | undefined,
): Promise<boolean | null> {
  const read = ctx.app.session.read;
  if (read.method !== 'GET' && read.method !== 'HEAD') return null;
  if (read.contains === undefined || !earlier) return null;
  const want = fill(read.contains, user.vars);
  const shows = async (jar: CookieJar) => {
    const { res } = await sendSpec(ctx, read, { jar, vars: user.vars, headers: user.headers });
    return res.status >= 200 && res.status < 300 && res.body.includes(want);
  };
  try {
    if (!(await shows(earlier))) return null;
    return await shows(user.jar);
  } catch {
    return null; // a cross-check only: never turns the diagnosis into an error
  }
}

const cloneJar = (jar: CookieJar) => jar.clone();

/**
 * One run of the journey with a fresh user; `pinned` keeps every step on the first instance.
 * `onUser` receives the user as soon as it exists (to clean up its session afterwards).
 */
async function runVariant(
  ctx: TargetContext,
  journey: Journey,
  variant: Variant,
  onUser: (user: JourneyUser) => void = () => {},
  afterStep: (user: JourneyUser) => void = () => {},
): Promise<VariantRun> {
  const user = await newJourneyUser(ctx);
  onUser(user);
  afterStep(user);
  const t0 = Date.now();
  const steps: StepRecord[] = [];
  const instances: string[] = [];
  // Each instance's cookies as last used there, for the session cross-check after a failed hop.
  const jars = new Map<string, CookieJar>();
  let prev = user.instance;
  const done = (outcome: VariantOutcome, atStep?: string, more: Partial<VariantRun> = {}): VariantRun => ({
    variant,
    outcome,
    ...(atStep ? { atStep } : {}),
    steps,
    instances,
    ...more,
  });
  for (const step of journey.steps) {
    const on = variant === 'pinned' ? 'same' : step.on;
    let hop: StepRecord['hop'];
    if (on === 'other') {
      const found = await findOtherInstance(ctx, user, prev);
      hop = { from: idOf(prev), landed: tally(found.landed) };
      if (!found.instance || !found.pinned) {
        steps.push(notRun(step, on, hop, Date.now() - t0, found.instance));
        return done(found.instance ? 'not-pinned' : 'no-other-instance', step.name);
      }
    } else if (on === 'any') {
      user.jar = await withoutSticky(ctx, user.jar);
    }
    const r = await runStep(ctx, user, step);
    afterStep(user);
    const rec = record(step, on, r, r.startedAt - t0, hop);
    steps.push(rec);
    if (r.instance !== undefined && !instances.includes(r.instance)) instances.push(r.instance);
    if (!r.ok) {
      const hopped = r.instance !== undefined && steps.slice(0, -1).some((s) => s.instance !== r.instance);
      if (variant === 'hopping' && hopped) {
        const earlier = steps.slice(0, -1).find((s) => s.instance !== r.instance)?.instance;
        const read = ctx.app.session.read;
        const followed = await sessionFollowed(ctx, user, earlier ? jars.get(earlier) : undefined);
        return done('step-failed', step.name, { session: { read: `${read.method} ${read.path}`, followed } });
      }
      return done('step-failed', step.name);
    }
    if (on === 'other' && r.instance !== undefined && r.instance === prev)
      return done('hop-not-held', step.name);
    if (r.instance !== undefined && (await holdsSticky(ctx, user.jar)))
      jars.set(r.instance, await cloneJar(user.jar));
    prev = r.instance ?? prev;
  }
  return done('passed');
}

function record(
  step: JourneyStep,
  on: JourneyStep['on'],
  r: SentStep,
  atMs: number,
  hop?: StepRecord['hop'],
): StepRecord {
  return {
    step: step.name,
    method: step.request.method,
    path: step.request.path,
    on,
    instance: idOf(r.instance),
    status: r.status,
    latencyMs: r.latencyMs,
    tries: r.tries,
    lagMs: r.lagMs,
    ok: r.ok,
    reason: r.reason,
    atMs,
    ...(r.settleSeconds !== undefined ? { settleSeconds: r.settleSeconds } : {}),
    ...(r.cutShort ? { cutShort: true } : {}),
    ...(r.waitedMs !== undefined ? { waitedMs: r.waitedMs } : {}),
    ...(r.alsoAnsweredFrom ? { alsoAnsweredFrom: r.alsoAnsweredFrom } : {}),
    ...(hop ? { hop } : {}),
    ...(r.answer !== undefined ? { answer: r.answer } : {}),
    ...(r.captured ? { captured: r.captured } : {}),
    ...(r.stream ? { stream: r.stream } : {}),
  };
}

/** A step that was never sent, because no other instance could be pinned for it. */
function notRun(
  step: JourneyStep,
  on: JourneyStep['on'],
  hop: StepRecord['hop'],
  atMs: number,
  found: string | undefined,
): StepRecord {
  const reason = found
    ? `not sent: ${found} answered, but set no sticky cookie to pin the step there`
    : 'not sent: no other instance answered';
  const unsent = { instance: found, status: null, latencyMs: 0, tries: 0, lagMs: null, ok: false, reason };
  return record(step, on, unsent, atMs, hop);
}

const q = (s: string) => `"${s}"`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** "upload on i-a → analyze on i-b" */
const path = (steps: StepRecord[]) => steps.map((s) => `${s.step} on ${s.instance}`).join(' → ');

/** A step whose settle window the deadline cut: the step, the window and how long it waited. */
const notSettled = (s: StepRecord) =>
  `step ${q(s.step)} on ${s.instance} had not settled when its share of the run's deadline ended its ${s.settleSeconds} s window after ${secs(s.waitedMs ?? 0)} (${s.tries} tries; last: ${s.reason})`;

/** The check's status and one-line diagnosis from the two runs. Pure. */
export function judgeJourney(
  journey: Journey,
  pinned: VariantRun,
  hopping: VariantRun,
  stickyCookie = 'AWSALB',
): { status: CheckStatus; diagnosis: string } {
  const name = journey.name;
  const failedOf = (v: VariantRun) => v.steps.find((s) => s.step === v.atStep);
  if (pinned.outcome !== 'passed') {
    const s = failedOf(pinned)!;
    if (s.cutShort) return { status: 'error', diagnosis: `${name}: ${notSettled(s)}` };
    const moved =
      pinned.instances.length > 1
        ? ` (the steps did not stay on one instance: ${pinned.instances.join(', ')})`
        : '';
    return {
      status: s.status === null ? 'error' : 'fail',
      diagnosis: `${name}: the workflow fails even on one instance: step ${q(s.step)} on ${s.instance} ${s.reason}${moved}`,
    };
  }
  if (hopping.outcome === 'passed') {
    const lag = hopping.steps
      .filter((x) => x.lagMs !== null && x.lagMs > 0)
      .map(
        (x) =>
          `${q(x.step)} on ${x.instance} passed after a lag of ${secs(x.lagMs!)} (${x.tries} tries, settleSeconds ${x.settleSeconds})`,
      );
    return {
      status: 'pass',
      diagnosis: `${name}: passed pinned (on ${pinned.instances.join(', ') || NO_IDENTITY}) and hopping (${path(hopping.steps)})${lag.length ? `; ${lag.join('; ')}` : ''}`,
    };
  }
  const s = failedOf(hopping);
  if (!s) return { status: 'error', diagnosis: `${name}: hopping stopped without a failed step recorded` };
  return { status: 'fail', ...hopFailure(name, hopping, s, stickyCookie) };
}

/** Why the hopping run failed at step `s` (the pinned run passed). */
function hopFailure(
  name: string,
  hopping: VariantRun,
  s: StepRecord,
  stickyCookie: string,
): { status?: CheckStatus; diagnosis: string } {
  const step = q(s.step);
  switch (hopping.outcome) {
    case 'no-other-instance': {
      const landed = s.hop?.landed ?? {};
      const tries = Object.values(landed).reduce((a, b) => a + b, 0);
      return {
        diagnosis: `${name}: the other instance could not be reached for step ${step}: ${tries} tries without the sticky cookie all answered from ${formatTally(landed)}`,
      };
    }
    case 'not-pinned':
      return {
        diagnosis: `${name}: another instance (${s.instance}) answered for step ${step}, but it set no ${stickyCookie} cookie to pin the step there: is stickiness on?`,
      };
    case 'hop-not-held':
      return {
        diagnosis: `${name}: step ${step} was pinned to another instance but answered from ${s.instance} again: the ${stickyCookie} cookie did not hold it there`,
      };
    default:
      break;
  }
  const before = hopping.steps.slice(0, hopping.steps.indexOf(s));
  const elsewhere = before.filter((x) => x.instance !== s.instance);
  const after = elsewhere.length
    ? ` after ${elsewhere.map((x) => `${q(x.step)} on ${x.instance}`).join(', ')}`
    : '';
  if (s.status === null && s.settleSeconds === undefined) {
    return {
      status: 'error',
      diagnosis: `${name}: hopping, step ${step} on ${s.instance} could not be sent: ${s.reason}`,
    };
  }
  if (s.cutShort) return { status: 'error', diagnosis: `${name}: hopping, ${notSettled(s)}` };
  const head = `${name}: works pinned, but step ${step} fails on ${s.instance}${after}`;
  if (hopping.session?.followed === false) {
    return {
      diagnosis: `${head}: ${s.reason}; the session did not follow the user (${hopping.session.read} on ${s.instance} does not show what the earlier instance shows; see sessions.shared-http)`,
    };
  }
  const what =
    s.settleSeconds !== undefined
      ? `never settled within ${s.settleSeconds} s (${s.tries} tries; last: ${s.reason})`
      : s.reason;
  // Within a settle window "never copied" and "copied later" look the same: say both.
  const where =
    s.settleSeconds !== undefined
      ? `${s.instance} within ${s.settleSeconds} s (instance-local state, or a copy slower than that)`
      : `${s.instance} (instance-local state)`;
  const cause =
    hopping.session?.followed === true
      ? `the session is shared but the data is not: it did not follow the session to ${where}`
      : `the data did not follow the user to ${where.replace('(instance-local state)', '(instance-local state?)')}`;
  return { diagnosis: `${head}: ${what}; ${cause}` };
}

/** The first request of the journey (or the login) that a role: production target refuses. */
function refusal(ctx: TargetContext, journey: Journey): string | undefined {
  try {
    const login = ctx.app.session.login;
    if (login) assertMethodAllowed(ctx.env, login.method, ctx.allowProductionWrites);
    for (const step of [...journey.steps, ...journey.teardown])
      assertMethodAllowed(ctx.env, step.request.method, ctx.allowProductionWrites);
    return undefined;
  } catch (err) {
    return firstLine(err);
  }
}

/** journey.<name>: pinned, then hopping, each with a fresh user. */
export function journeyCheck(
  ctx: TargetContext,
  journey: Journey,
  opts: {
    /** PARITY_TEARDOWN_PENDING: where the CLI finds the teardown after a stop. */ pendingDir?: string;
  } = {},
): Promise<CheckResultOf<JourneyId>> {
  return timed(`journey.${journey.name}` as JourneyId, ctx.name, async () => {
    const refused = refusal(ctx, journey);
    if (refused)
      return {
        status: 'skip',
        diagnosis: `${journey.name}: ${refused}`,
        evidence: { journey: journey.name },
      };
    const users: TeardownUser[] = [];
    const pending = pendingTeardowns(ctx, journey, opts.pendingDir);
    // Teardown first (it needs the users' sessions), then their session keys.
    const finish = async () => {
      const teardown = await runTeardown(ctx, journey, users);
      pending.clear();
      const cleanup = await forgetSessions(
        ctx,
        users.map((u) => u.user),
      );
      return { teardown, cleanup };
    };
    const run = (variant: Variant, on: TargetContext = ctx) =>
      runVariant(
        on,
        journey,
        variant,
        (user) => users.push({ variant, user }),
        (user) => pending.save(variant, user),
      );
    let pinned: VariantRun, hopping: VariantRun;
    try {
      // The pinned run gets half of the check's time, so that a step that never settles leaves
      // the hopping run (and the teardown and cleanup) the other half, not a deadline already passed.
      pinned = await run('pinned', stageShare(ctx, 2));
      hopping = await run('hopping');
    } catch (err) {
      await finish();
      throw err;
    }
    const verdict = judgeJourney(journey, pinned, hopping, ctx.app.sticky.cookie);
    const { teardown, cleanup } = await finish();
    return {
      status: verdict.status,
      diagnosis: verdict.diagnosis + teardownNote(teardown),
      evidence: {
        journey: journey.name,
        variants: { pinned, hopping },
        cleanup,
        ...(journey.teardown.length ? { teardown } : {}),
      },
    };
  });
}

// The evidence contract (src/contract/evidence.ts) describes this shape exactly.
const _stepInContract: Same<StepRecord, JourneyStepEvidence> = true;
void _stepInContract;
const _variantInContract: Same<VariantRun, JourneyVariantEvidence> = true;
void _variantInContract;
