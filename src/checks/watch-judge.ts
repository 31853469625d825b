// deploy.watch's verdict: what users saw while the deploy ran, from the watch's samples. Pure.
// A zero-downtime deploy has no user-visible error, keeps every session, moves a user only
// when its instance was taken out, and never serves one user the new version, then the old.
import type { WatchEvidence } from '../contract/evidence.js';
import type { CheckStatus } from '../contract/result.js';
import { NEW_USER, type WatchSample } from './watch-users.js';
import type { JourneyLoop } from './watch-journeys.js';

export interface WatchMeta {
  startedAt: Date;
  durationMs: number;
  role: string;
  rate: number;
  users: number;
  writes: boolean;
  command: WatchEvidence['command'];
  interrupted: string | null;
  /** User-visible errors allowed (default 0). */
  maxErrors?: number;
  /** Journey users that ran (0 or absent: none; no `journeys` in the evidence). */
  journeyUsers?: number;
}

/** Journey failures kept in the evidence (failureCount has them all). */
const MAX_JOURNEY_FAILURES = 50;

/** An instance with no answer for this long, while the watch ran, had stopped answering. */
const OUTAGE_MS = 1200;
const UNKNOWN = '(no identity)';
const NEW_USER_LABEL = '(a new user, no instance)';

const ok = (s: WatchSample) =>
  s.error === undefined && s.status !== undefined && s.status >= 200 && s.status < 300;

export function judgeWatch(
  samples: WatchSample[],
  meta: WatchMeta,
  loops: JourneyLoop[] = [],
): { status: CheckStatus; diagnosis: string; evidence: WatchEvidence } {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const clock = (ms: number) => new Date(meta.startedAt.getTime() + ms).toISOString().slice(11, 19);

  // Who each user was pinned to at each moment: the last instance that answered it.
  const pinned = new Map<number, string>();
  const errors = new Map<string, WatchEvidence['errors'][number]>();
  let errorCount = 0;
  const answers = new Map<string, { t: number; version?: string }[]>();
  for (const s of sorted) {
    if (s.instance) {
      if (!answers.has(s.instance)) answers.set(s.instance, []);
      answers.get(s.instance)!.push({ t: s.t, version: s.version });
    }
    if (!ok(s)) {
      errorCount++;
      // An ALB error names no instance: the user's pinned one; the new user has none.
      const instance = s.instance ?? pinned.get(s.user) ?? (s.user === NEW_USER ? NEW_USER_LABEL : UNKNOWN);
      const kind = s.error ?? `HTTP ${s.status}`;
      const second = Math.floor(s.t / 1000);
      const key = `${second} ${instance} ${kind}`;
      const e = errors.get(key) ?? { second, instance, kind, count: 0, users: [] };
      e.count++;
      if (!e.users.includes(s.user)) e.users.push(s.user);
      errors.set(key, e);
    }
    if (s.instance && s.user !== NEW_USER) pinned.set(s.user, s.instance);
  }
  // Journey steps count in the timeline (below), not in the outages: those come from the
  // sticky and new users' identity reads, which carry the version.
  const journeySteps = loops.flatMap((l) => l.steps);

  const instances = [...answers.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, list]) => {
      const outages: WatchEvidence['instances'][number]['outages'] = [];
      for (let i = 1; i < list.length; i++) {
        if (list[i].t - list[i - 1].t >= OUTAGE_MS) {
          outages.push({
            stoppedMs: list[i - 1].t,
            answeredMs: list[i].t,
            versionBefore: list[i - 1].version ?? null,
            versionAfter: list[i].version ?? null,
          });
        }
      }
      const last = list.at(-1)!;
      if (meta.durationMs - last.t >= OUTAGE_MS) {
        outages.push({
          stoppedMs: last.t,
          answeredMs: null,
          versionBefore: last.version ?? null,
          versionAfter: null,
        });
      }
      return {
        id,
        requests: list.length,
        versions: collapse(list.map((a) => a.version).filter((v): v is string => !!v)),
        outages,
      };
    });
  const outOf = (id: string, t: number) =>
    instances
      .find((i) => i.id === id)
      ?.outages.some((o) => o.stoppedMs <= t && (o.answeredMs === null || t <= o.answeredMs)) ?? false;

  const byUser = new Map<number, WatchSample[]>();
  for (const s of sorted) {
    if (s.user === NEW_USER) continue;
    if (!byUser.has(s.user)) byUser.set(s.user, []);
    byUser.get(s.user)!.push(s);
  }
  const moves: WatchEvidence['moves'] = [];
  const lost: WatchEvidence['sessions']['lost'] = [];
  let tracked = 0;
  const perUser: WatchEvidence['perUser'] = [];
  for (const [user, list] of [...byUser.entries()].sort(([a], [b]) => a - b)) {
    const seq: { id: string; fromMs: number }[] = [];
    const vers: { version: string; fromMs: number }[] = [];
    let lastOn: { id: string; t: number } | undefined;
    let sessionSeen = false;
    let sessionLost = false;
    for (const s of list) {
      if (s.instance) {
        if (lastOn && s.instance !== lastOn.id) {
          // The user's previous instance: was it out (no answer to anyone) at the move?
          const fromWasOut = outOf(lastOn.id, lastOn.t) || outOf(lastOn.id, s.t);
          moves.push({
            user,
            from: lastOn.id,
            to: s.instance,
            atMs: s.t,
            afterMs: s.t - lastOn.t,
            fromWasOut,
          });
        }
        if (seq.at(-1)?.id !== s.instance) seq.push({ id: s.instance, fromMs: s.t });
        lastOn = { id: s.instance, t: s.t };
      }
      if (s.version && vers.at(-1)?.version !== s.version) vers.push({ version: s.version, fromMs: s.t });
      if (s.kind === 'session' && s.sessionOk === true && !sessionLost) sessionSeen = true;
      if (s.kind === 'session' && s.sessionOk === false && sessionSeen && !sessionLost) {
        sessionLost = true;
        lost.push({
          user,
          atMs: s.t,
          instance: s.instance ?? UNKNOWN,
          detail: `marker missing from the session read through ${s.instance ?? UNKNOWN}`,
        });
      }
    }
    if (sessionSeen) tracked++;
    const names = vers.map((v) => v.version);
    perUser.push({
      user,
      requests: list.length,
      errors: list.filter((s) => !ok(s)).length,
      instances: seq,
      versions: vers,
      flipFlop: names.some((v, i) => names.indexOf(v) < i),
    });
  }

  const allVersions = sorted.filter((s) => s.version);
  let mixedWindow: WatchEvidence['mixedWindow'] = null;
  if (allVersions.length) {
    const first = allVersions[0].version!;
    const final = allVersions.at(-1)!.version!;
    const other = allVersions.find((s) => s.version !== first);
    const lastNotFinal = allVersions.findLast((s) => s.version !== final);
    if (other && lastNotFinal) {
      // Negative overlap (the old version's last answer came before the new one's first): 0 s.
      mixedWindow = {
        fromMs: other.t,
        toMs: Math.max(other.t, lastNotFinal.t),
        versions: collapse(allVersions.map((s) => s.version!)).filter((v, i, a) => a.indexOf(v) === i),
      };
    }
  }

  const seconds = Math.max(1, Math.ceil(meta.durationMs / 1000));
  const timeline = Array.from({ length: seconds }, (_, second) => ({
    second,
    perInstance: {} as Record<string, number>,
    instanceVersions: {} as Record<string, string>,
    errors: 0,
    versions: {} as Record<string, number>,
  }));
  for (const s of sorted) {
    const row = timeline[Math.min(seconds - 1, Math.floor(s.t / 1000))];
    if (!ok(s)) row.errors++;
    else if (s.instance) row.perInstance[s.instance] = (row.perInstance[s.instance] ?? 0) + 1;
    if (s.version && ok(s)) {
      row.versions[s.version] = (row.versions[s.version] ?? 0) + 1;
      if (s.instance) row.instanceVersions[s.instance] = s.version;
    }
  }

  for (const st of journeySteps) {
    const row = timeline[Math.min(seconds - 1, Math.floor(st.t / 1000))];
    if (!st.ok) row.errors++;
    else if (st.instance) row.perInstance[st.instance] = (row.perInstance[st.instance] ?? 0) + 1;
  }
  const journeys = meta.journeyUsers ? judgeJourneys(loops, meta.journeyUsers) : undefined;

  const evidence: WatchEvidence = {
    startedAt: meta.startedAt.toISOString(),
    durationMs: meta.durationMs,
    role: meta.role,
    rate: meta.rate,
    users: meta.users,
    requests: samples.length,
    writes: meta.writes,
    command: meta.command,
    interrupted: meta.interrupted,
    errors: [...errors.values()].sort((a, b) => a.second - b.second || a.instance.localeCompare(b.instance)),
    errorCount,
    sessions: { tracked, lost },
    moves,
    perUser,
    mixedWindow,
    instances,
    timeline,
    ...(journeys ? { journeys } : {}),
  };

  const problems: string[] = [];
  const cmd = meta.command;
  const cmdLine = cmd ? `"${cmd.argv.join(' ')}"` : '';
  if (meta.interrupted)
    problems.push(`interrupted by ${meta.interrupted} after ${secs(meta.durationMs)} (partial)`);
  if (cmd && (cmd.exitCode !== 0 || cmd.signal)) {
    problems.push(
      cmd.error
        ? `the command ${cmdLine} could not run: ${cmd.error}`
        : `the command ${cmdLine} ${cmd.signal ? `was stopped by ${cmd.signal}` : `exited ${cmd.exitCode}`} after ${secs((cmd.endMs ?? meta.durationMs) - cmd.startMs)}`,
    );
  }
  if (errorCount > (meta.maxErrors ?? 0)) {
    const byInstance = new Map<string, WatchEvidence['errors']>();
    for (const e of evidence.errors) byInstance.set(e.instance, [...(byInstance.get(e.instance) ?? []), e]);
    const parts = [...byInstance.entries()].map(([id, list]) => {
      const kinds = new Map<string, number>();
      for (const e of list) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + e.count);
      const from = list[0].second;
      const to = list.at(-1)!.second;
      const when = from === to ? `at ${clock(from * 1000)}` : `${clock(from * 1000)}–${clock(to * 1000)}`;
      return `${id} ${[...kinds].map(([k, n]) => `${k}×${n}`).join(', ')} ${when} (s ${from}${from === to ? '' : `–${to}`})`;
    });
    problems.push(`${errorCount} user-visible errors of ${samples.length} requests: ${parts.join('; ')}`);
  }
  for (const l of lost.slice(0, 3)) {
    problems.push(
      `user ${l.user}'s session lost at ${clock(l.atMs)} on ${l.instance} (the marker it wrote is gone)`,
    );
  }
  if (lost.length > 3) problems.push(`${lost.length} sessions lost in all`);
  const flips = perUser.filter((u) => u.flipFlop);
  for (const u of flips.slice(0, 3)) {
    const at = u.versions.map((v) => `${v.version} at ${clock(v.fromMs)}`).join(' → ');
    problems.push(`user ${u.user} saw ${at} (a flip-flop: mixed versions served to one user)`);
  }
  if (flips.length > 3) problems.push(`${flips.length} users saw a flip-flop`);
  const breaks = moves.filter((m) => !m.fromWasOut);
  for (const b of breaks.slice(0, 3)) {
    problems.push(
      `user ${b.user} moved from ${b.from} to ${b.to} at ${clock(b.atMs)} although ${b.from} was still answering (a sticky break)`,
    );
  }
  for (const f of journeys?.failures.slice(0, 3) ?? []) problems.push(journeyProblem(f, clock));
  if (journeys && journeys.failureCount > 3)
    problems.push(`${journeys.failureCount} journey loops failed in all`);
  if (!samples.length) problems.push('no request was sent');

  const repins = moves.filter((m) => m.fromWasOut);
  const mixed = mixedWindow
    ? `versions ${mixedWindow.versions.join(' → ')}, both answering for ${secs(mixedWindow.toMs - mixedWindow.fromMs)} (${clock(mixedWindow.fromMs)}–${clock(mixedWindow.toMs)})`
    : `one version throughout (${
        instances
          .flatMap((i) => i.versions)
          .filter((v, i, a) => a.indexOf(v) === i)
          .join(', ') || 'none seen'
      })`;
  const outs = instances
    .flatMap((i) =>
      i.outages.map(
        (o) =>
          `${i.id} out ${clock(o.stoppedMs)}–${o.answeredMs === null ? 'end' : clock(o.answeredMs)} (${o.versionBefore ?? '?'} → ${o.versionAfter ?? '?'})`,
      ),
    )
    .join(', ');
  const facts = [
    `${errorCount} errors in ${samples.length} requests from ${meta.users} users over ${secs(meta.durationMs)}`,
    meta.writes ? `sessions kept ${tracked - lost.length}/${tracked}` : 'read-only (no sessions written)',
    journeys
      ? `${journeys.users} journey users: ${journeys.loops - journeys.failureCount}/${journeys.loops} loops passed`
      : undefined,
    repins.length
      ? `${repins.length} re-pins (longest ${secs(Math.max(...repins.map((m) => m.afterMs)))})`
      : undefined,
    mixed,
    outs || undefined,
    cmd && !problems.length ? `${cmdLine} exited 0 after ${secs((cmd.endMs ?? 0) - cmd.startMs)}` : undefined,
  ].filter(Boolean);
  if (problems.length)
    return { status: 'fail', diagnosis: `${problems.join('; ')}; ${facts.join('; ')}`, evidence };
  return { status: 'pass', diagnosis: facts.join('; '), evidence };
}

type JourneysEvidence = NonNullable<WatchEvidence['journeys']>;
type JourneyFailure = JourneysEvidence['failures'][number];

/** Per journey user and loop: the step that failed, where, when, and whether the user had been moved. Pure. */
function judgeJourneys(loops: JourneyLoop[], users: number): JourneysEvidence {
  const failures: JourneyFailure[] = [];
  const perUser = new Map<number, JourneysEvidence['perUser'][number]>();
  for (let u = 1; u <= users; u++) perUser.set(u, { user: u, loops: 0, failed: 0, instances: [] });
  let failureCount = 0;
  for (const l of [...loops].sort((a, b) => a.startMs - b.startMs)) {
    const p = perUser.get(l.user) ?? { user: l.user, loops: 0, failed: 0, instances: [] };
    perUser.set(l.user, p);
    p.loops++;
    for (const st of l.steps)
      if (st.instance && p.instances.at(-1) !== st.instance) p.instances.push(st.instance);
    const bad = l.steps.find((st) => !st.ok);
    if (!bad) continue;
    p.failed++;
    failureCount++;
    if (failures.length >= MAX_JOURNEY_FAILURES) continue;
    const instance = bad.instance ?? UNKNOWN;
    const earlier = l.steps
      .slice(0, l.steps.indexOf(bad))
      .map((st) => ({ step: st.step, instance: st.instance ?? UNKNOWN }));
    const movedFrom = [
      ...new Set(earlier.map((e) => e.instance).filter((i) => i !== instance && i !== UNKNOWN)),
    ];
    failures.push({
      user: l.user,
      journey: l.journey,
      loop: l.loop,
      step: bad.step,
      atMs: bad.t,
      second: Math.floor(bad.t / 1000),
      instance,
      status: bad.status,
      reason: bad.reason,
      ...(bad.answer ? { answer: bad.answer } : {}),
      earlier,
      movedFrom,
      // Only an answer that names its instance shows the move (not an error filed under the pinned one).
      workLost: movedFrom.length > 0 && bad.instance !== undefined && bad.status !== null,
    });
  }
  // A user's work that did not survive comes first: the problem the watch exists to catch.
  failures.sort((a, b) => Number(b.workLost) - Number(a.workLost) || a.atMs - b.atMs);
  return {
    users,
    loops: loops.length,
    requests: loops.reduce((n, l) => n + l.steps.length, 0),
    perUser: [...perUser.values()].sort((a, b) => a.user - b.user),
    failureCount,
    failures,
    teardownFailed: loops.reduce((n, l) => n + l.teardownFailed, 0),
  };
}

/** One journey failure, named: the user, the journey and loop, the step, the instance(s) and the time. */
function journeyProblem(f: JourneyFailure, clock: (ms: number) => string): string {
  const where = `"${f.journey}" loop ${f.loop}, step "${f.step}" failed at ${clock(f.atMs)} (s ${f.second}) on ${f.instance}`;
  if (f.workLost) {
    const before = f.earlier
      .filter((e) => e.instance !== f.instance)
      .map((e) => `"${e.step}" on ${e.instance}`)
      .join(', ');
    return `journey user ${f.user}'s work did not survive its move to another instance: ${where} after ${before}: ${f.reason} (state kept on the instance that answered, e.g. uploads on its own disk)`;
  }
  return `journey user ${f.user}: ${where}: ${f.reason}`;
}

/** Consecutive duplicates removed. */
function collapse(xs: string[]): string[] {
  return xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
