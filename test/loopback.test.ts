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
  parseConfig(
    JSON.stringify({
      environments: {
        staging: { role: 'staging', ...staging },
        production: { role: 'production', ...production },
      },
    }),
    'test.yaml',
  );

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
    ['ELBv2 left to AWS', { ...lab, aws: { ...lab.aws, endpoint: undefined } }],
    ["the SDK's credential chain", { ...lab, aws: { ...lab.aws, credentials: 'chain' } }],
  ])('does not hold with %s', (_, staging) => {
    expect(plaintextLoopbackOnly(config(staging))).toBe(false);
  });

  it("resolves the AWS endpoints as the clients do: the config's, else the SDK's variables", () => {
    const noEc2 = config({ ...lab, aws: { ...lab.aws, ec2Endpoint: undefined } });
    // No EC2 endpoint at all beside a local ELBv2 one: the EC2 client refuses before it connects.
    expect(plaintextLoopbackOnly(noEc2, {})).toBe(true);
    expect(
      plaintextLoopbackOnly(noEc2, { AWS_ENDPOINT_URL_EC2: 'https://ec2.us-east-2.amazonaws.com' }),
    ).toBe(false);
    expect(plaintextLoopbackOnly(noEc2, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9003' })).toBe(true);
    const noElbv2 = config({ ...lab, aws: { ...lab.aws, endpoint: undefined } });
    expect(
      plaintextLoopbackOnly(noElbv2, { AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: 'http://127.0.0.1:9001' }),
    ).toBe(true);
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
    expect(
      ['http://10.0.0.1', 'http://128.0.0.1', 'http://127.0.0.1.example.com', 'not a url', undefined].map(
        isLoopback,
      ),
    ).toEqual([false, false, false, false, false]);
  });
});
