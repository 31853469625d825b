// A local AWS endpoint for the collector tests: it answers the real SDK client with the
// recorded-shape XML of fixtures/aws, records each request's form parameters, and can be told
// what to answer next. Listens on 127.0.0.1 only.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { targetContext } from '../../src/contract/target.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/aws/${name}`, import.meta.url), 'utf8');

export interface AwsFixtures {
  readonly endpoint: string;
  /** The form parameters of every request of the current test, in order. */
  readonly requests: URLSearchParams[];
  /** Answers to give before routing: [status, fixture] per request, consumed in order. */
  readonly queue: [number, string][];
}

/**
 * Call at the top of a test file: the endpoint serves its tests and is closed after them;
 * `requests` and `queue` are emptied before each test. `route` names the fixture that answers
 * a request; an `error.*` fixture answers 400, any other 200.
 */
export function useAwsFixtures(route: (p: URLSearchParams) => string, contentType: string): AwsFixtures {
  let server: Server | undefined;
  let endpoint: string | undefined;
  const requests: URLSearchParams[] = [];
  const queue: [number, string][] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const params = new URLSearchParams(body);
        requests.push(params);
        const [status, file] = queue.shift() ?? [0, route(params)];
        res.writeHead(status || (file.startsWith('error.') ? 400 : 200), { 'content-type': contentType });
        res.end(fixture(file));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
  beforeEach(() => {
    requests.length = 0;
    queue.length = 0;
  });
  return {
    get endpoint() {
      if (!endpoint) throw new Error('the AWS fixture endpoint is not up (beforeAll failed?)');
      return endpoint;
    },
    requests,
    queue,
  };
}

/** The target context of one production environment: region us-east-2, load balancer chatmrpt-alb, then `aws`. */
export function productionContext(aws: Record<string, unknown>) {
  const yaml = JSON.stringify({
    environments: {
      production: {
        role: 'production',
        url: 'http://127.0.0.1:1',
        aws: { region: 'us-east-2', loadBalancerName: 'chatmrpt-alb', ...aws },
      },
    },
  });
  return targetContext(parseConfig(yaml, 'test'), 'production');
}
