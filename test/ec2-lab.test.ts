// The lab's EC2 plane end to end: its EC2 endpoint speaks EC2's own wire format to raw HTTP
// and to the real SDK client, and each new fault fails the checks it declares, naming the
// instance and the cause. Every address involved is a loopback one (127.0.0.0/8).
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEc2Plane, describeInstanceStates } from '../src/aws/ec2-collect.js';
import { describeTargetHealth } from '../src/aws/target-health.js';
import { instancesSameBuild } from '../src/checks/instances.js';
import { networkAlbOnly } from '../src/checks/network.js';
import { targetsReachable, targetsRegistered } from '../src/checks/targets.js';
import { loadConfigFile } from '../src/config/load.js';
import { targetContext, type TargetContext } from '../src/contract/target.js';
import type { TcpProbe } from '../src/contract/ec2.js';
import { closeHttp } from '../src/http/client.js';
import { tcpConnect } from '../src/net/tcp.js';
import { useLab, type LabHandle } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const A = 'i-0a57a91e0000000a1';
const B = 'i-0a57a91e0000000b2';
const staging = (lab: LabHandle): TargetContext =>
  targetContext(loadConfigFile(lab.state.config!), 'staging');

afterAll(() => closeHttp());

async function post(url: string, form: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

describe('fault public-instance', () => {
  const lab = useLab({ faults: ['public-instance'], topology: stagingOnly() });

  it('the EC2 endpoint answers in EC2 XML: its namespace, <item> lists in ...Set elements, the public address', async () => {
    const ec2 = lab.state.ec2!.url;
    const ok = await post(ec2, { Action: 'DescribeInstances', Version: '2016-11-15', 'InstanceId.1': B });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">');
    expect(ok.body).toMatch(/<reservationSet><item><reservationId>r-[0-9a-f]{17}<\/reservationId>/);
    expect(ok.body).toMatch(/<instancesSet><item><instanceId>i-0a57a91e0000000b2<\/instanceId>/);
    expect(ok.body).toMatch(/<ipAddress>127\.0\.0\.\d+<\/ipAddress>/);
    expect(ok.body).toContain('<groupSet><item><groupId>sg-');
    const bad = await post(ec2, { Action: 'TerminateInstances', Version: '2016-11-15', 'InstanceId.1': B });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(
      /^<\?xml[^>]*>\n<Response><Errors><Error><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
    const small = await post(ec2, {
      Action: 'DescribeSecurityGroups',
      Version: '2016-11-15',
      MaxResults: '3',
    });
    expect(small.body).toContain('<Code>InvalidParameterValue</Code>');
  });

  it('the real SDK maps an unknown instance id to its typed exception', async () => {
    const c = new EC2Client({
      region: 'us-east-2',
      endpoint: lab.state.ec2!.url,
      credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' },
      maxAttempts: 1,
    });
    try {
      const err = await c
        .send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))
        .catch((e: unknown) => e);
      expect((err as Error).name).toBe('InvalidInstanceID.NotFound');
    } finally {
      c.destroy();
    }
  });

  it('network.alb-only fails naming both instances, the group, the rule, and the address that answered', async () => {
    const probed: string[] = [];
    const probe: TcpProbe = (ip, port, ms) => {
      probed.push(ip);
      return tcpConnect(ip, port, ms);
    };
    const ctx = staging(lab);
    const r = await networkAlbOnly(ctx, () => describeEc2Plane(ctx), probe);
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toMatch(
      new RegExp(
        `^${A}, ${B}: sg-[0-9a-f]{17} \\(chatmrpt-staging-instance-sg\\) admits tcp 8080 \\(target port 8080\\) from 0\\.0\\.0\\.0/0; ` +
          `${B} answered on its public address (127\\.0\\.0\\.\\d+):8080 \\(TCP connect from .+ succeeded\\)$`,
      ),
    );
    expect(probed).toHaveLength(1);
    expect(probed[0]).toMatch(/^127\.0\.0\.\d+$/);
    expect(probed[0]).toBe(lab.state.environments.staging.instances[1].publicIp);
  });

  it('instances.same-build still passes: only the network changed', async () => {
    const ctx = staging(lab);
    const r = await instancesSameBuild(ctx, () => describeEc2Plane(ctx));
    expect(r.status, r.diagnosis).toBe('pass');
  });

  it('targets.reachable fails when an instance answering through the ALB is not a registered target', async () => {
    const ctx = staging(lab);
    const onlyA = async () => [{ id: A, port: 8080, state: 'healthy' as const }];
    const r = await targetsReachable(ctx, onlyA);
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toMatch(
      new RegExp(
        `^${B} answered through the ALB but is not a registered target of chatmrpt-staging-alb \\(another target group or a stale instance\\)`,
      ),
    );
    const real = await targetsReachable(ctx, describeTargetHealth);
    expect(real.status, real.diagnosis).toBe('pass');
    expect(real.diagnosis).toMatch(/; exactly the registered targets of chatmrpt-staging-alb$/);
  });
});

describe('faults mixed-ami + stopped-instance', () => {
  const lab = useLab({ faults: ['mixed-ami', 'stopped-instance'], topology: stagingOnly() });

  it('instances.same-build names the other AMI and the stopped instance', async () => {
    const ctx = staging(lab);
    const r = await instancesSameBuild(ctx, () => describeEc2Plane(ctx));
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toMatch(
      new RegExp(
        `^different AMIs \\(2\\); not running: ${B} stopped: ${A} → chatmrpt-app-2026-11-20 \\(ami-[0-9a-f]{17}\\), t3\\.medium, running; ${B} → chatmrpt-app-2026-11-27 \\(ami-[0-9a-f]{17}\\), t3\\.medium, stopped$`,
      ),
    );
  });

  it('targets.registered: healthy in the target group, stopped in EC2', async () => {
    const ctx = staging(lab);
    const r = await targetsRegistered(ctx, describeTargetHealth, describeInstanceStates);
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toBe(
      `chatmrpt-staging-alb: ${B} is healthy in the target group but EC2 says it is stopped`,
    );
    expect(r.evidence.instanceStates).toEqual({ [A]: 'running', [B]: 'stopped' });
  });

  it("network.alb-only passes: the groups are the plan's, and no instance has a public address", async () => {
    const ctx = staging(lab);
    const r = await networkAlbOnly(ctx, () => describeEc2Plane(ctx), tcpConnect);
    expect(r.status, r.diagnosis).toBe('pass');
    expect(r.diagnosis).toMatch(/no instance has a public address$/);
  });
});
