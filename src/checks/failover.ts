// failover.sticky, the failover drill: a sticky user loses their instance the way a deploy or
// a failure takes it away, and must keep working.
//   1. a fresh user does the first part of its work pinned to instance X, while a light
//      background load of sticky clients runs;
//   2. X is deregistered from its target group (ELBv2 DeregisterTargets);
//   3. the user's next requests must land on another instance (the ALB re-pins and re-issues
//      the cookie), its session must still be there, and the rest of its work must succeed;
//   4. X is registered again (RegisterTargets) and the drill waits, bounded by the target
//      group's own health-check timing, until it is healthy and answers again.
// X is registered again whatever happens after step 2 (finally). Disruptive: it runs only when
// the context allows it (--disruptive, or the embedded lab), never on role: production.
import { rmSync } from 'node:fs';
import { elbv2, type Elbv2 } from '../aws/client.js';
import { effectiveEndpoint } from '../config/aws-endpoints.js';
import {
  deregisterTarget,
  drillTargetGroups,
  registerCommandLine,
  registerTarget,
  targetStates,
  type DrillTarget,
  type DrillTargetGroup,
  type PendingRestore,
} from '../aws/drill.js';
import { notApplied } from '../aws/errors.js';
import { firstLine } from '../errors.js';
import { takeLock } from '../process/pid-lock.js';
import { writeOutputSync } from '../io/output.js';
import { CookieJar } from '../http/client.js';
import { urlOf } from '../http/identity.js';
import { runLoad } from '../load/driver.js';
import { statusCodesOf, type LoadData } from '../load/result.js';
import { pastDeadline, probe } from './budget.js';
import { sleep } from '../util.js';
import {
  completeCheck,
  timed,
  type CheckResult,
  type CheckResultOf,
  type Verdict,
} from '../contract/result.js';
import { drillUser, type AfterOutcome, type DrillStep, type DrillUser } from './failover-user.js';
import { withoutSticky } from './user-requests.js';
import type { TargetContext, TargetHealthRow } from '../contract/target.js';
import type { DrillObservationEvidence, Same } from '../contract/evidence.js';

const FAILOVER_ID = 'failover.sticky';
type FailoverResult = CheckResultOf<typeof FAILOVER_ID>;

export interface DrillOptions {
  /** Background sticky clients (connections), default 10. */
  connections?: number;
  /** The user; default: a journey user (session write/read, and the first journey's steps). */
  user?: (ctx: TargetContext) => Promise<DrillUser>;
  /**
   * A file written just before DeregisterTargets and removed once RegisterTargets succeeded:
   * whoever finds it (the CLI, after a crash or a signal) knows what to put back.
   */
  pendingFile?: string;
  /** Called with a loud line when X could not be put back. */
  alarm?: (line: string) => void;
  /**
   * A lock file (src/process/pid-lock.ts) held from before the drill looks at the targets
   * until X is back: a second drill of the same lab or load balancer refuses at once.
   */
  lockFile?: string;
}

interface BackgroundSummary {
  connections: number;
  requests: number;
  /** Requests without a response (connection cut, timeout). */
  transportErrors: number;
  /** Responses outside 2xx. */
  non2xx: number;
  statusCodes: Record<string, number>;
  perInstance: Record<string, number>;
  /** Clients that received answers from a second instance (re-pinned when X left). */
  clientsRePinned: number;
  durationSeconds: number;
}

/** Everything the drill observed; the verdict is a pure function of it. */
export interface DrillObservation {
  from: string;
  /** The journey whose steps the user ran (null: the session write/read only). */
  journey: string | null;
  to: string | null;
  targetGroup: string;
  deregistrationDelaySeconds: number;
  healthCheck: DrillTargetGroup['healthCheck'];
  /** DescribeTargetHealth state of X right after DeregisterTargets. */
  stateAfterDeregister: string | null;
  /** ms from DeregisterTargets answered to the user's first answer from another instance. */
  rePinMs: number | null;
  rePinTries: number;
  /**
   * Who answered the user's next requests, sent with the cookie the new instance's answer set:
   * the ALB sets its cookie on every answer, so only this proves the user is pinned again.
   */
  pinnedAfter: string[];
  steps: DrillStep[];
  outcome: AfterOutcome | null;
  background: BackgroundSummary | null;
  /** ms until X left DescribeTargetHealth (the drain completed); null: not waited for. */
  drainedMs: number | null;
  drainNote?: string;
  restore: {
    registered: boolean;
    error?: string;
    command: string;
    statesSeen: string[];
    /** ms from RegisterTargets to healthy in DescribeTargetHealth. */
    healthyMs: number | null;
    /** X answered through the load balancer again. */
    answered: boolean;
    boundMs: number;
  } | null;
  targetsAfter: TargetHealthRow[];
  /** The user's work failed before the failover (no point judging what follows). */
  beforeError?: string;
  /** The drill did not start: the environment is not in a state for it (a failure of its own). */
  precondition?: string;
  /** The drill took nothing out: why (another drill or a deploy at work, DeregisterTargets refused). */
  refused?: string;
  /** X was (or may have been) taken out and was registered again at once: why. */
  interrupted?: string;
}

const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Pass or fail, and one line naming every problem. Pure. */
export function judgeDrill(o: DrillObservation): Pick<CheckResult, 'status' | 'diagnosis'> & {
  status: 'pass' | 'fail' | 'error';
} {
  const problems: string[] = [];
  const r = o.restore;
  if (r && !r.registered) {
    problems.push(
      `${o.from} NOT RESTORED: RegisterTargets failed (${r.error ?? 'unknown'}); put it back by hand: ${r.command}`,
    );
  } else if (r && r.healthyMs === null) {
    problems.push(
      `${o.from} was registered again but not healthy within ${s1(r.boundMs)} (states seen: ${r.statesSeen.join(' → ') || 'none'})`,
    );
  } else if (r && !r.answered) {
    problems.push(`${o.from} is healthy again but did not answer through the load balancer`);
  }
  // The drill stopped short: its reason is the whole story (the user and the load were cut off).
  const short = o.refused ?? o.interrupted ?? o.precondition;
  if (short !== undefined) {
    const line = o.precondition !== undefined ? `the drill did not start: ${short}` : short;
    // A target not put back is the first thing said; a refusal that took nothing out is no
    // failure of the environment, only a drill that could not run.
    if (problems.length) return { status: 'fail', diagnosis: [...problems, line].join('; ') };
    return { status: o.refused !== undefined ? 'error' : 'fail', diagnosis: line };
  }
  if (o.beforeError)
    problems.unshift(`the user's work failed on ${o.from} before the failover: ${o.beforeError}`);
  else if (o.to === null) {
    problems.unshift(
      `the user's requests still landed on ${o.from} after DeregisterTargets (${o.rePinTries} tries): the load balancer did not re-pin the user`,
    );
  } else {
    const strays = o.pinnedAfter.filter((i) => i !== o.to);
    if (o.pinnedAfter.length === 0 || strays.length)
      problems.push(
        `the cookie set by ${o.to}'s answer does not pin the user there: the next ${o.pinnedAfter.length} requests reached ${o.pinnedAfter.join(' → ') || 'nothing'}`,
      );
    if (o.outcome && !o.outcome.session.survived) {
      problems.push(`session lost after the failover from ${o.from} to ${o.to}: ${o.outcome.session.detail}`);
    } else if (o.outcome?.data && !o.outcome.data.survived) {
      problems.push(
        `the session survived the failover from ${o.from} to ${o.to} but the data did not survive: ${o.outcome.data.detail}`,
      );
    }
  }
  const b = o.background;
  if (b && b.transportErrors + b.non2xx > 0) {
    const codes = Object.entries(b.statusCodes)
      .filter(([c]) => Number(c) < 200 || Number(c) >= 300)
      .map(([c, n]) => `${c}×${n}`);
    if (b.transportErrors) codes.push(`no response×${b.transportErrors}`);
    problems.push(
      `${b.transportErrors + b.non2xx} of ${b.requests} background requests failed during the switch (${codes.join(', ')}): the load balancer did not drain ${o.from} (in-flight requests cut)`,
    );
  }
  if (problems.length) return { status: 'fail', diagnosis: problems.join('; ') };
  const bg = b
    ? `; background: 0 errors in ${b.requests} requests (${b.clientsRePinned} clients re-pinned)`
    : '';
  const data = o.outcome?.data ? 'session and data survived' : 'the session survived';
  return {
    status: 'pass',
    diagnosis: `user re-pinned from ${o.from} to ${o.to} ${o.rePinMs} ms after DeregisterTargets; ${data}${bg}; ${o.from} healthy again ${s1(r?.healthyMs ?? 0)} after RegisterTargets`,
  };
}

/** Why the drill does not run in this context, or undefined when it may. */
function drillRefusal(ctx: TargetContext): FailoverResult | undefined {
  const skip = (diagnosis: string): FailoverResult =>
    completeCheck({
      id: FAILOVER_ID,
      env: ctx.name,
      status: 'skip',
      durationMs: 0,
      diagnosis,
      evidence: { ran: false },
    });
  if (ctx.env.role === 'production') {
    return skip(
      `refused: the failover drill never runs on a role: production environment (${ctx.name}); there is no override`,
    );
  }
  if (ctx.env.role !== 'staging') {
    return skip(
      `refused: the failover drill runs only on a role: staging environment (${ctx.name} is ${ctx.env.role})`,
    );
  }
  if (!ctx.disruptive) {
    return skip(
      `not run: the failover drill deregisters an instance of ${ctx.name} for a while; pass --disruptive to run it (it runs by default against the embedded lab)`,
    );
  }
  return undefined;
}

const PIN_PROBES = 3;
const BETWEEN_ANSWERS_MS = 150;

/** Who answers the next few requests with the jar as the re-pinning answer left it. */
async function pinnedAfter(ctx: TargetContext, jar: CookieJar): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < PIN_PROBES; i++) {
    const p = await probe(ctx, jar).catch(() => undefined);
    seen.push(p?.instance ?? (p ? `HTTP ${p.response.status}` : 'no answer'));
  }
  return seen;
}

/** Poll `fn` every `everyMs` until it returns a value, for at most `ms` (and the run's deadline). */
async function until<T>(ctx: TargetContext, ms: number, everyMs: number, fn: () => Promise<T | undefined>) {
  const end = Math.min(Date.now() + ms, ctx.deadline);
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(Math.min(everyMs, end - Date.now()));
  }
  return undefined;
}

function summarizeBackground(d: LoadData): BackgroundSummary {
  const codes = statusCodesOf(d);
  const non2xx = Object.entries(codes)
    .filter(([c]) => Number(c) < 200 || Number(c) >= 300)
    .reduce((n, [, k]) => n + k, 0);
  return {
    connections: d.connections,
    requests: d.responses + d.transportErrors,
    transportErrors: d.transportErrors,
    non2xx,
    statusCodes: codes,
    perInstance: Object.fromEntries(Object.entries(d.instances).map(([id, i]) => [id, i.count])),
    clientsRePinned: d.sticky?.clientsWithViolations ?? 0,
    durationSeconds: d.durationSeconds,
  };
}

/** The background load: sticky clients on the load path, until `stop` aborts (bounded by maxSeconds). */
function startBackground(ctx: TargetContext, connections: number, maxSeconds: number, stop: AbortSignal) {
  const id = ctx.app.identity;
  let responses = 0;
  const run = runLoad({
    url: urlOf(ctx, ctx.config.load.path),
    connections,
    durationSeconds: maxSeconds,
    identityHeader: 'header' in id ? id.header : 'x-instance-id',
    sticky: { cookie: ctx.app.sticky.cookie },
    requestTimeoutSeconds: 5,
    onProgress: (p) => (responses = p.responses),
    stop,
  });
  run.catch(() => {});
  return { run, responses: () => responses };
}

/** failover.sticky over the environment of `ctx`. */
export async function failoverSticky(ctx: TargetContext, opts: DrillOptions = {}): Promise<FailoverResult> {
  const refused = drillRefusal(ctx);
  if (refused) return refused;
  return timed(FAILOVER_ID, ctx.name, async (): Promise<Verdict<typeof FAILOVER_ID>> => {
    const e = elbv2(ctx);
    try {
      const o = await drill(ctx, e, opts);
      if ('error' in o) return { status: 'error', diagnosis: o.error, evidence: { ran: false } };
      return { ...judgeDrill(o), evidence: { ran: true, ...o } };
    } finally {
      e.client.destroy();
    }
  });
}

async function drill(
  ctx: TargetContext,
  e: Elbv2,
  opts: DrillOptions,
): Promise<DrillObservation | { error: string }> {
  // One drill at a time where a lock exists (the lab's folder, this user's state folder):
  // taken before anything is looked at, held until X is back.
  let release = () => {};
  if (opts.lockFile) {
    const got = await takeLock(opts.lockFile);
    if (!('release' in got)) {
      const who =
        'holder' in got
          ? `another failover drill (pid ${got.holder}) is running`
          : 'the drill lock is in use';
      return {
        error: `refused: ${who} on this load balancer (lock ${opts.lockFile}); nothing was taken out`,
      };
    }
    release = got.release;
  }
  try {
    // Pin a fresh user to whichever instance answers: that is X.
    let user: DrillUser;
    try {
      user = await (opts.user ?? drillUser)(ctx);
    } catch (err) {
      return { error: `the drill's user could not start: ${firstLine(err)}` };
    }
    try {
      return await drillWith(ctx, e, opts, user);
    } finally {
      await user.forget().catch(() => {});
    }
  } finally {
    release();
  }
}

/**
 * Why X may not be taken out now, or undefined: the drill never takes away the last healthy
 * target, and takes X out only when every other target is healthy. A target `draining` or
 * `initial` means another drill or a deploy is at work (busy); too few healthy ones is the
 * environment's own state (few). Pure.
 */
export function blockedBy(
  rows: TargetHealthRow[],
  from: string,
  group: string,
): { kind: 'busy' | 'few'; line: string } | undefined {
  const states = rows.map((t) => `${t.id} ${t.state}`).join(', ');
  const moving = rows.filter((t) => t.state === 'draining' || t.state === 'initial');
  if (moving.length) {
    return {
      kind: 'busy',
      line: `${moving.map((t) => `${t.id} is ${t.state}`).join(', ')} in ${group} (${states}): another drill or a deploy is running`,
    };
  }
  const healthy = rows.filter((t) => t.state === 'healthy');
  if (healthy.length < 2 || !healthy.some((t) => t.id === from)) {
    return {
      kind: 'few',
      line: `only ${healthy.length} healthy target(s) in ${group} (${states}): deregistering ${from} would leave none to fail over to`,
    };
  }
  const other = rows.find((t) => t.id !== from && t.state !== 'healthy');
  if (other) {
    return {
      kind: 'few',
      line: `${other.id} is ${other.state} in ${group} (${states}): the drill takes ${from} out only while every other target is healthy`,
    };
  }
  return undefined;
}

async function drillWith(
  ctx: TargetContext,
  e: Elbv2,
  opts: DrillOptions,
  user: DrillUser,
): Promise<DrillObservation | { error: string }> {
  const from = user.pinnedTo;
  if (from === undefined) return { error: `cannot tell instances apart: no identity in the answer` };
  const pinned = (await user.user.jar.getCookies(ctx.env.url)).some((c) => c.key === ctx.app.sticky.cookie);
  const groups = await drillTargetGroups(e);
  const group = groups.find((g) => g.targets.some((t) => t.id === from));
  if (!group) {
    const ids = groups.flatMap((g) => g.targets.map((t) => t.id));
    return {
      error: `instance ${from} (app.identity) is not a target of the load balancer (targets: ${ids.join(', ') || 'none'}): the drill needs the identity to be the EC2 instance id`,
    };
  }
  const base = {
    from,
    journey: user.journey ?? null,
    targetGroup: group.name,
    deregistrationDelaySeconds: group.deregistrationDelaySeconds,
    healthCheck: group.healthCheck,
  };
  const empty: DrillObservation = {
    ...base,
    to: null,
    stateAfterDeregister: null,
    rePinMs: null,
    rePinTries: 0,
    pinnedAfter: [],
    steps: [],
    outcome: null,
    background: null,
    drainedMs: null,
    restore: null,
    targetsAfter: group.targets,
  };
  if (!pinned) {
    return {
      ...empty,
      precondition: `no ${ctx.app.sticky.cookie} cookie: the user cannot be pinned, so there is no sticky user to fail over`,
    };
  }
  const blocked = blockedBy(group.targets, from, group.name);
  if (blocked?.kind === 'busy')
    return { ...empty, refused: `refused: ${blocked.line}; nothing was taken out` };
  if (blocked) return { ...empty, precondition: blocked.line };
  const target: DrillTarget = { id: from, port: group.targets.find((t) => t.id === from)!.port ?? 80 };
  const command = registerCommandLine(e.aws.region, group.arn, target, effectiveEndpoint(e.aws));

  // The first part of the work, pinned to X.
  const steps: DrillStep[] = [];
  try {
    steps.push(...(await user.before()));
  } catch (err) {
    return { ...empty, beforeError: firstLine(err) };
  }
  const strayed = steps.find((s) => s.instance !== null && s.instance !== from);
  if (strayed) {
    return {
      ...empty,
      steps,
      beforeError: `step ${strayed.name} was answered by ${strayed.instance}, not the pinned ${from}`,
    };
  }

  const stop = new AbortController();
  const rePinBoundMs = 30_000;
  const bg = startBackground(ctx, opts.connections ?? 10, 120, stop.signal);
  const obs: DrillObservation = { ...empty, steps };
  let deregistered = false;
  try {
    // Every background client has its cookie and is pinned before X goes.
    await until(ctx, 3000, 50, async () =>
      bg.responses() >= (opts.connections ?? 10) * 3 ? true : undefined,
    );
    // Not right at a burst of answers: clients that started together answer together, and a
    // deregistration timed to their answers (the count above) met them between two requests,
    // none in flight, as real traffic never is (seen with the lab's no-drain: 0 of 5 cut).
    await sleep(BETWEEN_ANSWERS_MS);
    // Again, just before DeregisterTargets: a second drill (another machine, no shared lock)
    // or a deploy may have taken a target out since the first look.
    const now = await targetStates(e, group.arn);
    const late = blockedBy(now, from, group.name);
    if (late) {
      obs.targetsAfter = now;
      obs.refused = `refused just before DeregisterTargets: ${late.line}; nothing was taken out`;
      return obs;
    }
    if (opts.pendingFile) writePending(opts.pendingFile, ctx, e, group.arn, target, command);
    try {
      await deregisterTarget(e, group.arn, target);
    } catch (err) {
      if (notApplied(err)) {
        // A definite refusal (AccessDenied, ...): X is where it was; nothing to put back.
        if (opts.pendingFile) rmSync(opts.pendingFile, { force: true });
        obs.refused = `DeregisterTargets was refused (${firstLine(err)}): nothing was taken out`;
        return obs;
      }
      // A timeout, a reset, a 5xx: it may have been applied. X is put back (finally).
      deregistered = true;
      obs.interrupted = `DeregisterTargets failed (${firstLine(err)}): ${from} may have been taken out, so it was registered again`;
      return obs;
    }
    deregistered = true; // from here on, X is put back whatever happens
    const t0 = performance.now();
    // Asked alongside the user's next requests, so it does not delay them. No other healthy
    // target left (a second drill or a deploy slipped in): X goes back at once.
    let alone: string | undefined;
    const stateAfter = targetStates(e, group.arn).then(
      (rows) => {
        if (!rows.some((t) => t.id !== from && t.state === 'healthy')) {
          const states = rows.map((t) => `${t.id} ${t.state}`).join(', ');
          alone = `another drill or a deploy is running: after DeregisterTargets of ${from} no other target of ${group.name} was healthy (${states}); ${from} was registered again at once`;
        }
        return rows.find((t) => t.id === from)?.state ?? 'absent';
      },
      () => null,
    );

    // The user's next requests, with the cookie that pins them to X.
    let tries = 0;
    const moved = await until(ctx, rePinBoundMs, 100, async () => {
      if (alone !== undefined) return null;
      tries++;
      const p = await probe(ctx, user.user.jar);
      if (p.instance !== undefined && p.instance !== from) {
        return { to: p.instance, ms: performance.now() - t0 };
      }
      return undefined;
    });
    obs.rePinTries = tries;
    obs.stateAfterDeregister = await stateAfter;
    if (alone !== undefined) {
      obs.interrupted = alone;
      return obs;
    }
    if (moved) {
      obs.to = moved.to;
      obs.rePinMs = Math.round(moved.ms);
      obs.pinnedAfter = await pinnedAfter(ctx, user.user.jar);
      const after = await user.after();
      steps.push(...after.steps);
      obs.outcome = after.outcome;
    }
    // Let the background clients that were on X meet the switch before the load stops.
    await sleep(Math.max(0, 2000 - (performance.now() - t0)));
    stop.abort();
    obs.background = summarizeBackground(await bg.run);

    // The drain: X reads draining for the deregistration delay, then leaves. Waited for when
    // the delay is short (the lab's 5 s); a real 300 s delay is not worth a nightly's time.
    const delay = group.deregistrationDelaySeconds;
    if (delay <= 60) {
      const left = await until(ctx, (delay + 10) * 1000, 250, async () => {
        const row = (await targetStates(e, group.arn)).find((t) => t.id === from);
        return !row || row.state === 'unused' ? true : undefined;
      });
      obs.drainedMs = left ? Math.round(performance.now() - t0) : null;
      if (!left)
        obs.drainNote = `${from} still listed ${delay + 10} s after DeregisterTargets (delay ${delay} s)`;
    } else obs.drainNote = `deregistration delay ${delay} s: the drain was not waited for`;
  } finally {
    stop.abort();
    if (!obs.background) {
      const d = await bg.run.catch(() => undefined);
      if (d) obs.background = summarizeBackground(d);
    }
    if (deregistered) obs.restore = await restore(ctx, e, group, target, command, opts);
    obs.targetsAfter = await targetStates(e, group.arn).catch(() => obs.targetsAfter);
  }
  return obs;
}

function writePending(
  file: string,
  ctx: TargetContext,
  e: Elbv2,
  targetGroupArn: string,
  target: DrillTarget,
  command: string,
): void {
  const pending: PendingRestore = {
    env: ctx.name,
    region: e.aws.region,
    ...(effectiveEndpoint(e.aws) ? { endpoint: effectiveEndpoint(e.aws) } : {}),
    targetGroupArn,
    target,
    command,
    deregisteredAt: new Date().toISOString(),
    pid: process.pid,
    parentPid: process.ppid,
  };
  writeOutputSync(file, JSON.stringify(pending), { atomic: true });
}

/**
 * RegisterTargets, then wait (bounded by the group's health-check timing) until X is healthy
 * and answers through the load balancer. Never throws: a failure is reported, loudly.
 */
async function restore(
  ctx: TargetContext,
  e: Elbv2,
  group: DrillTargetGroup,
  target: DrillTarget,
  command: string,
  opts: DrillOptions,
): Promise<NonNullable<DrillObservation['restore']>> {
  const hc = group.healthCheck;
  // Up to healthyThreshold+1 checks, each at most interval + timeout apart, plus a margin.
  const boundMs = ((hc.intervalSeconds + hc.timeoutSeconds) * (hc.healthyThreshold + 1) + 10) * 1000;
  const out = {
    registered: false,
    command,
    statesSeen: [] as string[],
    healthyMs: null as number | null,
    answered: false,
    boundMs,
  };
  // The run's deadline must not stop the restore: it gets its own budget.
  const rctx: TargetContext = { ...ctx, deadline: Math.max(ctx.deadline, Date.now() + boundMs + 15_000) };
  const re: Elbv2 = { ...e, deadline: rctx.deadline };
  for (let attempt = 1; attempt <= 3 && !out.registered; attempt++) {
    try {
      await registerTarget(re, group.arn, target);
      out.registered = true;
    } catch (err) {
      (out as { error?: string }).error = firstLine(err);
      if (attempt < 3) await sleep(1000 * attempt);
    }
  }
  if (!out.registered) {
    opts.alarm?.(`parity: ${target.id} NOT RESTORED after the failover drill; run: ${command}`);
    return out;
  }
  if (opts.pendingFile) rmSync(opts.pendingFile, { force: true });
  const t0 = performance.now();
  const healthy = await until(rctx, boundMs, 500, async () => {
    const state =
      (await targetStates(re, group.arn).catch(() => [])).find((t) => t.id === target.id)?.state ?? 'absent';
    if (out.statesSeen.at(-1) !== state) out.statesSeen.push(state);
    return state === 'healthy' ? true : undefined;
  });
  if (healthy) {
    out.healthyMs = Math.round(performance.now() - t0);
    // Answers again: fresh clients (no sticky cookie) until X is among those answering.
    const seen = await until(rctx, 10_000, 50, async () => {
      const p = await probe(rctx, await withoutSticky(rctx, new CookieJar())).catch(() => undefined);
      return p?.instance === target.id ? true : undefined;
    });
    out.answered = seen === true;
  }
  if (pastDeadline(ctx)) out.statesSeen.push('(run deadline passed)');
  return out;
}

// The evidence contract (src/contract/evidence.ts) describes this shape exactly.
const _drillInContract: Same<DrillObservation, DrillObservationEvidence> = true;
void _drillInContract;
