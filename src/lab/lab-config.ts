// The lab's side of the contract: the parity config it writes for itself, and the JSON that
// `lab up --json` / `lab status --json` print.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LabState } from './state.js';
import type { Topology } from './topology.js';
import { LAB_JOURNEYS, LAB_SESSION_TEARDOWN } from './uploads.js';
import { LAB_ENDPOINTS } from './frontend.js';

/** The lab JSON contract (docs/lab.md) (`lab up --json`, `lab status --json`). */
export function labJson(state: LabState) {
  const environments: Record<string, unknown> = {};
  for (const [name, env] of Object.entries(state.environments)) {
    environments[name] = {
      url: env.url,
      instances: env.instances.map((i) => ({
        id: i.id,
        url: i.url,
        ...(i.publicIp ? { publicIp: i.publicIp } : {}),
      })),
      redis: env.redis.main?.url,
      ...(state.elbv2 ? { elbv2: state.elbv2.url } : {}),
      ...(state.ec2 ? { ec2: state.ec2.url } : {}),
    };
  }
  return { environments, config: state.config };
}

/** The parity config the lab writes for itself, so every command can run against it. */
export function writeLabConfig(state: LabState, topology: Topology): string {
  const environments: Record<string, unknown> = {};
  for (const [name, env] of Object.entries(state.environments)) {
    const topo = topology.environments[name];
    environments[name] = {
      role: name === 'production' ? 'production' : 'staging',
      url: env.url,
      redis: { url: env.redis.main.url },
      ...(state.elbv2
        ? {
            aws: {
              region: 'us-east-2',
              loadBalancerName: topo?.loadBalancer.name,
              endpoint: state.elbv2.url,
              ...(state.ec2 ? { ec2Endpoint: state.ec2.url } : {}),
            },
          }
        : {}),
    };
  }
  const config = {
    environments,
    app: {
      expectedInstances: 2,
      sticky: { cookie: 'AWSALB', durationSeconds: 86400 },
      session: { ttlSeconds: 86400, teardown: LAB_SESSION_TEARDOWN },
    },
    // All-out: the lab is this machine, its own capacity is what a lab run measures.
    load: { path: '/ping', connections: 20, duration: '5s', rate: 'all-out' },
    journeys: LAB_JOURNEYS,
    fingerprint: { endpoints: LAB_ENDPOINTS },
  };
  const file = join(state.dir, 'parity.config.yaml');
  writeFileSync(file, `# written by "parity lab up" for the embedded lab\n${stringify(config)}`);
  return file;
}
