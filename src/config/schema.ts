import { z } from 'zod';

// The parity config (docs/checks.md). Objects are strict so a misspelt key is an error
// that names it, not a setting silently ignored.

const jsonPointer = z.string().regex(/^(\/.*)?$/, 'must be a JSON pointer such as /overall');

/** Where an instance identity or version is read: a response header, or a JSON pointer into a request's answer. */
const ExtractorSchema = z.union([
  z.object({ header: z.string().min(1) }).strict(),
  z.object({ path: z.string().startsWith('/'), json: jsonPointer }).strict(),
]);

/**
 * Where the app's version is read, and optionally the version every instance must run
 * (`expected`, e.g. "${GIT_SHA}"; `--expect-version` overrides it).
 */
const expected = z.string().trim().min(1, 'must not be empty').optional();
const VersionSchema = z.union([
  z.object({ header: z.string().min(1), expected }).strict(),
  z.object({ path: z.string().startsWith('/'), json: jsonPointer, expected }).strict(),
]);

/** A form file: inline text (`content`), or a real file's bytes (`path`, relative to the config file). */
const FormFileSchema = z
  .object({
    /** Default with `path`: the file's own name. */
    filename: z.string().optional(),
    content: z.string().optional(),
    path: z.string().min(1).optional(),
    /** Default: guessed from the file name (text/csv, application/zip, ...). */
    contentType: z.string().optional(),
  })
  .strict()
  .refine((f) => (f.content === undefined) !== (f.path === undefined), 'give exactly one of content, path')
  .refine((f) => f.filename !== undefined || f.path !== undefined, 'needs a filename (or a path)');

const FormFieldSchema = z.union([z.string(), FormFileSchema]);

/**
 * A request header: the name an HTTP token (so `{marker}`, which is never replaced there, or a
 * space is a config error, not a request that fails at run time), the value without CR, LF or
 * NUL (a header cannot carry them; undici would refuse it mid-run).
 */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HeadersSchema = z
  // eslint-disable-next-line no-control-regex
  .record(z.string(), z.string().regex(/^[^\r\n\u0000]*$/, 'a header value must not contain CR, LF or NUL'))
  .superRefine((headers, ctx) => {
    for (const name of Object.keys(headers))
      if (!HEADER_NAME.test(name))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: "header names are letters, digits and -._~!#$%&'*+^`| only (no {placeholders}, no spaces)",
        });
  });

const RequestBase = z
  .object({
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    path: z.string().startsWith('/'),
    headers: HeadersSchema.optional(),
    /** Query parameters, appended to the path (each value URL-encoded; `{name}` replaced). */
    query: z.record(z.string(), z.string()).optional(),
    json: z.record(z.string(), z.unknown()).optional(),
    form: z.record(z.string(), FormFieldSchema).optional(),
    /** A raw body, sent as it is (`{marker}` is replaced); set a content-type in headers. */
    body: z.string().optional(),
    /** JSON pointer to a bearer token in the answer (login only). */
    token: jsonPointer.optional(),
    /** Text the answer must contain (read only); `{marker}` is replaced. */
    contains: z.string().optional(),
  })
  .strict();
const RequestSchema = RequestBase.superRefine(bodyOnlyWithWrites);

/**
 * GET and HEAD carry no body (only body-less GET/HEAD reach a role: production environment):
 * a body on one is a config error wherever it is written, named at its key.
 */
function bodyOnlyWithWrites(
  r: { method: string; json?: unknown; form?: unknown; body?: unknown },
  ctx: z.RefinementCtx,
): void {
  if (r.method !== 'GET' && r.method !== 'HEAD') return;
  for (const key of ['json', 'form', 'body'] as const) {
    if (r[key] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `a ${r.method} request carries no body: remove "${key}" or use POST/PUT/PATCH (method defaults to GET)`,
      });
  }
}

/**
 * A redis:// URL that the client can parse as it is: no whitespace or control characters, a
 * host, and userinfo whose %-escapes decode (ioredis decodes them at connect: "URI malformed").
 */
const RedisUrlSchema = z
  .string()
  .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\s\u0000-\u001f\u007f]*$/, 'must not contain whitespace or control characters (a newline?)')
  .superRefine((url, ctx) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return void ctx.addIssue({ code: 'custom', message: 'not a valid URL' });
    }
    try {
      decodeURIComponent(u.username);
      decodeURIComponent(u.password);
      decodeURIComponent(u.pathname);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'a "%" that is not a %XX escape (write a literal % in a password as %25)',
      });
    }
  });

/** The roles an environment may have; each environment must say its own (docs/safety.md). */
export const ROLES = ['staging', 'production', 'other'] as const;

/** The one line for a missing or unknown role (also for an environment deferred before validation). */
export function roleMessage(input: unknown): string {
  return input === undefined
    ? `required: say what this environment is (${ROLES.join(', ')}); an environment without a role is never written, loaded or drilled`
    : `must be one of ${ROLES.join(', ')} (got ${JSON.stringify(input)})`;
}

const EnvironmentSchema = z
  .object({
    // Required: an environment is never written, loaded or drilled because a line was left out.
    role: z.enum(ROLES, { error: (iss) => roleMessage(iss.input) }),
    url: z.url({ protocol: /^https?$/ }),
    aws: z
      .object({
        region: z.string().default('us-east-2'),
        loadBalancerName: z.string().optional(),
        loadBalancerArn: z.string().optional(),
        /** Override of the ELBv2 endpoint (the lab's local API, or a VPC endpoint). */
        endpoint: z.url().optional(),
        /** Override of the EC2 endpoint (the lab's local API); else AWS_ENDPOINT_URL_EC2 or AWS's. */
        ec2Endpoint: z.url().optional(),
        /** false: network.alb-only does not try a TCP connect to the instances' public addresses. */
        probePublicIps: z.boolean().optional(),
        profile: z.string().optional(),
        /**
         * auto (default): fixed dummy credentials for a loopback endpoint (the lab checks no
         * signature), else the SDK's default chain; chain: always the default chain.
         */
        credentials: z.enum(['auto', 'chain']).optional(),
      })
      .strict()
      .refine((a) => a.loadBalancerName || a.loadBalancerArn, 'needs loadBalancerName or loadBalancerArn')
      .optional(),
    redis: z.object({ url: RedisUrlSchema }).strict().optional(),
  })
  .strict();

/** What an answer must be (a journey step, app.session.write). */
const ExpectSchema = z
  .object({
    /** Default: any 2xx. */
    status: z.number().int().min(100).max(599).optional(),
    /** Text the answer must contain; `{marker}` and captured `{name}`s are replaced. */
    contains: z.string().optional(),
    /** JSON pointer → the value there (deep-equal; strings get `{name}`s replaced). */
    json: z.record(jsonPointer, z.unknown()).optional(),
    /** The answer is a text/event-stream (docs/journeys.md#event-streams). */
    stream: z
      .object({
        /** At least this many events (default 1). */
        minEvents: z.number().int().min(1).max(10_000).default(1),
        /** The first event within this many ms of sending the request. */
        firstEventMs: z.number().int().min(1).max(600_000).optional(),
        /** The first event is read before the stream ends (default true): nothing buffers it. */
        incremental: z.boolean().default(true),
        /** The stream is read for at most this long (default 30 s, within the run's deadline). */
        maxSeconds: z.number().positive().max(600).default(30),
      })
      .strict()
      .optional(),
  })
  .strict();

const AppSchema = z
  .object({
    expectedInstances: z.number().int().min(1).default(2),
    health: z
      .object({
        path: z.string().startsWith('/').default('/health'),
        status: z.number().int().default(200),
        json: z.record(jsonPointer, z.unknown()).default({ '/overall': 'healthy' }),
      })
      .strict()
      .default({ path: '/health', status: 200, json: { '/overall': 'healthy' } }),
    identity: ExtractorSchema.default({ header: 'x-instance-id' }),
    version: VersionSchema.default({ header: 'x-app-version' }),
    sticky: z
      .object({
        cookie: z.string().default('AWSALB'),
        durationSeconds: z.number().int().min(1).max(604800).default(86400),
      })
      .strict()
      .default({ cookie: 'AWSALB', durationSeconds: 86400 }),
    session: z
      .object({
        cookie: z.string().default('chatmrpt_session'),
        redisKey: z.string().default('chatmrpt:{sid}'),
        ttlSeconds: z.number().int().min(1).default(86400),
        login: RequestSchema.optional(),
        write: RequestSchema.extend({ expect: ExpectSchema.omit({ stream: true }).optional() }).default({
          method: 'POST',
          path: '/upload',
          form: { csv_file: { filename: '{marker}.csv', content: 'ward,value\nA,1\n' } },
        }),
        read: RequestSchema.default({ method: 'GET', path: '/api/session/status', contains: '{marker}' }),
        /** Sent with the probe's cookies once both session checks are done (e.g. POST /api/data/clear); on production only with the write override. */
        teardown: RequestSchema.optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const LoadSchema = z
  .object({
    path: z.string().startsWith('/').default('/ping'),
    connections: z.number().int().min(1).max(1000).default(50),
    duration: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m)?$/)]).default('20s'),
    /**
     * Requests per second over all connections (a fixed rate), or "all-out" (every connection
     * as fast as it is answered). The default is a rate: all-out on a real staging is a denial
     * of service, not a measurement. The embedded lab's own config says all-out.
     */
    rate: z.union([z.number().int().min(1).max(100_000), z.literal('all-out')]).default(100),
    /** Expected share per instance id, as relative weights (default: equal over app.expectedInstances). */
    weights: z.record(z.string(), z.number().positive()).optional(),
    thresholds: z
      .object({
        maxErrorRate: z.number().min(0).max(1).default(0.01),
        p99Ms: z.number().positive().default(800),
        minShare: z.number().min(0).max(1).default(0.4),
        /** Significance level of the chi-square test of the split against the weights (0 turns it off). */
        alpha: z.number().min(0).max(1).default(0.001),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** YYYY-MM-DD and a day of the calendar ("2027-02-30" is not). */
function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

const ExpectDifferentSchema = z
  .object({
    path: z.string(),
    reason: z.string().min(1),
    /** The last day the entry applies (it ends with that day, UTC); ISO only, so no time zone reads it otherwise. */
    expires: z
      .string()
      .refine(isIsoDate, 'must be an ISO date YYYY-MM-DD (the last day it applies, UTC)')
      .optional(),
  })
  .strict();

// A journey: a user's workflow as ordered steps, each of which may be sent to another
// instance than the step before (see docs/journeys.md). The names are a contract.
const oneBody = (r: { json?: unknown; form?: unknown; body?: unknown }) =>
  [r.json, r.form, r.body].filter((b) => b !== undefined).length <= 1;

const JourneyRequestSchema = RequestBase.omit({ token: true, contains: true })
  .refine(oneBody, { message: 'give at most one of form, json, body' })
  .superRefine(bodyOnlyWithWrites);

/** Where a captured value is read from the step's answer (exactly one source). */
const CaptureSchema = z
  .object({
    /** A JSON pointer into the body. */
    json: jsonPointer.optional(),
    /** A response header (case-insensitive). */
    header: z.string().min(1).optional(),
    /** A cookie the client holds after the answer (set now or earlier). */
    cookie: z.string().min(1).optional(),
    /** A regular expression over the body; the value is its group `group` (default 1). */
    regex: z.string().min(1).optional(),
    group: z.number().int().min(0).max(99).optional(),
    /** An HTML element (tag, #id, .class, tag[attr=value]): its `attr`, or its text without one. */
    html: z.string().min(1).optional(),
    attr: z.string().min(1).optional(),
  })
  .strict()
  .refine(
    (c) => [c.json, c.header, c.cookie, c.regex, c.html].filter((x) => x !== undefined).length === 1,
    'give exactly one of json, header, cookie, regex, html',
  )
  .refine((c) => c.group === undefined || c.regex !== undefined, 'group goes with regex')
  .refine((c) => c.attr === undefined || c.html !== undefined, 'attr goes with html')
  .refine((c) => {
    if (c.regex === undefined) return true;
    try {
      new RegExp(c.regex);
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');

/** Capture names are `{name}` placeholders: letters, digits, "_", and never `marker`. */
const Captures = z.record(z.string(), CaptureSchema).superRefine((rec, ctx) => {
  for (const name of Object.keys(rec)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      ctx.addIssue({ code: 'custom', path: [name], message: 'letters, digits, "_" (it is used as {name})' });
    else if (name === 'marker')
      ctx.addIssue({ code: 'custom', path: [name], message: '"marker" is taken by the run\'s {marker}' });
  }
});

export const JourneyStepSchema = z
  .object({
    name: z.string().min(1),
    /** Which instance, relative to the previous step's. */
    on: z.enum(['same', 'other', 'any']).default('same'),
    /** Repeat the step (on the same instance) while its expectation fails, up to this long. */
    settleSeconds: z.number().positive().max(600).optional(),
    request: JourneyRequestSchema,
    expect: ExpectSchema.prefault({}),
    /** Values read from the answer, used as `{name}` by later steps (never recorded). */
    capture: Captures.optional(),
  })
  .strict();

/** A teardown step: sent with the user's cookies as they are at the end (no `on`, no retries). */
const TeardownStepSchema = JourneyStepSchema.omit({ on: true, settleSeconds: true, capture: true });

export const JourneySchema = z
  .object({
    /** Becomes the check id journey.<name>. */
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
        'letters, digits, "-", "_", "." (it names the check journey.<name>)',
      ),
    steps: z
      .array(JourneyStepSchema)
      .min(1)
      .refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'step names must be unique'),
    /** Run for every user the journey made, after its steps, pass or fail (never fails the check). */
    teardown: z
      .array(TeardownStepSchema)
      .max(10)
      .default([])
      .refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'teardown step names must be unique'),
  })
  .strict();

/** One of the app's own endpoints, compared Diffy-style (docs/endpoints.md). Read-only by construction. */
const EndpointSchema = z
  .object({
    path: z
      .string()
      .startsWith('/')
      .regex(/^[^\s\]]+$/, 'must not contain whitespace or "]" (it names fingerprint fields)'),
    /** shape: status, content type, JSON keys and types; values: the JSON values too; assets: the
     * script and stylesheet URLs an HTML page references; hash: the body's SHA-256. */
    compare: z.enum(['shape', 'values', 'assets', 'hash']).default('shape'),
    /** Send a fresh session's cookie (made on staging only; production is asked without cookies). */
    withSession: z.boolean().default(false),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    /** Bodies longer than this are not read further (the endpoint is then unverified). */
    maxBytes: z
      .number()
      .int()
      .min(1)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024),
  })
  .strict();

export const ConfigSchema = z
  .object({
    environments: z
      .record(z.string(), EnvironmentSchema)
      .refine((e) => Object.keys(e).length > 0, 'needs at least one environment'),
    app: AppSchema.prefault({}),
    load: LoadSchema.prefault({}),
    fingerprint: z
      .object({
        expectDifferent: z.array(ExpectDifferentSchema).default([]),
        endpoints: z
          .array(EndpointSchema)
          .default([])
          .superRefine((list, ctx) => {
            const seen = new Set<string>();
            for (const [i, e] of list.entries()) {
              if (seen.has(e.path))
                ctx.addIssue({ code: 'custom', path: [i, 'path'], message: `duplicate path ${e.path}` });
              seen.add(e.path);
            }
          }),
      })
      .strict()
      .prefault({}),
    /** Users' own suite folders (relative to the config file), run after the mode's suites. */
    suites: z
      .object({ extra: z.array(z.string().min(1)).default([]) })
      .strict()
      .prefault({}),
    journeys: z
      .array(JourneySchema)
      .default([])
      .refine((j) => new Set(j.map((x) => x.name)).size === j.length, 'journey names must be unique'),
  })
  .strict();

export type ParityConfig = z.infer<typeof ConfigSchema>;
export type EnvironmentConfig = z.infer<typeof EnvironmentSchema>;
export type AppConfig = z.infer<typeof AppSchema>;
type LoadConfig = z.infer<typeof LoadSchema>;
export type RequestSpec = z.infer<typeof RequestSchema>;
export type Journey = z.infer<typeof JourneySchema>;
export type JourneyStep = z.infer<typeof JourneyStepSchema>;
export type TeardownStep = z.infer<typeof TeardownStepSchema>;
export type StepExpect = z.infer<typeof ExpectSchema>;
export type Capture = z.infer<typeof CaptureSchema>;
export type EndpointSpec = z.infer<typeof EndpointSchema>;
export type Extractor = z.infer<typeof ExtractorSchema>;
export type LoadThresholds = LoadConfig['thresholds'];
