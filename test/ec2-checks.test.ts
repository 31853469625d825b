// The EC2 plane's pure parts: network.alb-only and instances.same-build over synthetic planes,
// targets.registered with EC2's view, the bounded TCP probe (loopback only), and the EC2
// fingerprint (group ids become role placeholders, CIDRs stay; instances.types can be waived).
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instancesSameBuild } from '../src/checks/instances.js';
import { networkAlbOnly } from '../src/checks/network.js';
import { targetContext } from '../src/contract/target.js';
import { targetsRegistered } from '../src/checks/targets.js';
import { parseConfig } from '../src/config/load.js';
import type { Ec2Plane, InstanceView, SgRule, TcpProbe } from '../src/contract/ec2.js';
import { diffFingerprints } from '../src/fingerprint/diff.js';
import { ec2Sample } from '../src/fingerprint/ec2.js';
import { normalizeFields } from '../src/fingerprint/normalize.js';
import type { Fingerprint } from '../src/fingerprint/types.js';
import { isPrivateAddress, tcpConnect } from '../src/net/tcp.js';

const A = 'i-0a57a91e0000000a1';
const B = 'i-0a57a91e0000000b2';
const ALB = 'sg-0aaaaaaaaaaaaaaa1';
const INST = 'sg-0bbbbbbbbbbbbbbb2';

function ctx(aws: Record<string, unknown> = {}) {
  const yaml = JSON.stringify({
    environments: {
      staging: {
        role: 'staging',
        url: 'http://127.0.0.1:1',
        aws: { loadBalancerName: 'chatmrpt-staging-alb', ...aws },
      },
    },
  });
  return targetContext(parseConfig(yaml, 'test'), 'staging');
}

const rule = (r: Partial<SgRule> & { port?: number }): SgRule => ({
  protocol: r.protocol ?? 'tcp',
  ...(r.port !== undefined ? { fromPort: r.port, toPort: r.port } : {}),
  ...(r.fromPort !== undefined ? { fromPort: r.fromPort, toPort: r.toPort } : {}),
  cidrs: r.cidrs ?? [],
  ipv6Cidrs: r.ipv6Cidrs ?? [],
  groups: r.groups ?? [],
  prefixLists: r.prefixLists ?? [],
});

const instance = (id: string, extra: Partial<InstanceView> = {}): InstanceView => ({
  id,
  state: 'running',
  type: 't3.medium',
  imageId: 'ami-0123456789abcdef0',
  imageName: 'chatmrpt-app-2026-11-20',
  platform: 'Linux/UNIX',
  availabilityZone: 'us-east-2a',
  securityGroups: [INST],
  profile: 'chatmrpt-staging-ec2',
  privateIp: '10.0.1.11',
  tags: {},
  ...extra,
});

/** The plan's Phase 4, with changes. */
function plane(
  change: { instanceIngress?: SgRule[]; albIngress?: SgRule[]; instances?: InstanceView[] } = {},
): Ec2Plane {
  return {
    loadBalancer: 'chatmrpt-staging-alb',
    lbSecurityGroups: [ALB],
    listenerPorts: [80, 443],
    targetPorts: [8080],
    targets: [A, B].map((id) => ({ id, port: 8080, state: 'healthy' as const })),
    instances: change.instances ?? [instance(A), instance(B, { availabilityZone: 'us-east-2b' })],
    missing: [],
    securityGroups: [
      {
        id: ALB,
        name: 'chatmrpt-staging-alb-sg',
        ingress: change.albIngress ?? [
          rule({ port: 80, cidrs: ['0.0.0.0/0'] }),
          rule({ port: 443, cidrs: ['0.0.0.0/0'] }),
        ],
        egress: [rule({ protocol: '-1', cidrs: ['0.0.0.0/0'] })],
      },
      {
        id: INST,
        name: 'chatmrpt-staging-instance-sg',
        ingress: change.instanceIngress ?? [
          rule({ port: 8080, groups: [ALB] }),
          rule({ port: 22, cidrs: ['203.0.113.10/32'] }),
        ],
        egress: [rule({ protocol: '-1', cidrs: ['0.0.0.0/0'] })],
      },
    ],
  };
}

/** A probe that records and answers as told; it connects to nothing. */
function fakeProbe(answer: 'open' | 'timeout' = 'timeout'): TcpProbe & { calls: string[] } {
  const calls: string[] = [];
  const probe = async (ip: string, port: number) => {
    calls.push(`${ip}:${port}`);
    return answer;
  };
  return Object.assign(probe, { calls });
}

describe('network.alb-only', () => {
  it("passes on the plan's Phase 4 groups; no public address means nothing is probed", async () => {
    const probe = fakeProbe();
    const r = await networkAlbOnly(ctx(), async () => plane(), probe);
    expect(r.status, r.diagnosis).toBe('pass');
    expect(r.diagnosis).toBe(
      `2 instances admit target port 8080 only from the load balancer's groups (${ALB}); SSH not open to the world; listener ports 80, 443 admitted; no instance has a public address`,
    );
    expect(probe.calls).toEqual([]);
  });

  it('names every instance, the group and the rule that admits the app port from elsewhere', async () => {
    const r = await networkAlbOnly(
      ctx(),
      async () =>
        plane({
          instanceIngress: [
            rule({ port: 8080, groups: [ALB], cidrs: ['0.0.0.0/0'] }),
            rule({ fromPort: 8000, toPort: 9000, ipv6Cidrs: ['::/0'] }),
            rule({ protocol: '-1', cidrs: ['10.0.0.0/16'] }),
            rule({ port: 22, cidrs: ['203.0.113.10/32'] }),
          ],
        }),
      fakeProbe(),
    );
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toBe(
      [
        `${A}, ${B}: ${INST} (chatmrpt-staging-instance-sg) admits tcp 8080 (target port 8080) from 0.0.0.0/0`,
        `${A}, ${B}: ${INST} (chatmrpt-staging-instance-sg) admits tcp 8000-9000 (target port 8080) from ::/0`,
        `${A}, ${B}: ${INST} (chatmrpt-staging-instance-sg) admits all traffic (target port 8080) from 10.0.0.0/16`,
      ].join('; '),
    );
  });

  it('SSH from the world, no rule from the ALB, and a listener port the ALB group does not admit each fail', async () => {
    const r = await networkAlbOnly(
      ctx(),
      async () =>
        plane({
          instanceIngress: [rule({ port: 22, cidrs: ['0.0.0.0/0'] })],
          albIngress: [rule({ port: 80, cidrs: ['0.0.0.0/0'] })],
        }),
      fakeProbe(),
    );
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toContain(
      `${A}, ${B}: no security group admits target port 8080 from the load balancer's groups (${ALB})`,
    );
    expect(r.diagnosis).toContain(
      `${A}, ${B}: ${INST} (chatmrpt-staging-instance-sg) admits SSH (tcp 22) from 0.0.0.0/0`,
    );
    expect(r.diagnosis).toContain(`the load balancer's groups (${ALB}) do not admit its listener port 443`);
  });

  it('probes only public addresses, within the bound, and names the one that answered and where from', async () => {
    const probe = fakeProbe('open');
    const p = plane({
      instances: [instance(A, { publicIp: '127.0.0.2' }), instance(B, { publicIp: '10.0.2.41' })],
    });
    const r = await networkAlbOnly(ctx(), async () => p, probe);
    expect(probe.calls).toEqual(['127.0.0.2:8080']); // the private one is never touched
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toMatch(
      new RegExp(
        `^${A} answered on its public address 127\\.0\\.0\\.2:8080 \\(TCP connect from .+ succeeded\\)$`,
      ),
    );
    const ev = (r.evidence as Record<string, unknown>).probe as {
      from: string;
      boundMs: number;
      results: { instance: string; outcome: string }[];
    };
    expect(ev.boundMs).toBe(1500);
    expect(ev.results).toEqual([
      { instance: A, address: '127.0.0.2', port: 8080, outcome: 'open' },
      { instance: B, address: '10.0.2.41', port: 8080, outcome: 'not probed (private address)' },
    ]);
  });

  it('a public address that does not answer passes, saying so; probePublicIps: false turns the probe off', async () => {
    const p = plane({ instances: [instance(A, { publicIp: '127.0.0.2' }), instance(B)] });
    const quiet = await networkAlbOnly(ctx(), async () => p, fakeProbe('timeout'));
    expect(quiet.status).toBe('pass');
    expect(quiet.diagnosis).toMatch(
      /no public address answered within 1500 ms \(i-0a57a91e0000000a1 127\.0\.0\.2:8080 timeout; probed from .+\)$/,
    );
    const probe = fakeProbe('open');
    const off = await networkAlbOnly(ctx({ probePublicIps: false }), async () => p, probe);
    expect(off.status).toBe('pass');
    expect(probe.calls).toEqual([]);
    expect((off.evidence as Record<string, unknown>).probe).toEqual({
      disabled: 'environments.staging.aws.probePublicIps is false',
    });
  });
});

describe('the TCP probe (loopback only)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.2', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('open on a listening loopback address, refused where nothing listens', async () => {
    expect(await tcpConnect('127.0.0.2', port, 2000)).toBe('open');
    expect(await tcpConnect('127.0.0.3', port, 2000)).toBe('refused');
  });

  it('refuses private, link-local and non-IP targets without connecting', async () => {
    for (const ip of [
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      'fd00::1',
      'fe80::1',
    ]) {
      expect(isPrivateAddress(ip), ip).toBe(true);
      await expect(tcpConnect(ip, 8080, 100)).rejects.toThrow(`refused: ${ip} is a private address`);
    }
    await expect(tcpConnect('example.org', 80, 100)).rejects.toThrow(
      'refused: example.org is not an IP address',
    );
    for (const ip of ['3.21.45.67', '127.0.0.2', '172.32.0.1', '2600:1f16::1'])
      expect(isPrivateAddress(ip), ip).toBe(false);
  });
});

describe('instances.same-build', () => {
  it('passes listing instance → AMI name, type, state', async () => {
    const r = await instancesSameBuild(ctx(), async () => plane());
    expect(r.status).toBe('pass');
    expect(r.diagnosis).toBe(
      `2 instances on one AMI and type, all running: ${A} → chatmrpt-app-2026-11-20 (ami-0123456789abcdef0), t3.medium, running; ${B} → chatmrpt-app-2026-11-20 (ami-0123456789abcdef0), t3.medium, running`,
    );
  });

  it('another AMI, another type, a stopped instance, an instance EC2 does not know: each named', async () => {
    const p = {
      ...plane({
        instances: [
          instance(A),
          instance(B, {
            imageId: 'ami-0fedcba9876543210',
            imageName: 'chatmrpt-app-2026-11-27',
            type: 't3.large',
            state: 'stopped',
          }),
        ],
      }),
      missing: ['i-0cccccccccccccccc'],
    };
    const r = await instancesSameBuild(ctx(), async () => p);
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toBe(
      `EC2 has no instance i-0cccccccccccccccc (registered in chatmrpt-staging-alb's target group); different AMIs (2); different instance types (t3.medium, t3.large); not running: ${B} stopped: ` +
        `${A} → chatmrpt-app-2026-11-20 (ami-0123456789abcdef0), t3.medium, running; ${B} → chatmrpt-app-2026-11-27 (ami-0fedcba9876543210), t3.large, stopped`,
    );
  });
});

describe("targets.registered with EC2's view", () => {
  const rows = async () => [A, B].map((id) => ({ id, port: 8080, state: 'healthy' as const }));
  it('a healthy target whose instance EC2 says is stopped fails with that cause', async () => {
    const r = await targetsRegistered(ctx(), rows, async () => ({ [A]: 'running', [B]: 'stopped' }));
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toBe(
      `chatmrpt-staging-alb: ${B} is healthy in the target group but EC2 says it is stopped`,
    );
    expect(r.evidence.instanceStates).toEqual({ [A]: 'running', [B]: 'stopped' });
  });

  it('all running passes saying so; EC2 unavailable keeps the ELBv2 verdict and says why', async () => {
    const ok = await targetsRegistered(ctx(), rows, async () => ({ [A]: 'running', [B]: 'running' }));
    expect(ok.diagnosis).toBe(
      `2 targets registered in chatmrpt-staging-alb, all healthy and running in EC2: ${A}, ${B}`,
    );
    const denied = await targetsRegistered(ctx(), rows, async () => {
      throw new Error(
        'environments.staging.aws (us-east-2): access denied to ec2:DescribeInstances (UnauthorizedOperation): no',
      );
    });
    expect(denied.status).toBe('pass');
    expect(denied.diagnosis).toMatch(/\(EC2 state not checked: .*access denied to ec2:DescribeInstances/);
  });
});

describe('EC2 fingerprint', () => {
  it('replaces group ids with role placeholders and keeps CIDRs, also through normalization', () => {
    const p = plane({
      instanceIngress: [
        rule({ port: 8080, groups: [ALB], cidrs: ['0.0.0.0/0'] }),
        rule({ port: 22, cidrs: ['203.0.113.10/32'] }),
      ],
    });
    const s = ec2Sample(p, 'staging');
    const { fields, raw } = normalizeFields(s.fields, s.identifiers);
    expect(fields['securityGroups.instance.ingress[tcp:8080]']).toBe('0.0.0.0/0, <sg:alb>');
    expect(s.raw['securityGroups.instance.ingress[tcp:8080]']).toBe(`0.0.0.0/0, ${ALB}`);
    expect(fields['securityGroups.instance.ingress[tcp:22]']).toBe('203.0.113.10/32');
    expect(fields['securityGroups.alb.ingress[tcp:443]']).toBe('0.0.0.0/0');
    expect(fields['securityGroups.instance.egress[all]']).toBe('0.0.0.0/0');
    expect(fields['instances.profiles']).toBe('chatmrpt-<env>-ec2=2');
    expect(raw['instances.profiles']).toBe('chatmrpt-staging-ec2=2');
    expect(fields).toMatchObject({
      'instances.count': 2,
      'instances.types[t3.medium]': 2,
      'instances.amiNames[chatmrpt-app-2026-11-20]': 2,
      'instances.publicIp[no]': 2,
      'instances.states[running]': 2,
      'securityGroups.alb.count': 1,
      'securityGroups.instance.count': 1,
    });
    expect(JSON.stringify(fields)).not.toMatch(/sg-[0-9a-f]/);
  });

  it('expectDifferent waives instances.types with a reason until it expires', () => {
    const fpOf = (env: string, type: string): Fingerprint => ({
      schemaVersion: 1,
      kind: 'parity-fingerprint',
      env,
      role: env,
      collectedAt: '2026-12-01T00:00:00.000Z',
      samples: 2,
      fields: normalizeFields(
        ec2Sample(plane({ instances: [instance(A, { type }), instance(B, { type })] }), env).fields,
        [],
      ).fields,
      raw: {},
      unknown: {},
      volatile: [],
    });
    const staging = fpOf('staging', 't3.medium');
    const production = fpOf('production', 't3.large');
    const waiver = [{ path: 'instances.types', reason: 'staging uses t3.medium', expires: '2027-06-01' }];
    const d = diffFingerprints(staging, production, { expectDifferent: waiver, now: new Date('2026-12-01') });
    expect(d.differences.map((x) => [x.path, x.class, x.note])).toEqual([
      ['instances.types[t3.large]', 'expected', 'staging uses t3.medium (until 2027-06-01)'],
      ['instances.types[t3.medium]', 'expected', 'staging uses t3.medium (until 2027-06-01)'],
    ]);
    const late = diffFingerprints(staging, production, {
      expectDifferent: waiver,
      now: new Date('2027-06-02'),
    });
    expect(late.summary.drift).toBe(2);
    expect(diffFingerprints(staging, production).differences.every((x) => x.class === 'drift')).toBe(true);
  });
});
