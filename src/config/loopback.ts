import type { ParityConfig } from './schema.js';

/** Whether `url` names this machine: localhost, ::1 or any 127.0.0.0/8 address. */
export function isLoopback(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

const plainLoopback = (url: string | undefined, scheme: 'http:' | 'redis:') =>
  url !== undefined && url.startsWith(`${scheme}//`) && isLoopback(url);

/**
 * Whether every connection the config's environments can make is plaintext to this machine (as
 * the embedded lab's are): each URL http:// or redis:// on loopback, and each AWS API at a
 * loopback endpoint of its own with the lab's dummy credentials (else the SDK may reach AWS
 * or STS over TLS). A run that makes only such connections checks no certificate.
 */
export function plaintextLoopbackOnly(config: ParityConfig): boolean {
  return Object.values(config.environments).every(
    (env) =>
      plainLoopback(env.url, 'http:') &&
      (!env.redis || plainLoopback(env.redis.url, 'redis:')) &&
      (!env.aws ||
        (plainLoopback(env.aws.endpoint, 'http:') &&
          plainLoopback(env.aws.ec2Endpoint, 'http:') &&
          env.aws.credentials !== 'chain')),
  );
}
