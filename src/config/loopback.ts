import { isIPv4 } from 'node:net';
import { effectiveEc2Endpoint, effectiveEndpoint } from './aws-endpoints.js';
import type { ParityConfig } from './schema.js';

/** Whether `url` names this machine: localhost, ::1 or any 127.0.0.0/8 address (not a name such as 127.0.0.1.example.com). */
export function isLoopback(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
  } catch {
    return false;
  }
}

const plainLoopback = (url: string | undefined, scheme: 'http:' | 'redis:') =>
  url !== undefined && url.startsWith(`${scheme}//`) && isLoopback(url);

/**
 * Whether every connection the config's environments can make is plaintext to this machine (as
 * the embedded lab's are): each URL http:// or redis:// on loopback, and the AWS APIs at
 * loopback endpoints with the lab's dummy credentials (else the SDK may reach AWS or STS over
 * TLS). Endpoints as the clients resolve them (aws-endpoints.ts): the config's, else the SDK's
 * variables; EC2 with none beside a loopback ELBv2 is refused before it connects.
 * A run that makes only such connections checks no certificate.
 */
export function plaintextLoopbackOnly(config: ParityConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return Object.values(config.environments).every((e) => {
    if (!plainLoopback(e.url, 'http:') || (e.redis && !plainLoopback(e.redis.url, 'redis:'))) return false;
    if (!e.aws) return true;
    const ec2 = effectiveEc2Endpoint(e.aws, env);
    return (
      e.aws.credentials !== 'chain' &&
      plainLoopback(effectiveEndpoint(e.aws, env), 'http:') &&
      (ec2 === undefined || plainLoopback(ec2, 'http:'))
    );
  });
}
