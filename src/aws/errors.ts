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
  const code = x.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  if (code && NETWORK.has(code)) {
    return new AwsError(`${where}: ${service.label} endpoint unreachable (${code})`);
  }
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AwsError(`${where}: ${action} timed out`);
  }
  return new AwsError(`${where}: ${action} failed: ${name || 'error'}: ${msg}`);
}
