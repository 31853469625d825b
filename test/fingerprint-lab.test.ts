// The fingerprint against the embedded lab: the real SDK against the lab's ELBv2 endpoint, real
// HAProxy/app/Redis. A clean lab shows no drift; each topology variant shows exactly its own.
//
// CPU is scarce, so each variant runs a staging-only lab and its fingerprint is diffed against
// the production fingerprint collected (for real) from the clean lab: fingerprints are
// normalized, so ports, pids and lab folders do not enter the comparison.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeLoadBalancers,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, describe, expect, it } from 'vitest';
import { describeTargetHealth } from '../src/aws/target-health.js';
import { fingerprintDiff } from '../src/checks/fingerprint.js';
import { targetContext } from '../src/contract/target.js';
import { loadConfigFile } from '../src/config/load.js';
import { collectFingerprint } from '../src/fingerprint/collect.js';
import { diffFingerprints } from '../src/fingerprint/diff.js';
import type { Fingerprint, Scalar } from '../src/fingerprint/types.js';
import { closeHttp } from '../src/http/client.js';
import { stopPid, waitFor } from '../src/lab/processes.js';
import { loadTopology } from '../src/lab/topology.js';
import { useLab, type LabHandle } from './helpers/lab.js';

const ROOT = join(import.meta.dirname, '..');
const ctxOf = (lab: LabHandle, env: string) => targetContext(loadConfigFile(lab.state.config!), env);
const driftOf = (a: Fingerprint, b: Fingerprint) =>
  Object.fromEntries(
    diffFingerprints(a, b)
      .differences.filter((d) => d.class === 'drift')
      .map((d) => [d.path, [d.a, d.b]]),
  );

let production: Fingerprint | undefined;
afterAll(() => closeHttp());

describe('clean lab', () => {
  const lab = useLab();

  it('staging and production show no drift, every field observed', async () => {
    const check = await fingerprintDiff(ctxOf(lab, 'staging'));
    expect(check.status, check.diagnosis).toBe('pass');
    expect(check.diagnosis).toMatch(
      /^no drift from production \(\d+ fields compared; 0 expected, 0 noise, 0 unverified\)$/,
    );
    production = await collectFingerprint(ctxOf(lab, 'production'));
    expect(production.volatile).toEqual([]);
    expect(production.unknown).toEqual({});
    // Production's session TTL is read from the lab's simulated user session, never written by parity.
    expect(production.fields['redis.session.ttl']).toBe('≤1d');
    expect(String(production.raw['redis.session.ttl'])).not.toContain('probe');
  });

  it('the ELBv2 endpoint pages, errors like AWS, and serves both environments', async () => {
    const client = new ElasticLoadBalancingV2Client({
      region: 'us-east-2',
      endpoint: lab.state.elbv2!.url,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const names: string[] = [];
      let pages = 0;
      for await (const page of paginateDescribeLoadBalancers({ client }, { PageSize: 1 })) {
        pages++;
        names.push(...(page.LoadBalancers ?? []).map((l) => l.LoadBalancerName!));
      }
      expect(pages).toBe(2);
      expect(names.sort()).toEqual(['chatmrpt-alb', 'chatmrpt-staging-alb']);
      const err = await client
        .send(new DescribeTargetGroupsCommand({ Names: ['nope-tg'] }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetGroupNotFoundException);
      expect((err as Error).message).toBe("Target groups '[nope-tg]' not found");
    } finally {
      client.destroy();
    }
  });

  it('the CLI writes a fingerprint and diffs files: exit 0 same, 1 drift, 2 bad input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parity-fp-'));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(ROOT, 'bin/parity.js'), ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const out = join(dir, 'production.json');
    const fp = run(
      'fingerprint',
      '--env',
      'production',
      '--config',
      lab.state.config!,
      '--out',
      out,
      '--samples',
      '1',
    );
    expect(fp.status, fp.stderr).toBe(0);
    expect(fp.stderr).toMatch(/^fingerprint of production: \d+ fields, 0 volatile, 0 unknown → /m);
    const same = run('diff', out, join(dir, 'production.json'));
    expect(same.status, same.stderr).toBe(0);
    const changed: Fingerprint = JSON.parse(JSON.stringify(production));
    changed.env = 'staging';
    changed.fields['loadBalancer.scheme'] = 'internal';
    writeFileSync(join(dir, 'staging.json'), JSON.stringify(changed));
    const drift = run('diff', join(dir, 'staging.json'), out);
    expect(drift.status).toBe(1);
    expect(drift.stdout).toMatch(/drift\s+loadBalancer\.scheme\s+internal\s+internet-facing/);
    writeFileSync(join(dir, 'bad.json'), '{"kind": "something else"}');
    const bad = run('diff', join(dir, 'bad.json'), out);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^parity: .*bad\.json: not a parity fingerprint/);
  });

  it('target health is live: a stopped instance turns unhealthy (Target.FailedHealthChecks)', async () => {
    const ctx = ctxOf(lab, 'staging');
    expect((await describeTargetHealth(ctx)).map((r) => [r.id, r.port, r.state])).toEqual([
      ['i-0a57a91e0000000a1', 5000, 'healthy'],
      ['i-0a57a91e0000000b2', 5000, 'healthy'],
    ]);
    const victim = lab.state.environments.staging.instances[1];
    await stopPid(victim.pid!, lab.dir);
    const rows = await waitFor(
      'the stopped instance to be unhealthy',
      async () => {
        const r = await describeTargetHealth(ctx);
        return r.find((x) => x.id === victim.id)?.state === 'unhealthy' && r;
      },
      15_000,
      250,
    );
    expect(rows.find((x) => x.id === victim.id)).toMatchObject({
      state: 'unhealthy',
      reason: 'Target.FailedHealthChecks',
    });
    expect(rows.find((x) => x.id !== victim.id)?.state).toBe('healthy');
  }, 30_000);
});

const TG = 'targetGroups[HTTP:5000]';
const VARIANTS: Record<string, Record<string, [Scalar | undefined, Scalar | undefined]>> = {
  'sticky-duration': { [`${TG}.attributes.stickiness.lb_cookie.duration_seconds`]: ['3600', '86400'] },
  'healthcheck-path': { [`${TG}.healthCheck.path`]: ['/health', '/ping'] },
  'idle-timeout': { 'loadBalancer.attributes.idle_timeout.timeout_seconds': ['30', '60'] },
  'single-instance': {
    'http.instances.seen': [1, 2],
    [`${TG}.targets.count`]: [1, 2],
    [`${TG}.targets.states`]: ['healthy=1', 'healthy=2'],
  },
  'no-sticky': {
    [`${TG}.attributes.stickiness.enabled`]: ['false', 'true'],
    'http.cookies.AWSALB': [undefined, 'Path=/; Max-Age≤7d'],
    'http.cookies.AWSALBCORS': [undefined, 'Path=/; Max-Age≤7d; SameSite=None; Secure'],
  },
  // Staging's TTL is observed on a probe session made through its ALB (staging has no users).
  'session-ttl': { 'redis.session.ttl': ['≤1h', '≤1d'] },
};
const stagingOnly = () => ({ environments: { staging: loadTopology().environments.staging } });

for (const [fault, expected] of Object.entries(VARIANTS)) {
  describe(`fault ${fault}`, () => {
    const lab = useLab({ faults: [fault], topology: stagingOnly() });
    it('shows exactly its own drift, naming the field and both values', async () => {
      expect(production, 'the clean lab block collected production').toBeDefined();
      const staging = await collectFingerprint(ctxOf(lab, 'staging'));
      expect(staging.volatile).toEqual([]);
      expect(driftOf(staging, production!)).toEqual(expected);
      if (fault === 'single-instance') {
        // The unregistered instance is absent from DescribeTargetHealth, as in AWS.
        expect((await describeTargetHealth(ctxOf(lab, 'staging'))).map((r) => r.id)).toEqual([
          'i-0a57a91e0000000a1',
        ]);
      }
    });
  });
}
