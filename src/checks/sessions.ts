// Sessions shared between instances. One probe (write a marker through instance A, read it
// back through instance B) serves both checks: sessions.shared-http judges what the app
// answered, sessions.shared-redis looks the same session up in the environment's Redis.
import { unresolvedLogin } from '../config/deferred.js';
import { DeadlineError, firstLine, UsageError } from '../errors.js';
import { assertMethodAllowed, CookieJar, type HttpResponse } from '../http/client.js';
import { fill } from '../http/request-spec.js';
import type { RequestSpec } from '../config/schema.js';
import { withRedis, redisWhere } from '../redis/client.js';
import { deleteProbeKey, inspectKey, sessionKey, sidOf, ttlProblem } from '../redis/session-key.js';
import { pastDeadline, probe } from './budget.js';
import { newMarker } from './marker.js';
import { timed } from '../contract/result.js';
import { formatTally, identitySource, NO_IDENTITY, tally } from './sample.js';
import { answeredBy, logIn, sendSpec, withoutSticky } from './user-requests.js';
import { answerExcerpt, unmet } from './journey/user.js';
import { scrubText } from '../secrets.js';
import type { CheckResult, CheckResultOf } from '../contract/result.js';
import type { EvidenceById, SessionProbeEvidence } from '../contract/evidence.js';
import type { TargetContext } from '../contract/target.js';

type ProbeOutcome =
  | 'shared'
  | 'not-shared'
  | 'no-second-instance'
  | 'write-failed'
  | 'login-failed'
  | 'no-identity'
  | 'refused'
  | 'read-blind';

interface ProbeStep {
  step: 'identify' | 'login' | 'write' | 'control' | 'read';
  method: string;
  path: string;
  status: number;
  instance: string;
  ms: number;
}

/** What the session probe did. `sid` and `jar` hold secrets: never put them in evidence. */
export interface SessionProbe {
  outcome: ProbeOutcome;
  /** One line: the diagnosis of sessions.shared-http. */
  detail: string;
  marker: string;
  instanceA?: string;
  instanceB?: string;
  /** The session id from the app's session cookie (when it set one). */
  sid?: string;
  /** The client's cookies at the end (the session cookie, and B's sticky cookie once found). */
  jar?: CookieJar;
  steps: ProbeStep[];
  /** Where each try without the sticky cookie landed, looking for instance B. */
  switchTries: (string | undefined)[];
  /** A failed write or control read: a short, redacted excerpt of the app's answer. */
  answer?: string;
  /** The writing client's cookies (A's), for app.session.teardown. */
  jarA?: CookieJar;
  headers?: Record<string, string>;
}

const is2xx = (status: number) => status >= 200 && status < 300;

/**
 * Log in (where configured), write a unique marker through instance A, then drop only the
 * sticky cookies and retry until instance B answers (bounded), and read the marker back
 * through B. Never throws for what the app answers; network failures do throw.
 */
export async function runSessionProbe(
  ctx: TargetContext,
  opts: { switchTries?: number } = {},
): Promise<SessionProbe> {
  const s = ctx.app.session;
  const marker = newMarker();
  const vars = { marker };
  const steps: ProbeStep[] = [];
  const landed: (string | undefined)[] = [];
  const result = (outcome: ProbeOutcome, detail: string, more: Partial<SessionProbe> = {}): SessionProbe => ({
    outcome,
    detail,
    marker,
    steps,
    switchTries: landed,
    ...more,
  });
  // The production interlock first, so nothing at all is sent when a write would be refused.
  try {
    for (const spec of [s.login, s.write, s.read]) {
      if (spec) assertMethodAllowed(ctx.env, spec.method, ctx.allowProductionWrites);
    }
  } catch (err) {
    return result('refused', firstLine(err));
  }

  const headers: Record<string, string> = {};
  const record = (step: ProbeStep['step'], method: string, path: string, res: HttpResponse) => {
    const instance = answeredBy(ctx, res);
    steps.push({
      step,
      method,
      path,
      status: res.status,
      instance: instance ?? NO_IDENTITY,
      ms: Math.round(res.ms),
    });
    return instance;
  };
  const call = async (step: ProbeStep['step'], spec: RequestSpec, jar: CookieJar) => {
    const { res, method, path } = await sendSpec(ctx, spec, { jar, vars, headers });
    return { res, instance: record(step, method, path, res), what: `${method} ${path}` };
  };

  // Instance A: whichever answers first; its sticky cookie pins the login and the write to it.
  const jarA = new CookieJar();
  const first = await probe(ctx, jarA);
  steps.push({
    step: 'identify',
    method: 'GET',
    path: '(identity)',
    status: first.response.status,
    instance: first.instance ?? NO_IDENTITY,
    ms: Math.round(first.response.ms),
  });
  let instanceA = first.instance;
  if (instanceA === undefined) {
    return result(
      'no-identity',
      `cannot tell instances apart: no identity in the answer (${identitySource(ctx)})`,
    );
  }

  const tries = opts.switchTries ?? 10;
  const noLogin = unresolvedLogin(ctx.config);
  if (noLogin) throw new UsageError(noLogin);
  if (s.login) {
    const login = await logIn(ctx, s.login, { jar: jarA, vars });
    record('login', s.login.method, s.login.path, login.res);
    if (!login.ok) return result('login-failed', login.detail, { instanceA });
    if (login.authorization) headers.authorization = login.authorization;
  }

  const write = await call('write', s.write, jarA);
  instanceA = write.instance ?? instanceA; // the marker lives where the write actually went
  const forTeardown = { jarA, headers };
  // Many apps answer a failed write with 200 and {"status":"error"}: app.session.write.expect.
  const writeUnmet = unmet(s.write.expect ?? {}, write.res, vars);
  if (writeUnmet !== undefined) {
    const said = excerptOf(write.res);
    return result(
      'write-failed',
      `write failed: ${write.what} through ${instanceA} ${scrubText(writeUnmet)}`,
      { instanceA, ...forTeardown, ...(said ? { answer: said } : {}) },
    );
  }
  const cookies = await jarA.getCookies(ctx.env.url);
  const session = cookies.find((c) => c.key === s.cookie);
  if (!session && !headers.authorization) {
    const names = cookies.map((c) => c.key);
    return result(
      'write-failed',
      `write failed: ${write.what} through ${instanceA} set no session cookie "${s.cookie}" (cookies held: ${names.join(', ') || 'none'})`,
      { instanceA },
    );
  }
  const sid = session ? sidOf(session.value) : undefined;
  const want = s.read.contains === undefined ? undefined : fill(s.read.contains, vars);

  // The control: the read through A itself. A read that does not show the marker even where it
  // was written says nothing about sharing: the configured read does not observe the write.
  for (let i = 0; i < tries && !pastDeadline(ctx); i++) {
    const control = await call('control', s.read, jarA);
    if (control.instance !== undefined && control.instance !== instanceA) continue; // not pinned to A
    const shows = is2xx(control.res.status) && (want === undefined || control.res.body.includes(want));
    if (shows) break;
    const said = excerptOf(control.res);
    const got = is2xx(control.res.status)
      ? `answered ${control.res.status} without "${want}"`
      : `answered ${control.res.status}`;
    return result(
      'read-blind',
      `app.session.read does not observe the write: ${control.what} through ${instanceA}, the instance that took the write (${write.what}), ${got}${said ? `: ${said}` : ''}; sharing was not tested (make app.session.read show what app.session.write stores, e.g. its contains)`,
      { instanceA, sid, ...forTeardown, ...(said ? { answer: said } : {}) },
    );
  }

  // Instance B: the same client minus its sticky cookies, until the ALB picks another instance.
  let jarB: CookieJar | undefined;
  let instanceB: string | undefined;
  for (let i = 0; i < tries && !pastDeadline(ctx); i++) {
    const jar = await withoutSticky(ctx, jarA);
    const p = await probe(ctx, jar);
    landed.push(p.instance);
    if (p.instance !== undefined && p.instance !== instanceA) {
      jarB = jar;
      instanceB = p.instance;
      break;
    }
  }
  if (landed.length === 0) {
    throw new DeadlineError(`run deadline reached before a second instance of ${ctx.name} was looked for`);
  }
  if (!jarB || !instanceB) {
    return result(
      'no-second-instance',
      `no second instance reached: ${landed.length} tries without the sticky cookie all answered from ${formatTally(tally(landed))}`,
      { instanceA, sid, jar: jarA, ...forTeardown },
    );
  }

  // Without stickiness the ALB may route the read itself back to A: read again (bounded)
  // until another instance answers it.
  let read = await call('read', s.read, jarB);
  for (let i = 1; i < tries && read.instance === instanceA && !pastDeadline(ctx); i++) {
    jarB = await withoutSticky(ctx, jarA);
    read = await call('read', s.read, jarB);
  }
  const readBy = read.instance ?? instanceB;
  const done = { instanceA, instanceB: readBy, sid, jar: jarB, ...forTeardown };
  if (readBy === instanceA) {
    return result(
      'no-second-instance',
      `no second instance reached: the read went back to ${instanceA}`,
      done,
    );
  }
  if (!is2xx(read.res.status)) {
    return result(
      'not-shared',
      `the session written through ${instanceA} is not usable through ${readBy}: ${read.what} answered ${read.res.status}`,
      done,
    );
  }
  if (want !== undefined && !read.res.body.includes(want)) {
    return result(
      'not-shared',
      `marker written through ${instanceA} is missing when read through ${readBy} (${read.what} answered ${read.res.status}): sessions are not shared between instances`,
      done,
    );
  }
  return result('shared', `marker written through ${instanceA} was read back through ${readBy}`, done);
}

const HTTP_STATUS: Record<ProbeOutcome, CheckResult['status']> = {
  shared: 'pass',
  'not-shared': 'fail',
  'no-second-instance': 'fail',
  'write-failed': 'fail',
  'login-failed': 'error',
  'no-identity': 'error',
  refused: 'skip',
  // The check could not test sharing with the configured read: not a verdict on staging.
  'read-blind': 'error',
};

/** The app's own words in an answer, redacted and bounded. */
const excerptOf = (res: HttpResponse) => scrubText(answerExcerpt(res.body)) || undefined;

function probeEvidence(p: SessionProbe): SessionProbeEvidence {
  return {
    outcome: p.outcome,
    marker: p.marker,
    instanceA: p.instanceA ?? null,
    instanceB: p.instanceB ?? null,
    steps: p.steps,
    switchTries: tally(p.switchTries),
    ...(p.answer ? { answer: p.answer } : {}),
  };
}

/**
 * app.session.teardown, sent once with the writing client's cookies (where the write was allowed):
 * the probe's write (an upload) does not stay on the instances' disks. One line for the
 * evidence; never throws.
 */
export function probeTeardown(ctx: TargetContext, p: SessionProbe): Promise<string | undefined> {
  const once = teardowns.get(p);
  if (once) return once;
  const run = (async () => {
    const spec = ctx.app.session.teardown;
    if (!spec || !p.jarA) return undefined;
    try {
      // Like the write it undoes: on production only with --allow-production-writes.
      assertMethodAllowed(ctx.env, spec.method, ctx.allowProductionWrites);
      const tctx = { ...ctx, deadline: Math.max(ctx.deadline, Date.now() + 5000) };
      const { res, method, path } = await sendSpec(tctx, spec, {
        jar: p.jarA,
        vars: { marker: p.marker },
        headers: p.headers,
      });
      return `${method} ${path} answered ${res.status}`;
    } catch (err) {
      return `not done: ${firstLine(err)}`;
    }
  })();
  teardowns.set(p, run);
  return run;
}
const teardowns = new WeakMap<SessionProbe, Promise<string | undefined>>();

/** sessions.shared-http; pass the probe when sessions.shared-redis will reuse it. */
export function sessionsSharedHttp(
  ctx: TargetContext,
  probeRun?: Promise<SessionProbe>,
): Promise<CheckResultOf<'sessions.shared-http'>> {
  return timed(sessionsSharedHttp.id, ctx.name, async () => {
    const p = await (probeRun ?? runSessionProbe(ctx));
    return { status: HTTP_STATUS[p.outcome], diagnosis: p.detail, evidence: probeEvidence(p) };
  });
}
sessionsSharedHttp.id = 'sessions.shared-http' as const;

/**
 * sessions.shared-redis: the probe's session is in this environment's Redis, holds the
 * marker, and has the configured TTL. The probe key is deleted afterwards (never on production).
 */
export function sessionsSharedRedis(
  ctx: TargetContext,
  probeRun?: Promise<SessionProbe>,
): Promise<CheckResultOf<'sessions.shared-redis'>> {
  return timed(sessionsSharedRedis.id, ctx.name, async () => {
    const redis = ctx.env.redis;
    if (!redis) {
      return {
        status: 'skip',
        diagnosis: `environment ${ctx.name} has no redis config: session store not inspected`,
        evidence: {},
      };
    }
    const p = await (probeRun ?? runSessionProbe(ctx));
    if (p.outcome === 'refused') return { status: 'skip', diagnosis: p.detail, evidence: {} };
    if (p.sid === undefined) {
      return {
        status: 'error',
        diagnosis: `no session id to look up in Redis: ${p.detail}`,
        evidence: probeEvidence(p),
      };
    }
    const { redisKey, ttlSeconds } = ctx.app.session;
    const key = sessionKey(redisKey, p.sid);
    const where = redisWhere(redis.url);
    const { found, deleted, teardown } = await withRedis(redis.url, async (client) => {
      const found = await inspectKey(client, key);
      // The app's own delete needs the session: after the inspection, before the key goes.
      const teardown = await probeTeardown(ctx, p);
      const deleted =
        ctx.env.role !== 'production' && found.exists ? await deleteProbeKey(client, ctx.env, key) : false;
      return { found, deleted, teardown };
    });
    const containsMarker = found.bytes.includes(Buffer.from(p.marker));
    const evidence: EvidenceById['sessions.shared-redis'] = {
      redis: where,
      key: sessionKey(redisKey, '<sid>'),
      exists: found.exists,
      type: found.type,
      ttlSeconds: found.ttl,
      configuredTtlSeconds: ttlSeconds,
      containsMarker,
      valueBytes: found.bytes.length,
      probeKeyDeleted: deleted,
      writtenThrough: p.instanceA ?? null,
      ...(teardown ? { teardown } : {}),
    };
    const shown = sessionKey(redisKey, '<sid>');
    if (!found.exists) {
      return {
        status: 'fail',
        diagnosis: `session key ${shown} (written through ${p.instanceA}) is not in ${ctx.name}'s ${where}: the app stores sessions elsewhere, or under another key (app.session.redisKey)`,
        evidence,
      };
    }
    const problems: string[] = [];
    if (!containsMarker)
      problems.push(
        `the value (${found.type}, ${found.bytes.length} bytes) does not contain the marker${p.outcome === 'read-blind' ? ': app.session.write does not store it in the session (the read through the writing instance did not show it either; see sessions.shared-http)' : ''}`,
      );
    const ttl = ttlProblem(found.ttl, ttlSeconds);
    if (ttl) problems.push(ttl);
    if (problems.length > 0) {
      return {
        status: 'fail',
        diagnosis: `session key ${shown} in ${where}: ${problems.join('; ')}`,
        evidence,
      };
    }
    return {
      status: 'pass',
      diagnosis: `session key ${shown} in ${where} holds the marker; TTL ${found.ttl} s of ${ttlSeconds} s configured`,
      evidence,
    };
  });
}
sessionsSharedRedis.id = 'sessions.shared-redis' as const;
