// The EC2 collector against recorded-shape EC2 XML (fixtures/aws/ec2.*.xml), served over HTTP
// to the real SDK client: filters, NextToken pagination, retries, one-line errors, the gate.
// The checks then judge that plane (their TCP probe is a recording fake: nothing is sent to
// the addresses in the fixtures).
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { describe as awsDescribe } from '../src/aws/call.js';
import { ec2 } from '../src/aws/ec2-client.js';
import { ec2PlaneOf, type LbFacts } from '../src/aws/ec2-collect.js';
import { instancesSameBuild } from '../src/checks/instances.js';
import { networkAlbOnly } from '../src/checks/network.js';
import { CannotRunError } from '../src/errors.js';
import { productionContext, useAwsFixtures } from './helpers/aws-fixtures.js';

const I1 = 'i-0123456789abcdef0';
const I2 = 'i-0fedcba9876543210';
const ALB_SG = 'sg-0a1b2c3d4e5f60718';
const INSTANCE_SG = 'sg-0b2c3d4e5f6071829';

function route(p: URLSearchParams): string {
  const action = p.get('Action');
  const page = p.has('NextToken') ? 'page2' : 'page1';
  if (action === 'DescribeImages') return 'ec2.DescribeImages.xml';
  return `ec2.${action}.${page}.xml`;
}

const fx = useAwsFixtures(route, 'text/xml;charset=UTF-8');
const { requests, queue } = fx;
const ctx = (aws: Record<string, unknown> = {}) => productionContext({ ec2Endpoint: fx.endpoint, ...aws });

const facts = (extra: string[] = []): LbFacts => ({
  loadBalancer: 'chatmrpt-alb',
  lbSecurityGroups: [ALB_SG],
  listeners: [{ Port: 80 }, { Port: 443 }],
  targetGroups: [
    {
      port: 8080,
      targets: [I1, I2, ...extra].map((id) => ({ id, port: 8080, state: 'healthy' as const })),
    },
  ],
});

async function plane(c = ctx(), f = facts()) {
  const e = ec2(c);
  try {
    return await ec2PlaneOf(e, f);
  } finally {
    e.client.destroy();
  }
}

const actions = () => requests.map((r) => r.get('Action'));

describe('EC2 collector', () => {
  it('describes the registered instances, their AMI and the groups, following every page', async () => {
    const p = await plane();
    expect(p.instances.map((i) => [i.id, i.state, i.type, i.imageName, i.publicIp ?? null])).toEqual([
      [I1, 'running', 't3.large', 'chatmrpt-app-2026-09-30', null],
      [I2, 'stopped', 't3.large', 'chatmrpt-app-2026-09-30', '3.21.45.67'],
    ]);
    expect(p.instances[0]).toMatchObject({
      availabilityZone: 'us-east-2a',
      subnetId: 'subnet-0a1b2c3d4e5f60011',
      securityGroups: [INSTANCE_SG],
      profile: 'chatmrpt-ec2-role',
      platform: 'Linux/UNIX',
      privateIp: '10.0.1.23',
      tags: { Name: 'chatmrpt-1', Environment: 'production' },
    });
    expect(p.missing).toEqual([]);
    expect(p.targetPorts).toEqual([8080]);
    expect(p.listenerPorts).toEqual([80, 443]);
    const instanceSg = p.securityGroups.find((g) => g.id === INSTANCE_SG)!;
    expect(instanceSg.ingress).toEqual([
      {
        protocol: 'tcp',
        fromPort: 8080,
        toPort: 8080,
        cidrs: ['0.0.0.0/0'],
        ipv6Cidrs: [],
        groups: [ALB_SG],
        prefixLists: [],
      },
      {
        protocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidrs: ['198.51.100.7/32'],
        ipv6Cidrs: [],
        groups: [],
        prefixLists: [],
      },
    ]);
    expect(instanceSg.egress.map((r) => r.prefixLists)).toEqual([['pl-7ba54012'], []]);
    const albSg = p.securityGroups.find((g) => g.id === ALB_SG)!;
    expect(albSg.ingress[0]).toMatchObject({ fromPort: 80, cidrs: ['0.0.0.0/0'], ipv6Cidrs: ['::/0'] });
    expect(albSg.egress).toEqual([
      { protocol: '-1', cidrs: ['0.0.0.0/0'], ipv6Cidrs: [], groups: [], prefixLists: [] },
    ]);
    // Ids go in filters (an unknown id is then absent, not an error), and pages are followed.
    expect([...new Set(actions())].sort()).toEqual([
      'DescribeImages',
      'DescribeInstances',
      'DescribeSecurityGroups',
    ]);
    const di = requests.filter((r) => r.get('Action') === 'DescribeInstances');
    expect(di).toHaveLength(2);
    expect(di[0].get('Version')).toBe('2016-11-15');
    expect(di[0].get('Filter.1.Name')).toBe('instance-id');
    expect([di[0].get('Filter.1.Value.1'), di[0].get('Filter.1.Value.2')]).toEqual([I1, I2]);
    expect(di[0].has('NextToken')).toBe(false);
    expect(di[1].get('NextToken')).toBe('eyJ2IjoiMiIsImMiOiJpbnN0YW5jZXMtMiJ9');
    const sg = requests.filter((r) => r.get('Action') === 'DescribeSecurityGroups');
    expect(sg.map((r) => r.get('NextToken'))).toEqual([null, 'eyJ2IjoiMiIsImMiOiJncm91cHMtMiJ9']);
    expect(sg[0].get('Filter.1.Name')).toBe('group-id');
    expect([sg[0].get('Filter.1.Value.1'), sg[0].get('Filter.1.Value.2')].sort()).toEqual([
      ALB_SG,
      INSTANCE_SG,
    ]);
    expect(requests.every((r) => r.get('Action')!.startsWith('Describe'))).toBe(true);
  });

  it('a registered id EC2 does not know is reported missing; non-instance targets are not asked about', async () => {
    const p = await plane(ctx(), facts(['i-0aaaaaaaaaaaaaaaa', '10.0.3.7']));
    expect(p.missing).toEqual(['i-0aaaaaaaaaaaaaaaa']);
    const di = requests.find((r) => r.get('Action') === 'DescribeInstances')!;
    expect([...di.keys()].filter((k) => k.startsWith('Filter.1.Value.'))).toHaveLength(3);
  });

  it('the checks judge that plane: the open rule and the stopped instance are named', async () => {
    const p = await plane();
    const probed: string[] = [];
    const net = await networkAlbOnly(
      ctx(),
      async () => p,
      async (ip, port) => (probed.push(`${ip}:${port}`), 'timeout'),
    );
    expect(net.status).toBe('fail');
    expect(net.diagnosis).toBe(
      `${I1}, ${I2}: ${INSTANCE_SG} (chatmrpt-instance-sg) admits tcp 8080 (target port 8080) from 0.0.0.0/0`,
    );
    expect(probed).toEqual(['3.21.45.67:8080']); // the recording fake: nothing is sent
    const build = await instancesSameBuild(ctx(), async () => p);
    expect(build.status).toBe('fail');
    expect(build.diagnosis).toMatch(
      new RegExp(`^not running: ${I2} stopped: ${I1} → chatmrpt-app-2026-09-30`),
    );
  });
});

describe('EC2 errors and the gate', () => {
  it('retries RequestLimitExceeded, then succeeds', async () => {
    queue.push([503, 'ec2.error.RequestLimitExceeded.xml'], [503, 'ec2.error.RequestLimitExceeded.xml']);
    const p = await plane();
    expect(p.instances).toHaveLength(2);
    expect(actions().slice(0, 3)).toEqual(['DescribeInstances', 'DescribeInstances', 'DescribeInstances']);
  });

  it('throttled on every attempt is one line with the attempts', async () => {
    queue.push(
      ...Array.from({ length: 5 }, () => [503, 'ec2.error.RequestLimitExceeded.xml'] as [number, string]),
    );
    const err = await plane().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CannotRunError);
    expect((err as Error).message).toBe(
      'environments.production.aws (us-east-2): DescribeInstances throttled by AWS (RequestLimitExceeded: Request limit exceeded.) after 5 attempts',
    );
  });

  it('UnauthorizedOperation names the ec2: action', async () => {
    queue.push([403, 'ec2.error.UnauthorizedOperation.xml']);
    const err = await plane().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CannotRunError);
    expect((err as Error).message).toMatch(
      /^environments\.production\.aws \(us-east-2\): access denied to ec2:DescribeInstances \(UnauthorizedOperation\): You are not authorized/,
    );
    expect((err as Error).message).not.toContain('\n');
  });

  it('AuthFailure says the credentials were rejected', async () => {
    queue.push([401, 'ec2.error.AuthFailure.xml']);
    const err = await plane().catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'environments.production.aws (us-east-2): AWS rejected the credentials (AuthFailure): AWS was not able to validate the provided access credentials',
    );
  });

  it('an unreachable endpoint is one line', async () => {
    const err = await plane(ctx({ ec2Endpoint: 'http://127.0.0.1:1' })).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'environments.production.aws (us-east-2): EC2 endpoint unreachable (ECONNREFUSED)',
    );
  });

  it('past the deadline no call starts', async () => {
    const c = { ...ctx(), deadline: Date.now() - 1 };
    const err = await plane(c).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'environments.production.aws: deadline passed before DescribeInstances',
    );
    expect(requests).toHaveLength(0);
  });

  it('the gate refuses any EC2 call that is not Describe*, before anything is sent', async () => {
    const e = ec2(ctx());
    try {
      await expect(awsDescribe(e, new TerminateInstancesCommand({ InstanceIds: [I1] }))).rejects.toThrow(
        'refused: TerminateInstances is not a Describe* call',
      );
    } finally {
      e.client.destroy();
    }
    expect(requests).toHaveLength(0);
  });
});
