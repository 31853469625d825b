// The fingerprint against the embedded lab: the real SDK against the lab's ELBv2 endpoint, real
// HAProxy/app/Redis. A clean lab shows no drift; each topology variant shows exactly its own.
//
// CPU is scarce, so each variant runs a staging-only lab and its fingerprint is diffed against
// the production fingerprint collected (for real) from the clean lab: fingerprints are
// normalized, so ports, pids and lab folders do not enter the comparison.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { endpointsSample } from '../src/fingerprint/endpoints.js';
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
      .map((d) => [d.path, [d.a, d.b] as [Scalar | undefined, Scalar | undefined]]),
  );

let production: Fingerprint | undefined;
const ENDPOINTS = [
  '/',
  '/api/config',
  '/api/datasets',
  '/api/session/status',
  '/api/version',
  '/static/js/app.js',
];
// Fields that differ between two instances of one environment by nature (Diffy's noise).
const PER_INSTANCE = [
  'http.endpoints[/api/session/status].json/servedBy',
  'http.endpoints[/api/version].json/worker',
];
afterAll(() => closeHttp());

describe('clean lab', () => {
  const lab = useLab();

  it('staging and production show no drift, every field observed', async () => {
    const check = await fingerprintDiff(ctxOf(lab, 'staging'));
    expect(check.status, check.diagnosis).toBe('pass');
    // The one noise: the worker pid of /api/version, which differs between instances by nature.
    expect(check.diagnosis).toMatch(
      /^no drift from production \(\d+ fields compared; 0 expected, 1 noise, 0 unverified\)$/,
    );
    production = await collectFingerprint(ctxOf(lab, 'production'));
    expect(production.volatile).toEqual(PER_INSTANCE);
    expect(production.unknown).toEqual({});
    // Every configured endpoint was compared, with nothing but that noise.
    const endpoints = check.evidence.endpoints as {
      path: string;
      compared: number;
      differences: { class: string }[];
    }[];
    expect(endpoints.map((e) => e.path)).toEqual(ENDPOINTS);
    for (const e of endpoints) expect(e.compared, e.path).toBeGreaterThan(1);
    expect(endpoints.flatMap((e) => e.differences.map((d) => `${e.path} ${d.class}`))).toEqual([
      '/api/version noise',
    ]);
    // Production's session TTL is read from the lab's simulated user session, never written by parity.
    expect(production.fields['redis.session.ttl']).toBe('≤1d');
    expect(String(production.raw['redis.session.ttl'])).not.toContain('probe');
  });

  it('a field that differs between the two production instances is noise, not drift (the Diffy rule)', async () => {
    const W = 'http.endpoints[/api/version].json/worker';
    const pids = production!.perInstance![W];
    expect(Object.keys(pids)).toEqual(['<target-1>', '<target-2>']);
    expect(pids['<target-1>']).not.toBe(pids['<target-2>']);
    const staging = await collectFingerprint(ctxOf(lab, 'staging'));
    const row = diffFingerprints(staging, production!).differences.find((d) => d.path === W);
    expect(row).toMatchObject({
      class: 'noise',
      note: expect.stringMatching(/and of production \(<target-1>=\d+, <target-2>=\d+\)$/),
    });
    // Without the instances' calibration the same difference would be drift.
    const bare = (f: Fingerprint): Fingerprint => ({ ...f, volatile: [], perInstance: undefined });
    expect(
      diffFingerprints(bare(staging), bare(production!)).differences.find((d) => d.path === W)?.class,
    ).toBe('drift');
  });

  it('withSession: staging is asked with a fresh session, production without cookies (unverified, not drift)', async () => {
    const config = loadConfigFile(lab.state.config!);
    const E = 'http.endpoints[/api/session/status]';
    config.fingerprint.endpoints = [
      { path: '/api/session/status', compare: 'values', withSession: true, method: 'GET', maxBytes: 65536 },
    ];
    const s = await collectFingerprint(targetContext(config, 'staging'), { samples: 1 });
    expect(s.fields[`${E}.json/hasSession`]).toBe('true');
    expect(s.fields[`${E}.json/uploads/0`]).toMatch(/^"parity-fingerprint-[0-9a-f]{8}\.csv"$/);
    expect(s.raw[`${E}.answeredBy`]).toBe('i-0a57a91e0000000a1, i-0a57a91e0000000b2'); // spread, not pinned
    const p = await collectFingerprint(targetContext(config, 'production'), { samples: 1 });
    expect(p.unknown[E]).toMatch(/^withSession: production is asked without a session/);
    expect(p.raw[`${E}.cookieLessStatus`]).toBe(200);
    const d = diffFingerprints(s, p);
    expect(d.summary.drift).toBe(0);
    expect(d.unverified.map((u) => u.path)).toEqual([E]);
  });

  it('bounded: a body over maxBytes and a passed deadline leave the endpoint unverified, without hanging', async () => {
    const config = loadConfigFile(lab.state.config!);
    config.fingerprint.endpoints = [
      { path: '/', compare: 'assets', withSession: false, method: 'GET', maxBytes: 100 },
      { path: '/static/js/app.js', compare: 'hash', withSession: false, method: 'HEAD', maxBytes: 100 },
    ];
    const s = await endpointsSample(targetContext(config, 'production'));
    expect(s.unknown['http.endpoints[/]']).toMatch(/response body larger than 100 bytes \(read capped\)$/);
    // HEAD has no body to cap: status and content type only.
    expect(s.fields).toEqual({
      'http.endpoints[/static/js/app.js].status': 200,
      'http.endpoints[/static/js/app.js].contentType': 'application/javascript; charset=utf-8',
    });
    const late = await endpointsSample(targetContext(config, 'production', { deadline: Date.now() - 1 }));
    expect(late.fields).toEqual({});
    expect(Object.values(late.unknown)).toEqual([
      'the run deadline was reached before this endpoint was asked',
      'the run deadline was reached before this endpoint was asked',
    ]);
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

  it('the CLI writes a fingerprint and diffs files: exit 0 same, 1 drift, 2 bad input', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'parity-fp-'));
    t.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
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
    expect(fp.stderr).toMatch(/^fingerprint of production: \d+ fields, 2 volatile, 0 unknown → /m);
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
      ['i-0a57a91e0000000a1', 8080, 'healthy'],
      ['i-0a57a91e0000000b2', 8080, 'healthy'],
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

const TG = 'targetGroups[HTTP:8080]';
const VARIANTS: Record<string, Record<string, [Scalar | undefined, Scalar | undefined]>> = {
  'sticky-duration': { [`${TG}.attributes.stickiness.lb_cookie.duration_seconds`]: ['3600', '86400'] },
  'healthcheck-path': { [`${TG}.healthCheck.path`]: ['/ping', '/health'] },
  // The EC2 plane: the changed rule, AMI or state is in the field's path or value.
  'public-instance': {
    'instances.publicIp[no]': [1, 2],
    'instances.publicIp[yes]': [1, undefined],
    'securityGroups.instance.ingress[tcp:8080]': ['0.0.0.0/0, <sg:alb>', '<sg:alb>'],
  },
  'mixed-ami': {
    'instances.amiNames[chatmrpt-app-2026-11-20]': [1, 2],
    'instances.amiNames[chatmrpt-app-2026-11-27]': [1, undefined],
  },
  'stopped-instance': {
    'instances.states[running]': [1, 2],
    'instances.states[stopped]': [1, undefined],
  },
  'idle-timeout': { 'loadBalancer.attributes.idle_timeout.timeout_seconds': ['30', '60'] },
  'single-instance': {
    'http.instances.seen': [1, 2],
    // EC2 describes the registered targets' instances: one of two.
    'instances.count': [1, 2],
    'instances.amiNames[chatmrpt-app-2026-11-20]': [1, 2],
    'instances.availabilityZones[us-east-2b]': [undefined, 1],
    'instances.platforms[Linux/UNIX]': [1, 2],
    'instances.profiles': ['chatmrpt-<env>-ec2=1', 'chatmrpt-<env>-ec2=2'],
    'instances.publicIp[no]': [1, 2],
    'instances.states[running]': [1, 2],
    'instances.types[t3.medium]': [1, 2],
    [`${TG}.targets.count`]: [1, 2],
    [`${TG}.targets.states`]: ['healthy=1', 'healthy=2'],
  },
  'no-sticky': {
    [`${TG}.attributes.stickiness.enabled`]: ['false', 'true'],
    'http.cookies.AWSALB': [undefined, 'Path=/; Expires≤7d'],
    'http.cookies.AWSALBCORS': [undefined, 'Path=/; Expires≤7d; SameSite=None; Secure'],
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
      // Only the per-instance endpoint fields are volatile (one instance left: none).
      expect(staging.volatile).toEqual(fault === 'single-instance' ? [] : PER_INSTANCE);
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

// The app's own endpoints: each fault drifts exactly its own endpoint fields, with both values.
const EP_FAULTS: Record<string, (drift: Record<string, [Scalar | undefined, Scalar | undefined]>) => void> = {
  'stale-frontend': (drift) => {
    expect(Object.keys(drift).sort()).toEqual([
      'http.endpoints[/].assets[]',
      'http.endpoints[/static/js/app.js].sha256',
    ]);
    const [a, b] = drift['http.endpoints[/].assets[]'].map(String);
    const re =
      /^script \/static\/js\/app\.([0-9a-f]{8})\.js, stylesheet \/static\/css\/app\.([0-9a-f]{8})\.css$/;
    expect(a).toMatch(re);
    expect(b).toMatch(re);
    expect(re.exec(a)![1]).not.toBe(re.exec(b)![1]);
    const [ha, hb] = drift['http.endpoints[/static/js/app.js].sha256'];
    expect(ha).toMatch(/^[0-9a-f]{64}$/);
    expect(ha).not.toBe(hb);
    // The page's script is the file served at its hashed URL.
    expect(String(ha).slice(0, 8)).toBe(re.exec(a)![1]);
  },
  'missing-route': (drift) => {
    expect(drift['http.endpoints[/api/datasets].status']).toEqual([404, 200]);
    expect(drift['http.endpoints[/api/datasets].json/datasets']).toEqual([undefined, 'array<object>']);
    expect(Object.keys(drift).every((p) => p.startsWith('http.endpoints[/api/datasets].'))).toBe(true);
  },
  'shape-change': (drift) => {
    expect(drift).toEqual({ 'http.endpoints[/api/config].json/limits/maxUploadMb': ['string', 'number'] });
  },
};

for (const [fault, judge] of Object.entries(EP_FAULTS)) {
  describe(`fault ${fault}`, () => {
    const lab = useLab({ faults: [fault], topology: stagingOnly() });
    it('drifts exactly its own endpoint fields, naming the field and both values', async () => {
      expect(production, 'the clean lab block collected production').toBeDefined();
      const staging = await collectFingerprint(ctxOf(lab, 'staging'));
      // Both staging instances changed alike: drift, not an inconsistency inside staging.
      expect(staging.volatile).toEqual(PER_INSTANCE);
      expect(diffFingerprints(staging, production!).inconsistencies).toEqual([]);
      judge(driftOf(staging, production!));
    });
  });
}
