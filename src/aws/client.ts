import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { effectiveEndpoint } from '../config/aws-endpoints.js';
import { isLoopback } from '../config/loopback.js';
import { CannotRunError } from '../errors.js';
import type { TargetContext } from '../contract/target.js';

// The ELBv2 client for one environment, and the only way this project calls AWS: Describe*
// commands (plus the failover drill's two calls on staging, see call.ts), each bounded in time,
// with one-line errors naming the cause.

export type AwsConfig = NonNullable<TargetContext['env']['aws']>;

/** Which AWS service a handle talks to: its name in messages and its IAM prefix. */
export interface AwsService {
  label: 'ELBv2' | 'EC2';
  iam: 'elasticloadbalancing' | 'ec2';
}

export const ELBV2_SERVICE: AwsService = { label: 'ELBv2', iam: 'elasticloadbalancing' };

/** A configured SDK client of one environment; every call goes through `describe` (call.ts). */
export interface AwsHandle {
  client: {
    send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
    destroy(): void;
  };
  aws: AwsConfig;
  /** "environments.staging.aws", for error messages. */
  key: string;
  /** Epoch ms after which no call may start. */
  deadline: number;
  /** The environment's role: the gate (call.ts) decides on it. */
  role: TargetContext['env']['role'];
  /** The failover drill is enabled for this environment (--disruptive, or the lab). */
  disruptive: boolean;
  /** Absent: ELBv2. */
  service?: AwsService;
}

export interface Elbv2 extends AwsHandle {
  client: ElasticLoadBalancingV2Client;
}

/**
 * A success answer that is not the AWS API (an HTML page, a proxy's login form) would parse as
 * an empty list ("load balancer not found"): refuse it by its content type before the
 * deserializer runs (priority low: inside the SDK's deserializer, so the raw response is seen).
 */
const notAwsApi =
  (next: (args: unknown) => Promise<{ response: unknown }>) =>
  async (args: unknown): Promise<{ response: unknown; output?: unknown }> => {
    const out = await next(args);
    const res = out.response as { statusCode?: number; headers?: Record<string, string | undefined> };
    const type = res.headers?.['content-type'] ?? res.headers?.['Content-Type'] ?? '';
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300 && type && !/xml/i.test(type)) {
      throw Object.assign(new Error(`answered ${type}, not the AWS API`), {
        name: 'NotAwsApi',
        contentType: type,
        $metadata: { httpStatusCode: status },
      });
    }
    return out;
  };

/** Installs the not-the-AWS-API check on a client of any Query service (ELBv2, EC2). */
export function refuseNonAwsAnswers(client: { middlewareStack: { add(m: never, o: object): void } }): void {
  client.middlewareStack.add(notAwsApi as never, {
    step: 'deserialize',
    priority: 'low',
    name: 'parityNotAwsApi',
  });
}

/** What every client handle of an environment shares: its `aws` settings, their config key, deadline and role. */
export function awsSettings(ctx: TargetContext): Pick<AwsHandle, 'aws' | 'key' | 'deadline' | 'role'> {
  // The SDK warns on every run that releases after January 2027 will need Node 22; this project
  // pins its SDK version and runs on Node 20 by design, so that warning is noise in one-line output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const aws = ctx.env.aws;
  const key = `environments.${ctx.name}.aws`;
  if (!aws)
    throw new CannotRunError(`${key}: not configured (needs region and loadBalancerName or loadBalancerArn)`);
  return { aws, key, deadline: ctx.deadline, role: ctx.env.role };
}

/**
 * Credentials come from the SDK's default chain (env, profile, SSO, instance role), except for a
 * loopback endpoint (the lab): it does not check signatures, so fixed dummy credentials will do
 * (unless `credentials: chain`, e.g. for a tunnel to a real endpoint on localhost).
 * Throttling is retried by the SDK's standard retry strategy (exponential backoff with jitter).
 */
export function elbv2(ctx: TargetContext): Elbv2 {
  const settings = awsSettings(ctx);
  const { aws } = settings;
  const client = new ElasticLoadBalancingV2Client(sdkOptions(aws, aws.endpoint, effectiveEndpoint(aws)));
  refuseNonAwsAnswers(client);
  return { client, ...settings, service: ELBV2_SERVICE, disruptive: ctx.disruptive === true };
}

/**
 * The SDK client settings every service shares: region, profile, dummy credentials for a
 * loopback endpoint (unless `credentials: chain`), standard retries and connection bounds.
 * `configured` is the endpoint set in the config; `effective` the one the SDK will use.
 */
export function sdkOptions(aws: AwsConfig, configured: string | undefined, effective: string | undefined) {
  return {
    region: aws.region,
    ...(configured ? { endpoint: configured } : {}),
    ...(aws.profile ? { profile: aws.profile } : {}),
    ...(isLoopback(effective) && aws.credentials !== 'chain'
      ? { credentials: { accessKeyId: 'parity-lab', secretAccessKey: 'parity-lab' } }
      : {}),
    maxAttempts: 5,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000 },
  };
}
