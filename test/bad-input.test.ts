// Bad input, one test per row of the README's bad-input table: each asserts what the user sees (one
// `parity:` line, or the run table with the failing check's one-line diagnosis), the
// documented exit code, no stack trace, and no hang (every CLI call runs under a timeout well
// below the test's). No lab: local servers that misbehave on purpose (test/helpers/bad-servers.ts).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  closedPort,
  elbv2Error,
  healthyApp,
  httpServer,
  redisServer,
  selfSignedTlsServer,
  silentServer,
} from './helpers/bad-servers.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { staging, workspace } from './helpers/workspace.js';

const { work, keep, configFile, freshPath } = workspace('parity-bad-input-');

/**
 * Every CLI call is bounded below the test timeout (60 s): a hang is a failure, not a stall.
 * 25 s was too tight: three smokes at once (502/503/504) took 21.7 s alone on 2 cores and
 * were killed at 25.4 s while another test file ran beside them. Each test makes one round of
 * CLI calls, concurrent, so 45 s keeps every bound under the test's.
 */
const CLI_TIMEOUT_MS = 45_000;

async function parity(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const r = await runCli(args, { env, cwd: work, timeoutMs: CLI_TIMEOUT_MS });
  return { ...r, ms: Date.now() - started };
}

function smoke(config: string, more: string[] = []) {
  return parity(['smoke', '--config', config, '--out', join(work, 'reports'), ...more]);
}

/** Never a stack trace, never killed by the timeout. */
function clean(r: CliResult): void {
  expect(r.code, `killed (hung?): ${r.stderr}`).not.toBeNull();
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
}

/** The command failed with exactly one stderr line and nothing on stdout. */
function oneLine(r: CliResult, code: number, line: RegExp): void {
  clean(r);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(line);
}

/** The run table's row of one check: [status, diagnosis]. */
function row(r: CliResult, id: string): [string, string] {
  const m = new RegExp(`^${id.replace('.', '\\.')}\\s+\\S+\\s+(PASS|FAIL|ERROR|SKIP)\\s+(.*)$`, 'm').exec(
    r.stdout,
  );
  expect(m, `no row ${id} in:\n${r.stdout}`).not.toBeNull();
  return [m![1], m![2]];
}

/** A smoke run that ended with its table: one summary line on stderr, the exit code, health.alb's row. */
function table(r: CliResult, code: number, health: [string, RegExp]): void {
  clean(r);
  expect(r.code, r.stdout + r.stderr).toBe(code);
  expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^smoke: \d+ passed, \d+ failed, \d+ errored, \d+ skipped; reports in /);
  const [status, diagnosis] = row(r, 'health.alb');
  expect(status).toBe(health[0]);
  expect(diagnosis).toMatch(health[1]);
  // Every diagnosis in the table is one line (rows are lines; the table has a row per check).
  expect(r.stdout.trimEnd().split('\n')).toHaveLength(1 + 11);
}

describe.concurrent('config', () => {
  it('missing config file → exit 2, one line naming the file', async () => {
    const r = await parity(['smoke', '--config', join(work, 'nope.yaml')]);
    oneLine(r, 2, /^parity: config error: config file .*nope\.yaml: file not found$/);
  });

  it('YAML syntax error → exit 2, one line naming the file and the line', async () => {
    const file = configFile('environments:\n  staging: { role: staging, url: http://127.0.0.1:1\n');
    const r = await parity(['smoke', '--config', file]);
    oneLine(r, 2, /^parity: config error: .*config-\d+\.yaml: YAML syntax error at line \d+: \S.*$/);
  });

  it('unknown key → exit 2, one line naming the key', async () => {
    const file = configFile(staging('http://127.0.0.1:1', '    colour: blue\n'));
    const r = await parity(['smoke', '--config', file]);
    oneLine(r, 2, /^parity: config error: .*: environments\.staging: unknown key "colour"$/);
  });

  it('wrong type → exit 2, one line naming the key and the expected type', async () => {
    const file = configFile(staging('http://127.0.0.1:1') + 'app:\n  expectedInstances: two\n');
    const r = await parity(['smoke', '--config', file]);
    oneLine(r, 2, /^parity: config error: .*: app\.expectedInstances: .*expected number, received string$/);
  });

  it('unresolved ${VAR} → exit 2, one line naming the key and the variable', async () => {
    const file = configFile(
      staging('http://127.0.0.1:1', '    redis: { url: "${PARITY_TEST_UNSET_URL}" }\n'),
    );
    const r = await parity(['smoke', '--config', file], { PARITY_TEST_UNSET_URL: '' });
    oneLine(
      r,
      2,
      /^parity: config error: .*config-\d+\.yaml: environments\.staging\.redis\.url: environment variable PARITY_TEST_UNSET_URL is not set$/,
    );
  });

  it('bad --deadline → exit 2, one line', async () => {
    const file = configFile(staging('http://127.0.0.1:1'));
    const r = await parity(['smoke', '--config', file, '--deadline', 'soon']);
    oneLine(r, 2, /^parity: --deadline: must be a number of seconds from 1 to 3600 \(got "soon"\)$/);
  });
});

// One smoke run at a time: each starts vitest, and the timing rows must not wait for a core.
describe('the ALB does not answer properly', () => {
  it('unreachable (accepts, never answers) → exit 3, health.alb: timed out; the run ends in the request timeout', async () => {
    const silent = await keep(silentServer());
    const r = await smoke(configFile(staging(silent.url)));
    table(r, 3, ['ERROR', /^127\.0\.0\.1:\d+: timed out after 5000 ms$/]);
    // One request waits out its timeout; every later check fails at once (the target is remembered).
    expect(row(r, 'targets.reachable')[1]).toMatch(/timed out after 5000 ms \(earlier in this run/);
    // Had each of the 12 checks waited out its own 5 s, the run would hit its 60 s deadline. The
    // bound is far from both ends: 20 s was exceeded once on a loaded machine (start-up alone
    // took seconds), not because a second request waited.
    expect(r.ms).toBeLessThan(40_000);
  });

  it('DNS failure (.invalid never resolves) → exit 3, health.alb: DNS lookup failed', async () => {
    const r = await smoke(configFile(staging('http://parity-test.invalid:8080')));
    table(r, 3, ['ERROR', /^parity-test\.invalid:8080: DNS lookup failed \((ENOTFOUND|EAI_AGAIN)\)$/]);
  });

  it('connection refused → exit 3, health.alb: connection refused', async () => {
    const port = await closedPort();
    const r = await smoke(configFile(staging(`http://127.0.0.1:${port}`)));
    table(r, 3, ['ERROR', new RegExp(`^127\\.0\\.0\\.1:${port}: connection refused$`)]);
  });

  it('TLS error (self-signed certificate) → exit 3, health.alb: TLS error naming the reason', async () => {
    const tls = await keep(selfSignedTlsServer());
    const r = await smoke(configFile(staging(tls.url)));
    table(r, 3, [
      'ERROR',
      /^127\.0\.0\.1:\d+: TLS error: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/,
    ]);
  });

  it('502/503/504 from the ALB → exit 1, health.alb fails naming the status', async () => {
    const runs = await Promise.all(
      [502, 503, 504].map(async (status) => {
        const alb = await keep(
          httpServer((_req, res) => {
            res.writeHead(status, { 'content-type': 'text/html', server: 'awselb/2.0' });
            res.end(`<html><body><center><h1>${status}</h1></center></body></html>`);
          }),
        );
        return [status, await smoke(configFile(staging(alb.url)))] as const;
      }),
    );
    for (const [status, r] of runs) {
      table(r, 1, [
        'FAIL',
        new RegExp(
          `^GET /health through the ALB: an answer without instance identity: status ${status} \\(expected 200\\), .*an ALB answers ${status} when `,
        ),
      ]);
    }
  });

  it('a health body that is not JSON → exit 1, health.alb: body is not JSON', async () => {
    let i = 0;
    const app = await keep(
      httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html', 'x-instance-id': `i-${i++ % 2}` });
        res.end('<html>OK</html>');
      }),
    );
    const r = await smoke(configFile(staging(app.url)));
    table(r, 1, [
      'FAIL',
      /^GET \/health through the ALB: i-[01]: body is not JSON; i-[01]: body is not JSON \(/,
    ]);
  });

  it('a huge body (50 MB) → exit 3, health.alb: the read is capped, the line names the cap', async () => {
    const app = await keep(
      httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-instance-id': 'i-1' });
        let sent = 0;
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        Readable.from(
          (function* () {
            while (sent < 50 * 1024 * 1024) {
              sent += chunk.length;
              yield chunk;
            }
          })(),
        )
          .on('error', () => {})
          .pipe(res)
          .on('error', () => {});
      }),
    );
    const r = await smoke(configFile(staging(app.url)));
    table(r, 3, ['ERROR', /^.*\/health: response body larger than 1048576 bytes \(read capped\)$/]);
  });

  it('a slow target (headers after 30 s) → exit 3 within --deadline', async () => {
    const slow = await keep(
      httpServer((_req, res) => {
        const t = setTimeout(() => res.end('{}'), 30_000);
        res.on('close', () => clearTimeout(t));
      }),
    );
    // The deadline counts from the start of the run, vitest's start-up included.
    const r = await smoke(configFile(staging(slow.url)), ['--deadline', '4']);
    table(r, 3, ['ERROR', /^(127\.0\.0\.1:\d+: timed out after \d+ ms|run deadline reached .*)$/]);
    // 4 s of deadline plus the CLI's start-up and shut-down; far from the target's 30 s.
    expect(r.ms).toBeLessThan(15_000);
  });
});

describe.concurrent('the session store (Redis)', () => {
  // `parity fingerprint` reads Redis directly (INFO, SCAN, TTL); the ALB here is a healthy stand-in.
  const fingerprint = async (extra: string) => {
    const app = await keep(healthyApp());
    const file = configFile(staging(app.url, extra));
    return parity(['fingerprint', '--env', 'staging', '--config', file, '--out', freshPath('fp', 'json')]);
  };

  it('Redis unreachable → exit 3, one line naming the config key and the address', async () => {
    const port = await closedPort();
    const r = await fingerprint(`    redis: { url: "redis://127.0.0.1:${port}" }\n`);
    oneLine(
      r,
      3,
      new RegExp(
        `^parity: environments\\.staging\\.redis: redis 127\\.0\\.0\\.1:${port}: connection refused$`,
      ),
    );
  });

  it('Redis wrong password → exit 3, one line saying authentication failed, never the password', async () => {
    const redis = await keep(redisServer({ password: 'the-right-one' }));
    const r = await fingerprint(`    redis: { url: "redis://:not-the-password@127.0.0.1:${redis.port}" }\n`);
    oneLine(
      r,
      3,
      /^parity: environments\.staging\.redis: redis 127\.0\.0\.1:\d+: authentication failed \(wrong password or user\)$/,
    );
    expect(r.stderr).not.toContain('not-the-password');
  });
});

describe.concurrent('the AWS control plane (ELBv2)', () => {
  const aws = (endpoint: string, more = '') =>
    `    aws: { region: us-east-2, loadBalancerName: chatmrpt-alb, endpoint: "${endpoint}"${more} }\n`;
  const fingerprint = async (extra: string, env: NodeJS.ProcessEnv = {}) => {
    const app = await keep(healthyApp());
    const file = configFile(staging(app.url, extra));
    return parity(
      ['fingerprint', '--env', 'staging', '--config', file, '--out', freshPath('fp', 'json')],
      env,
    );
  };

  it('no AWS credentials → exit 3, one line; nothing is sent', async () => {
    const elb = await keep(elbv2Error('InternalFailure', 500, 'should never be asked'));
    const home = mkdtempSync(join(work, 'home-'));
    // The SDK's default chain with nothing to find: no AWS_* variables, an empty HOME, and no
    // instance metadata lookup (it would leave the machine).
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => k.startsWith('AWS_'))
        .map((k) => [k, undefined]),
    );
    Object.assign(env, { HOME: home, AWS_EC2_METADATA_DISABLED: 'true' });
    // credentials: chain — the default chain even for this loopback endpoint.
    const r = await fingerprint(aws(elb.url, ', credentials: chain'), env);
    oneLine(
      r,
      3,
      /^parity: environments\.staging\.aws \(us-east-2\): no AWS credentials found \(tried env, profile, SSO, instance role\)$/,
    );
    expect(elb.hits).toHaveLength(0);
  });

  it('access denied → exit 3, one line naming the action', async () => {
    const elb = await keep(
      elbv2Error('AccessDenied', 403, 'User: arn:aws:iam::123456789012:user/ci is not authorized'),
    );
    const r = await fingerprint(aws(elb.url));
    oneLine(
      r,
      3,
      /^parity: environments\.staging\.aws \(us-east-2\): access denied to elasticloadbalancing:DescribeLoadBalancers \(AccessDenied\): /,
    );
  });

  it('load balancer not found → exit 3, one line naming it and the config key', async () => {
    const elb = await keep(
      elbv2Error('LoadBalancerNotFound', 400, "Load balancers '[chatmrpt-alb]' not found"),
    );
    const r = await fingerprint(aws(elb.url));
    oneLine(
      r,
      3,
      /^parity: load balancer "chatmrpt-alb" \(environments\.staging\.aws\.loadBalancerName\) not found in us-east-2$/,
    );
  });

  it('throttled → retried (5 attempts, backoff), then exit 3 with one line', async () => {
    const elb = await keep(elbv2Error('Throttling', 400, 'Rate exceeded'));
    const r = await fingerprint(aws(elb.url));
    oneLine(
      r,
      3,
      /^parity: environments\.staging\.aws \(us-east-2\): DescribeLoadBalancers throttled by AWS \(Throttling: Rate exceeded\) after 5 attempts$/,
    );
    expect(elb.hits.map((h) => new URLSearchParams(h.body).get('Action'))).toEqual(
      Array(5).fill('DescribeLoadBalancers'),
    );
  });
});
