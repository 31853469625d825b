// `parity lab deploy --version V [--no-drain]`: a rolling deploy of the lab's staging instances,
// one at a time, the way a careful script does it on AWS: DeregisterTargets (the lab's ELBv2
// API, through the real SDK client), wait until the target has drained, restart the app at V,
// RegisterTargets, wait until DescribeTargetHealth says healthy. `--no-drain` (or the
// topology's deploy.drain: false, fault restart-no-drain) restarts in place instead, as
// ChatMRPT's script does: the load balancer keeps sending users to the restarting instance.
import { readFileSync } from 'node:fs';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { request } from 'undici';
import { CannotRunError, UsageError } from '../errors.js';
import { spawnApp } from './environment.js';
import { stopPid, waitFor } from './processes.js';
import { readState, topologyFile, writeState, type LabState } from './state.js';
import { labStatus } from './status.js';
import { parseTopology, type EnvTopology } from './topology.js';

export interface DeployOptions {
  dir: string;
  version: string;
  /** false: restart in place (no DeregisterTargets); default: the topology's deploy.drain. */
  drain?: boolean;
  log: (line: string) => void;
}

export interface DeployOutcome {
  /** Instance id → version it runs now. */
  versions: Record<string, string>;
  /** Set when the deploy rolled back (topology deploy.rollbackAt, fault flip-flop). */
  rolledBack?: string;
}

const ENV = 'staging';

export async function labDeploy(opts: DeployOptions): Promise<DeployOutcome> {
  const status = labStatus(opts.dir);
  if (!status.running || !status.state?.elbv2)
    throw new UsageError(`no running lab in ${opts.dir}; run "parity lab up" first (or set PARITY_LAB_DIR)`);
  const state = status.state;
  const topo = parseTopology(JSON.parse(readFileSync(topologyFile(opts.dir), 'utf8')), 'lab topology')
    .environments[ENV];
  const envState = state.environments[ENV];
  if (!topo || !envState) throw new UsageError(`the lab in ${opts.dir} has no ${ENV} environment`);
  const drain = opts.drain ?? topo.deploy.drain;
  // As src/aws/client.ts: the SDK's Node 22 notice is noise in one-line output (pinned SDK, Node 20).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const elb = new ElasticLoadBalancingV2Client({
    endpoint: state.elbv2!.url,
    region: 'us-east-2',
    credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' },
    maxAttempts: 2,
  });
  try {
    const { TargetGroups } = await elb.send(
      new DescribeTargetGroupsCommand({ Names: [topo.targetGroup.name] }),
    );
    const arn = TargetGroups?.[0]?.TargetGroupArn;
    if (!arn) throw new CannotRunError(`the lab's ELBv2 API has no target group ${topo.targetGroup.name}`);
    const step = new Step(opts, state, topo, elb, arn, drain);
    const order = topo.instances.flatMap((inst, i) => (inst.registered && !inst.down ? [i] : []));
    const old = Object.fromEntries(order.map((i) => [i, envState.instances[i].version]));
    opts.log(
      `lab deploy: ${order.length} ${ENV} instances to ${opts.version}, one at a time, ${drain ? 'draining each first' : 'restarting in place (no drain)'}`,
    );
    for (const [k, i] of order.entries()) {
      if (topo.deploy.rollbackAt === k + 1) {
        // This instance's new version "fails to start": it and the ones before go back.
        const id = topo.instances[i].id;
        opts.log(`lab deploy: ${id} did not come up on ${opts.version}: rolling back`);
        await step.replace(i, old[i]);
        for (const j of order.slice(0, k).reverse()) await step.replace(j, old[j]);
        return { versions: step.versions(), rolledBack: `${id} failed on ${opts.version}` };
      }
      await step.replace(i, opts.version);
    }
    return { versions: step.versions() };
  } finally {
    elb.destroy();
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000, reset: true });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** One instance at a time: (drain), restart at a version, (register), wait until healthy. */
class Step {
  constructor(
    private readonly opts: DeployOptions,
    private readonly state: LabState,
    private readonly topo: EnvTopology,
    private readonly elb: ElasticLoadBalancingV2Client,
    private readonly arn: string,
    private readonly drain: boolean,
  ) {}

  versions(): Record<string, string> {
    return Object.fromEntries(this.state.environments[ENV].instances.map((i) => [i.id, i.version]));
  }

  async replace(i: number, version: string): Promise<void> {
    const id = this.topo.instances[i].id;
    const target = { Id: id, Port: this.topo.targetGroup.port };
    const t0 = Date.now();
    if (this.drain) {
      await this.elb.send(new DeregisterTargetsCommand({ TargetGroupArn: this.arn, Targets: [target] }));
      const delay = this.topo.targetGroup.deregistrationDelaySeconds;
      await waitFor(
        `${id} to drain`,
        async () => {
          const state = await this.health(id);
          return state === undefined || state === 'unused';
        },
        (delay + 30) * 1000,
        250,
      );
      this.opts.log(`lab deploy: ${id} deregistered and drained (${Date.now() - t0} ms)`);
    }
    await this.restart(i, version);
    // In place, the load balancer has not noticed anything yet (it would say healthy at once):
    // like `systemctl restart` and a wait, go on once the app itself answers again.
    if (!this.drain) {
      const url = this.state.environments[ENV].instances[i].url;
      await waitFor(`${id} to answer on ${url}`, () => answers(`${url}/ping`), 30_000, 100);
    }
    if (this.drain)
      await this.elb.send(new RegisterTargetsCommand({ TargetGroupArn: this.arn, Targets: [target] }));
    const hc = this.topo.targetGroup.healthCheck;
    await waitFor(
      `${id} to be healthy again`,
      async () => (await this.health(id)) === 'healthy',
      (hc.intervalSeconds * (hc.healthyThreshold + 2) + 30) * 1000,
      250,
    );
    this.opts.log(`lab deploy: ${id} runs ${version}, healthy (${Date.now() - t0} ms)`);
  }

  private async health(id: string): Promise<string | undefined> {
    const out = await this.elb.send(
      new DescribeTargetHealthCommand({
        TargetGroupArn: this.arn,
        Targets: [{ Id: id, Port: this.topo.targetGroup.port }],
      }),
    );
    return out.TargetHealthDescriptions?.[0]?.TargetHealth?.State;
  }

  /** Stop the app process and start it again at `version` (same port), recorded in the state. */
  private async restart(i: number, version: string): Promise<void> {
    const dir = this.opts.dir;
    const inst = this.state.environments[ENV].instances[i];
    if (inst.pid !== undefined) await stopPid(inst.pid, dir);
    // Re-read: another lab command may have written the state meanwhile.
    const state = readState(dir) ?? this.state;
    state.environments[ENV].instances[i].version = version;
    state.processes = state.processes.filter(
      (p) => !(p.env === ENV && p.role === 'app' && p.name === inst.id),
    );
    const pid = await spawnApp(state, ENV, this.topo, i, this.topo.deploy.bootMs);
    state.processes.push({ pid, role: 'app', env: ENV, name: inst.id });
    writeState(state);
    Object.assign(this.state, state);
  }
}
