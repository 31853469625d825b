import { AwsError, firstLine } from '../errors.js';
import { ELBV2_SERVICE, type AwsHandle } from './client.js';

const CREDENTIALS_MISSING =
  /CredentialsProviderError|Could not load credentials|Unable to find.*credentials/i;
const CREDENTIALS_REJECTED = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'IncompleteSignature',
  'AuthFailure',
]);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const numberWord = (n: number) => WORDS[n] ?? String(n);

/** Any SDK failure as one line naming the cause and the config key (exit 3: the check could not run). */
export function awsError(err: unknown, action: string, e: AwsHandle): AwsError {
  const service = e.service ?? ELBV2_SERVICE;
  const x = err as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  const name = x.name ?? '';
  const msg = firstLine(x.message ?? String(err));
  const where = `${e.key} (${e.aws.region})`;
  if (CREDENTIALS_MISSING.test(name) || CREDENTIALS_MISSING.test(msg)) {
    return new AwsError(
      `${where}: no AWS credentials found (tried env, profile${e.aws.profile ? ` "${e.aws.profile}"` : ''}, SSO, instance role)`,
    );
  }
  if (CREDENTIALS_REJECTED.has(name)) {
    return new AwsError(`${where}: AWS rejected the credentials (${name}): ${msg}`);
  }
  if (ACCESS_DENIED.has(name) || x.$metadata?.httpStatusCode === 403) {
    return new AwsError(`${where}: access denied to ${service.iam}:${action} (${name}): ${msg}`);
  }
  if (name === 'LoadBalancerNotFoundException') {
    const lb = e.aws.loadBalancerName
      ? `"${e.aws.loadBalancerName}" (${e.key}.loadBalancerName)`
      : `${e.aws.loadBalancerArn} (${e.key}.loadBalancerArn)`;
    return new AwsError(`load balancer ${lb} not found in ${e.aws.region}`);
  }
  if (THROTTLED.has(name)) {
    const attempts = x.$metadata?.attempts;
    return new AwsError(
      `${where}: ${action} throttled by AWS (${name}: ${msg})${attempts ? ` after ${attempts} attempts` : ''}`,
    );
  }
  if (/^Invalid[A-Za-z]*(ID|Id)\.(NotFound|Malformed)$|^InvalidGroup\.NotFound$/.test(name)) {
    return new AwsError(`${where}: ${action}: ${name}: ${msg}`);
  }
  if (name === 'TargetGroupNotFoundException') {
    return new AwsError(`${where}: target group not found during ${action}: ${msg}`);
  }
  const status = x.$metadata?.httpStatusCode;
  if (name === 'NotAwsApi') {
    const type = (err as { contentType?: string }).contentType ?? '';
    const what = /html/i.test(type) ? 'HTML' : type.split(';')[0];
    return new AwsError(
      `${where}: the endpoint answered ${what}, not the AWS API (HTTP ${status} to ${action}; is ${e.key}.endpoint the ELBv2 API?)`,
    );
  }
  // An answer that is no AWS error document (a proxy's 500 page, an empty 503): the SDK can
  // only say it failed to parse it; the cause is the status, after the SDK's retries.
  if (
    status &&
    status >= 400 &&
    (!name || name === 'Error' || name === 'Unknown' || /XML parse error|Deserialization error/i.test(msg))
  ) {
    const attempts = x.$metadata?.attempts ?? 1;
    const times = attempts === 1 ? 'once' : `${numberWord(attempts)} times`;
    return new AwsError(
      `${where}: the ELBv2 endpoint answered HTTP ${status} ${times} (${action}), not an AWS error`,
    );
  }
  const code = x.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  if (code && NETWORK.has(code)) {
    return new AwsError(`${where}: ${service.label} endpoint unreachable (${code})`);
  }
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AwsError(`${where}: ${action} timed out`);
  }
  return new AwsError(`${where}: ${action} failed: ${name || 'error'}: ${msg}`);
}

const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/**
 * Whether a failed call surely changed nothing (a definite refusal) rather than maybe (an
 * uncertain failure). Surely not: refused before it was sent (the gate, the deadline, no
 * credentials), answered with a 4xx (AccessDenied, a validation error, throttling: AWS did not
 * act), or never connected on its only attempt. Maybe: a timeout, a reset, a 5xx, anything
 * else, and a failed connection after an earlier attempt that may have been applied.
 */
export function notApplied(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // gatedSend keeps the SDK's error as the cause; without one, nothing was sent.
  if (!('cause' in err) || err.cause === undefined) return true;
  const raw = err.cause as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string };
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  const status = raw.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 400 && status < 500 && status !== 408;
  if (CREDENTIALS_MISSING.test(raw.name ?? '') || CREDENTIALS_MISSING.test(raw.message ?? '')) return true;
  const code = raw.code ?? raw.cause?.code;
  return code !== undefined && NEVER_CONNECTED.has(code) && (raw.$metadata?.attempts ?? 1) <= 1;
}
