// Which configs make only plaintext connections to this machine (src/config/loopback.ts): a lab
// run's vitest process then does without NODE_EXTRA_CA_CERTS (bin/parity.js, vitest-runner.ts).
import { describe, expect, it } from 'vitest';
import { isLoopback, plaintextLoopbackOnly } from '../src/config/loopback.js';
import { parseConfig } from '../src/config/load.js';

const lab = {
  url: 'http://127.0.0.1:8080',
  redis: { url: 'redis://127.0.0.1:6379' },
  aws: {
    loadBalancerName: 'alb',
    endpoint: 'http://127.0.0.1:9001',
    ec2Endpoint: 'http://127.0.0.1:9002',
  },
};
type Env = Record<string, unknown>;
const config = (staging: Env, production: Env = lab) =>
  parseConfig(JSON.stringify({ environments: { staging, production } }), 'test.yaml');

describe('plaintextLoopbackOnly', () => {
  it("holds for the lab's shape: http and redis on loopback, both AWS APIs at loopback endpoints", () => {
    expect(plaintextLoopbackOnly(config(lab))).toBe(true);
    expect(plaintextLoopbackOnly(config({ url: 'http://localhost:8080' }))).toBe(true);
    expect(plaintextLoopbackOnly(config({ url: 'http://[::1]:8080' }))).toBe(true);
  });

  it.each([
    ['an https ALB', { ...lab, url: 'https://127.0.0.1:8443' }],
    ['rediss', { ...lab, redis: { url: 'rediss://127.0.0.1:6379' } }],
    ['an ALB off this machine', { ...lab, url: 'http://10.0.0.5' }],
    ['EC2 left to AWS', { ...lab, aws: { ...lab.aws, ec2Endpoint: undefined } }],
    ['ELBv2 left to AWS', { ...lab, aws: { ...lab.aws, endpoint: undefined } }],
    ["the SDK's credential chain", { ...lab, aws: { ...lab.aws, credentials: 'chain' } }],
  ])('does not hold with %s', (_, staging) => {
    expect(plaintextLoopbackOnly(config(staging))).toBe(false);
  });

  it('looks at every environment, not only the one under test', () => {
    expect(plaintextLoopbackOnly(config(lab, { ...lab, url: 'https://prod.example.com' }))).toBe(false);
  });

  it('isLoopback: localhost, ::1 and 127.0.0.0/8 only', () => {
    expect(['http://localhost', 'http://[::1]:1', 'http://127.9.9.9'].map(isLoopback)).toEqual([
      true,
      true,
      true,
    ]);
    expect(['http://10.0.0.1', 'http://128.0.0.1', 'not a url', undefined].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
