import { z } from 'zod';

// The parity config (design: "Config"). Objects are strict so a misspelt key is an error
// that names it, not a setting silently ignored.

const jsonPointer = z.string().regex(/^(\/.*)?$/, 'must be a JSON pointer such as /overall');

/** Where an instance identity or version is read: a response header, or a JSON pointer into a request's answer. */
export const ExtractorSchema = z.union([
  z.object({ header: z.string().min(1) }).strict(),
  z.object({ path: z.string().startsWith('/'), json: jsonPointer }).strict(),
]);

const FormFieldSchema = z.union([
  z.string(),
  z.object({ filename: z.string(), content: z.string(), contentType: z.string().optional() }).strict(),
]);

export const RequestSchema = z
  .object({
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    path: z.string().startsWith('/'),
    headers: z.record(z.string(), z.string()).optional(),
    json: z.record(z.string(), z.unknown()).optional(),
    form: z.record(z.string(), FormFieldSchema).optional(),
    /** JSON pointer to a bearer token in the answer (login only). */
    token: jsonPointer.optional(),
    /** Text the answer must contain (read only); `{marker}` is replaced. */
    contains: z.string().optional(),
  })
  .strict();

export const EnvironmentSchema = z
  .object({
    role: z.enum(['staging', 'production', 'other']).default('staging'),
    url: z.url({ protocol: /^https?$/ }),
    aws: z
      .object({
        region: z.string().default('us-east-2'),
        loadBalancerName: z.string().optional(),
        loadBalancerArn: z.string().optional(),
        /** Override of the ELBv2 endpoint (the lab's local API, or a VPC endpoint). */
        endpoint: z.url().optional(),
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
    redis: z
      .object({ url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL') })
      .strict()
      .optional(),
  })
  .strict();

export const AppSchema = z
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
    version: ExtractorSchema.default({ header: 'x-app-version' }),
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
        write: RequestSchema.default({
          method: 'POST',
          path: '/upload',
          form: { csv_file: { filename: '{marker}.csv', content: 'ward,value\nA,1\n' } },
        }),
        read: RequestSchema.default({ method: 'GET', path: '/api/session/status', contains: '{marker}' }),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const LoadSchema = z
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

export const ExpectDifferentSchema = z
  .object({
    path: z.string(),
    reason: z.string().min(1),
    expires: z.union([z.string(), z.date()]).optional(),
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
      .object({ expectDifferent: z.array(ExpectDifferentSchema).default([]) })
      .strict()
      .prefault({}),
  })
  .strict();

export type ParityConfig = z.infer<typeof ConfigSchema>;
export type EnvironmentConfig = z.infer<typeof EnvironmentSchema>;
export type AppConfig = z.infer<typeof AppSchema>;
export type LoadConfig = z.infer<typeof LoadSchema>;
export type RequestSpec = z.infer<typeof RequestSchema>;
export type Extractor = z.infer<typeof ExtractorSchema>;
export type LoadThresholds = LoadConfig['thresholds'];
