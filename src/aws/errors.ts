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
