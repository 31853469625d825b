// One evidence type per check id (the results contract): what each check writes in its
// result's `evidence`, and what the reports read. The zod schemas are the single definition:
// the types are inferred from them, the checks build their evidence with those types (the
// compiler rejects a wrong key), and the reports validate evidence against the schema of its
// check id once, where it comes in (a results.json from elsewhere, a user's suite), instead of
// guessing at spellings. A check that stopped early (skip, error) writes no evidence: `{}`.
import { z } from 'zod';
import { PARSE_ONCE } from '../util.js';

/** Both types describe the same values (a compile-time guard for shapes made elsewhere). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const tally = z.record(z.string(), z.number());
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const orUndefined = <T extends z.ZodType>(t: T) => z.union([t, z.undefined()]);

/** DescribeTargetHealth, one row per target (src/contract/target.ts TargetHealthRow). */
const targetHealthRow = z.object({
  id: z.string(),
  port: z.number().optional(),
  state: z.enum(['initial', 'healthy', 'unhealthy', 'unused', 'draining', 'unavailable']),
  reason: z.string().optional(),
  description: z.string().optional(),
});

// ---- health.alb, targets.*, deploy.consistency ------------------------------------------

const healthAlb = z.object({
  path: z.string(),
  expect: z.object({ status: z.number(), json: z.record(z.string(), z.unknown()) }),
  tries: z.number(),
  /** instance → answers ("(no identity)" for answers without one). */
  answers: tally,
  responseMs: z.object({ median: z.number(), max: z.number() }),
  samples: z.array(
    z.object({
      instance: z.string(),
      status: z.number(),
      ms: z.number(),
      /** The body's values at the configured JSON pointers. */
      values: z.record(z.string(), z.unknown()),
      problems: z.array(z.string()).optional(),
    }),
  ),
});

const targetsReachable = z.object({
  expectedInstances: z.number(),
  tries: z.number(),
  /** instance → cookie-less answers. */
  seen: tally,
  /** HTTP status → answers. */
  statuses: tally,
  /** The registered targets, when they were compared. */
  registered: z.array(z.string()).optional(),
});

const targetsRegistered = z.object({
  loadBalancer: z.string().optional(),
  expectedInstances: z.number(),
  targets: z.array(targetHealthRow),
  /** EC2's state per instance target, when EC2 was asked. */
  instanceStates: z.record(z.string(), z.string()).optional(),
  ec2Error: z.string().optional(),
});

/** The --converge wait (src/contract/convergence.ts Convergence). */
const convergenceSchema = z.object({
  limitSeconds: z.number(),
  converged: z.boolean(),
  afterMs: z.number().optional(),
  waitedMs: z.number(),
  rounds: z.number(),
  expectedVersion: z.string().optional(),
  pending: z.array(z.string()),
  versions: z.record(z.string(), z.string()).optional(),
  targets: z.array(targetHealthRow).optional(),
});

const deployConsistency = z.object({
  expectedInstances: z.number(),
  expectedVersion: z.string().optional(),
  tries: z.number(),
  /** instance → version ("a / b" when it changed mid-round). */
  versions: z.record(z.string(), z.string()),
  source: z.string(),
  convergence: convergenceSchema.optional(),
});

// ---- sticky.* ------------------------------------------------------------------------------

/** A Set-Cookie's name and attributes; never its value. */
const cookieAttributes = z.object({
  name: z.string(),
  path: z.string().optional(),
  domain: z.string().optional(),
  expires: z.string().optional(),
  maxAge: z.union([z.number(), z.string()]).optional(),
  secure: z.boolean(),
  httpOnly: z.boolean(),
  sameSite: z.string().optional(),
});

const stickyCookie = z.object({
  cookie: z.string(),
  /** The instance that answered the first request. */
  instance: z.string(),
  /** The sticky cookie and its companion (AWSALB, AWSALBCORS) as set. */
  setCookies: z.array(cookieAttributes),
  otherCookieNames: z.array(z.string()),
});

const stickyPinning = z.object({
  requests: z.number(),
  /** The instance that answered each request of the one client. */
  sequence: z.array(z.string()),
  answers: tally,
  stickyCookieKept: z.boolean(),
});

const stickySpread = z.object({
  clients: z.number(),
  /** instance → fresh clients that landed there. */
  landed: tally,
});

// ---- sessions.* -----------------------------------------------------------------------------

const sessionProbe = z.object({
  outcome: z.enum([
    'shared',
    'not-shared',
    'no-second-instance',
    'write-failed',
    'login-failed',
    'no-identity',
    'refused',
    /** The configured read does not show the marker even through the instance that took the write. */
    'read-blind',
  ]),
  marker: z.string(),
  /** The instance the marker was written through (A) and read back through (B). */
  instanceA: z.string().nullable(),
  instanceB: z.string().nullable(),
  steps: z.array(
    z.object({
      /** control: the read through A (the writing instance), before B is looked for. */
      step: z.enum(['identify', 'login', 'write', 'control', 'read']),
      method: z.string(),
      path: z.string(),
      status: z.number(),
      instance: z.string(),
      ms: z.number(),
    }),
  ),
  /** Where the tries without the sticky cookie landed, looking for B. */
  switchTries: tally,
  /** A failed write or control read: a short, redacted excerpt of the app's answer. */
  answer: z.string().optional(),
});

const sessionsSharedRedis = z.object({
  /** Redis host and port (never the password). */
  redis: z.string(),
  /** The key pattern, the session id as <sid>. */
  key: z.string(),
  exists: z.boolean(),
  type: z.string(),
  ttlSeconds: z.number(),
  configuredTtlSeconds: z.number(),
  containsMarker: z.boolean(),
  valueBytes: z.number(),
  probeKeyDeleted: z.boolean(),
  writtenThrough: z.string().nullable(),
  /** app.session.teardown as sent with the probe's cookies (one line), when configured. */
  teardown: z.string().optional(),
});

// ---- load.* (src/load/summary.ts LoadSummary) ---------------------------------------------

const latency = z.object({
  count: z.number(),
  minMs: z.number(),
  meanMs: z.number(),
  p50Ms: z.number(),
  p90Ms: z.number(),
  p99Ms: z.number(),
  p999Ms: z.number(),
  maxMs: z.number(),
});

const stickyData = z.object({
  clients: z.number(),
  clientsWithCookie: z.number(),
  pinned: tally,
  violations: z.number(),
  clientsWithViolations: z.number(),
});

const loadSummarySchema = z.object({
  mode: z.enum(['distribution', 'sticky']),
  pacing: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('all-out') }),
    z.object({
      kind: z.literal('fixed-rate'),
      rate: z.number(),
      achievedRps: z.number(),
      achievedRatio: z.number(),
      perSecondMin: z.number(),
      perSecondMax: z.number(),
      perSecond: z.array(z.number()),
    }),
  ]),
  url: z.string(),
  connections: z.number(),
  requests: z.number(),
  durationSeconds: z.number(),
  rps: z.number(),
  errors: z.number(),
  errorRate: z.number(),
  transportErrors: z.number(),
  timeouts: z.number(),
  /** Of transportErrors: requests whose connection closed without a response. */
  closed: z.number(),
  unattributed: z.number(),
  statusCodes: tally,
  latency,
  latencyResolution: z.string(),
  instances: z.record(
    z.string(),
    latency.omit({ count: true }).extend({ count: z.number(), share: z.number(), statusCodes: tally }),
  ),
  sticky: stickyData.optional(),
  abandoned: z.number(),
  runs: z.number(),
});

const thresholds = z.object({
  maxErrorRate: z.number(),
  p99Ms: z.number(),
  minShare: z.number(),
  alpha: z.number(),
});

/** A load run that could not be judged further (nothing answered, not a sticky run). */
const loadOnly = z.object({
  load: loadSummarySchema,
  problems: z.array(z.string()).optional(),
  thresholds: z.never().optional(),
});

const loadDistribution = z.union([
  z.object({
    load: loadSummarySchema,
    expected: z.object({ instances: z.array(z.string()), shares: z.array(z.number()) }),
    chiSquare: z
      .object({
        statistic: z.number(),
        df: z.number(),
        pValue: z.number(),
        alpha: z.number(),
        applied: z.boolean(),
        against: z.string(),
      })
      .nullable(),
    thresholds,
    problems: z.array(z.string()),
  }),
  loadOnly,
]);

const loadSticky = z.union([
  z.object({ load: loadSummarySchema, sticky: stickyData, thresholds, problems: z.array(z.string()) }),
  loadOnly,
]);

// ---- fingerprint.diff (src/fingerprint/diff.ts) -----------------------------------------

const differenceSchema = z.object({
  path: z.string(),
  class: z.enum(['drift', 'expected', 'noise']),
  /** This environment's value and production's. */
  a: orUndefined(scalar),
  b: orUndefined(scalar),
  rawA: scalar.optional(),
  rawB: scalar.optional(),
  note: z.string().optional(),
});

const fingerprintDiff = z.object({
  /** The production environment compared with. */
  against: z.string(),
  summary: z.object({
    compared: z.number(),
    same: z.number(),
    drift: z.number(),
    expected: z.number(),
    noise: z.number(),
    unverified: z.number(),
    inconsistent: z.number(),
  }),
  differences: z.array(differenceSchema),
  unverified: z.array(z.object({ path: z.string(), a: z.string(), b: z.string() })),
  inconsistencies: z.array(
    z.object({ env: z.string(), path: z.string(), values: z.record(z.string(), scalar) }),
  ),
  /** Endpoint groups; each difference holds both values under the environments' names. */
  endpoints: z
    .array(
      z.object({
        path: z.string(),
        compare: z.string().optional(),
        compared: z.number(),
        same: z.number(),
        differences: z.array(
          z
            .object({ field: z.string(), class: differenceSchema.shape.class, note: z.string().optional() })
            .catchall(scalar),
        ),
        inconsistencies: z.array(z.object({ field: z.string(), values: z.record(z.string(), scalar) })),
        unverified: z.array(z.string()),
      }),
    )
    .optional(),
  unusedExpectations: z.array(
    z.object({ path: z.string(), reason: z.string(), expires: z.union([z.string(), z.date()]).optional() }),
  ),
});

// ---- journey.<name> (src/checks/journey/journey.ts) ------------------------------------

const journeyStepSchema = z.object({
  step: z.string(),
  method: z.string(),
  path: z.string(),
  on: z.enum(['same', 'other', 'any']),
  instance: z.string(),
  status: z.number().nullable(),
  latencyMs: z.number(),
  tries: z.number(),
  lagMs: z.number().nullable(),
  ok: z.boolean(),
  reason: z.string(),
  atMs: z.number(),
  settleSeconds: z.number().optional(),
  cutShort: z.boolean().optional(),
  waitedMs: z.number().optional(),
  alsoAnsweredFrom: z.array(z.string()).optional(),
  hop: z.object({ from: z.string(), landed: tally }).optional(),
  /** A failed step: a short, redacted excerpt of the app's own answer (its message/error/detail, or first line). */
  answer: z.string().optional(),
  /** The names of the values the step captured (never the values). */
  captured: z.array(z.string()).optional(),
  /** expect.stream: how the events arrived (ms after the request was sent). */
  stream: z
    .object({
      contentType: z.string().nullable(),
      events: z.number(),
      firstEventMs: z.number().nullable(),
      lastEventMs: z.number().nullable(),
      endMs: z.number(),
      ended: z.boolean(),
      incremental: z.boolean().nullable(),
    })
    .optional(),
});

/** One teardown step as sent for one user (src/checks/journey/teardown.ts). */
const journeyTeardownSchema = z.object({
  variant: z.enum(['pinned', 'hopping']),
  step: z.string(),
  method: z.string(),
  path: z.string(),
  instance: z.string(),
  status: z.number().nullable(),
  latencyMs: z.number(),
  ok: z.boolean(),
  reason: z.string(),
});

const journeyVariantSchema = z.object({
  variant: z.enum(['pinned', 'hopping']),
  outcome: z.enum(['passed', 'step-failed', 'no-other-instance', 'not-pinned', 'hop-not-held']),
  atStep: z.string().optional(),
  steps: z.array(journeyStepSchema),
  instances: z.array(z.string()),
  session: z.object({ read: z.string(), followed: z.boolean().nullable() }).optional(),
});

const journey = z.union([
  z.object({
    journey: z.string(),
    variants: z.object({ pinned: journeyVariantSchema, hopping: journeyVariantSchema }),
    cleanup: z.object({ deleted: z.number().optional(), skipped: z.string().optional() }),
    /** The journey's teardown steps, per user (absent: the journey declares none). */
    teardown: z.array(journeyTeardownSchema).optional(),
  }),
  /** Refused on production: nothing ran. */
  z.object({ journey: z.string() }),
]);

// ---- failover.sticky (src/checks/failover.ts DrillObservation) --------------------------

const drillObservationSchema = z.object({
  from: z.string(),
  journey: z.string().nullable(),
  to: z.string().nullable(),
  targetGroup: z.string(),
  deregistrationDelaySeconds: z.number(),
  healthCheck: z.object({
    intervalSeconds: z.number(),
    timeoutSeconds: z.number(),
    healthyThreshold: z.number(),
    unhealthyThreshold: z.number(),
  }),
  stateAfterDeregister: z.string().nullable(),
  rePinMs: z.number().nullable(),
  rePinTries: z.number(),
  pinnedAfter: z.array(z.string()),
  steps: z.array(
    z.object({
      phase: z.enum(['before', 'after']),
      name: z.string(),
      method: z.string(),
      path: z.string(),
      status: z.number().nullable(),
      instance: z.string().nullable(),
      ms: z.number(),
      ok: z.boolean(),
      tries: z.number().optional(),
      lagMs: z.number().nullable().optional(),
      detail: z.string().optional(),
    }),
  ),
  outcome: z
    .object({
      session: z.object({ survived: z.boolean(), detail: z.string() }),
      data: z.object({ survived: z.boolean(), detail: z.string(), journey: z.string() }).nullable(),
    })
    .nullable(),
  background: z
    .object({
      connections: z.number(),
      requests: z.number(),
      transportErrors: z.number(),
      non2xx: z.number(),
      statusCodes: tally,
      perInstance: tally,
      clientsRePinned: z.number(),
      durationSeconds: z.number(),
    })
    .nullable(),
  drainedMs: z.number().nullable(),
  drainNote: z.string().optional(),
  restore: z
    .object({
      registered: z.boolean(),
      error: z.string().optional(),
      command: z.string(),
      statesSeen: z.array(z.string()),
      healthyMs: z.number().nullable(),
      answered: z.boolean(),
      boundMs: z.number(),
    })
    .nullable(),
  targetsAfter: z.array(targetHealthRow),
  beforeError: z.string().optional(),
  precondition: z.string().optional(),
  refused: z.string().optional(),
  interrupted: z.string().optional(),
});

const failoverSticky = z.discriminatedUnion('ran', [
  z.object({ ran: z.literal(false) }),
  drillObservationSchema.extend({ ran: z.literal(true) }),
]);

// ---- the EC2 plane: instances.same-build, network.alb-only ----------------------------

const instancesSameBuild = z.object({
  loadBalancer: z.string(),
  instances: z.array(
    z.object({
      id: z.string(),
      imageId: z.string().nullable(),
      imageName: z.string().nullable(),
      type: z.string().nullable(),
      state: z.string(),
      platform: z.string().nullable(),
    }),
  ),
  missing: z.array(z.string()),
});

const sgRule = z.object({
  protocol: z.string(),
  fromPort: z.number().optional(),
  toPort: z.number().optional(),
  cidrs: z.array(z.string()),
  ipv6Cidrs: z.array(z.string()),
  groups: z.array(z.string()),
  prefixLists: z.array(z.string()),
});

const networkAlbOnly = z.union([
  z.object({
    loadBalancer: z.string(),
    lbSecurityGroups: z.array(z.string()),
    targetPorts: z.array(z.number()),
    listenerPorts: z.array(z.number()),
    instances: z.array(
      z.object({ id: z.string(), securityGroups: z.array(z.string()), publicIp: z.string().nullable() }),
    ),
    securityGroups: z.array(
      z.object({ id: z.string(), name: z.string(), ingress: z.array(sgRule), egress: z.array(sgRule) }),
    ),
    probe: z.union([
      z.object({
        from: z.string(),
        boundMs: z.number(),
        results: z.array(
          z.object({
            instance: z.string(),
            address: z.string(),
            port: z.number(),
            outcome: z.enum(['open', 'refused', 'timeout', 'unreachable', 'not probed (private address)']),
          }),
        ),
      }),
      z.object({ disabled: z.string() }),
    ]),
  }),
  /** No registered instance targets: nothing to check (skip). */
  z.object({ loadBalancer: z.string(), missing: z.array(z.string()) }),
]);

// ---- deploy.watch (parity watch: what users saw while a deploy ran) -----------------------

/** Times are ms since the watch started (`startedAt`). */
const watchError = z.object({
  second: z.number(),
  /** The instance that answered, else the one the user was pinned to (an ALB error names none). */
  instance: z.string(),
  kind: z.string(),
  count: z.number(),
  users: z.array(z.number()),
});

const watchMove = z.object({
  user: z.number(),
  from: z.string(),
  to: z.string(),
  atMs: z.number(),
  /** From the user's last answer on `from` to its first on `to`. */
  afterMs: z.number(),
  /** false: `from` was still answering (a sticky break). */
  fromWasOut: z.boolean(),
});

const deployWatch = z.object({
  startedAt: z.string(),
  durationMs: z.number(),
  role: z.string(),
  rate: z.number(),
  users: z.number(),
  requests: z.number(),
  /** Session writes and journeys were sent (never on role: production). */
  writes: z.boolean(),
  command: z
    .object({
      argv: z.array(z.string()),
      exitCode: z.number().nullable(),
      signal: z.string().nullable(),
      startMs: z.number(),
      endMs: z.number().nullable(),
      error: z.string().optional(),
    })
    .nullable(),
  /** The watch was stopped by a signal: what was seen so far. */
  interrupted: z.string().nullable(),
  errors: z.array(watchError),
  errorCount: z.number(),
  sessions: z.object({
    tracked: z.number(),
    lost: z.array(z.object({ user: z.number(), atMs: z.number(), instance: z.string(), detail: z.string() })),
  }),
  moves: z.array(watchMove),
  perUser: z.array(
    z.object({
      user: z.number(),
      requests: z.number(),
      errors: z.number(),
      instances: z.array(z.object({ id: z.string(), fromMs: z.number() })),
      versions: z.array(z.object({ version: z.string(), fromMs: z.number() })),
      flipFlop: z.boolean(),
    }),
  ),
  mixedWindow: z.object({ fromMs: z.number(), toMs: z.number(), versions: z.array(z.string()) }).nullable(),
  instances: z.array(
    z.object({
      id: z.string(),
      requests: z.number(),
      versions: z.array(z.string()),
      outages: z.array(
        z.object({
          stoppedMs: z.number(),
          answeredMs: z.number().nullable(),
          versionBefore: z.string().nullable(),
          versionAfter: z.string().nullable(),
        }),
      ),
    }),
  ),
  /**
   * Journey users (staging only): each loops the configured journeys; per loop the step that
   * failed, where and when. `workLost`: the step failed on another instance than the one that
   * answered the loop's earlier steps (the user's work did not survive its move).
   */
  journeys: z
    .object({
      users: z.number(),
      loops: z.number(),
      /** Journey steps sent (also counted in the timeline). */
      requests: z.number(),
      perUser: z.array(
        z.object({
          user: z.number(),
          loops: z.number(),
          failed: z.number(),
          instances: z.array(z.string()),
        }),
      ),
      failureCount: z.number(),
      /** The first failures (bounded; failureCount has them all). */
      failures: z.array(
        z.object({
          user: z.number(),
          journey: z.string(),
          loop: z.number(),
          step: z.string(),
          atMs: z.number(),
          second: z.number(),
          instance: z.string(),
          status: z.number().nullable(),
          reason: z.string(),
          answer: z.string().optional(),
          /** The loop's earlier steps and who answered them. */
          earlier: z.array(z.object({ step: z.string(), instance: z.string() })),
          /** Instances of the earlier steps other than the failing step's. */
          movedFrom: z.array(z.string()),
          workLost: z.boolean(),
        }),
      ),
      /** Teardown steps that failed (data left behind; not part of the verdict). */
      teardownFailed: z.number(),
    })
    .optional(),
  /** Per second: answers per instance, errors, answers per version (the report's timeline). */
  timeline: z.array(
    z.object({
      second: z.number(),
      perInstance: z.record(z.string(), z.number()),
      /** Instance → the version it answered with last in that second. */
      instanceVersions: z.record(z.string(), z.string()),
      errors: z.number(),
      versions: z.record(z.string(), z.number()),
    }),
  ),
});

// ---- the map ------------------------------------------------------------------------------

/** The schema of each check id's evidence (journey.<name>: `journey` above). */
export const EVIDENCE = {
  'health.alb': healthAlb,
  'targets.registered': targetsRegistered,
  'targets.reachable': targetsReachable,
  'sticky.cookie': stickyCookie,
  'sticky.pinning': stickyPinning,
  'sticky.spread': stickySpread,
  'sessions.shared-http': sessionProbe,
  // No session id to look up: the probe's own evidence.
  'sessions.shared-redis': z.union([sessionsSharedRedis, sessionProbe]),
  'deploy.consistency': deployConsistency,
  'load.distribution': loadDistribution,
  'load.sticky': loadSticky,
  'fingerprint.diff': fingerprintDiff,
  'failover.sticky': failoverSticky,
  'network.alb-only': networkAlbOnly,
  'instances.same-build': instancesSameBuild,
  'deploy.watch': deployWatch,
} as const;

/** The check ids with a fixed name (the contract's list, less the journeys). */
export type CheckId = keyof typeof EVIDENCE;
export type JourneyId = `journey.${string}`;

/** Evidence by check id. */
export type EvidenceById = { [K in CheckId]: z.infer<(typeof EVIDENCE)[K]> } & {
  [K in JourneyId]: z.infer<typeof journey>;
};

/** What a check that stopped early (skip, error) writes. */
export type NoEvidence = { [key: string]: undefined };

/** The evidence of check id K; a check id outside the contract (a user's own) is any JSON object. */
export type EvidenceFor<K extends string> = K extends CheckId
  ? EvidenceById[K]
  : K extends JourneyId
    ? EvidenceById[JourneyId]
    : Record<string, unknown>;

/** A load run judged no further than its figures (src/checks/load.ts). */
export type LoadOnlyEvidence = z.infer<typeof loadOnly>;
export type SessionProbeEvidence = z.infer<typeof sessionProbe>;
export type LoadSummaryEvidence = z.infer<typeof loadSummarySchema>;
export type DrillObservationEvidence = z.infer<typeof drillObservationSchema>;
export type JourneyStepEvidence = z.infer<typeof journeyStepSchema>;
export type JourneyVariantEvidence = z.infer<typeof journeyVariantSchema>;
export type JourneyTeardownEvidence = z.infer<typeof journeyTeardownSchema>;
export type DifferenceEvidence = z.infer<typeof differenceSchema>;
export type ConvergenceEvidence = z.infer<typeof convergenceSchema>;
export type WatchEvidence = z.infer<typeof deployWatch>;
export type EndpointEvidence = NonNullable<EvidenceById['fingerprint.diff']['endpoints']>[number];

/**
 * The evidence of a result, typed by its check id, once validated against that id's schema;
 * undefined when the result is of another check, stopped early, or its evidence is not the
 * contract's (e.g. written by another version of parity, or by a user's suite).
 */
export function evidenceOf<K extends CheckId>(
  c: { id: string; evidence: unknown },
  id: K,
): EvidenceById[K] | undefined {
  if (c.id !== id) return undefined;
  const parsed = (EVIDENCE[id] as unknown as z.ZodType<EvidenceById[K]>).safeParse(c.evidence, PARSE_ONCE);
  return parsed.success ? parsed.data : undefined;
}

/** The evidence of a journey.<name> result, validated; undefined otherwise (see evidenceOf). */
export function journeyEvidenceOf(c: { id: string; evidence: unknown }): EvidenceById[JourneyId] | undefined {
  if (!c.id.startsWith('journey.')) return undefined;
  const parsed = journey.safeParse(c.evidence, PARSE_ONCE);
  return parsed.success ? parsed.data : undefined;
}
