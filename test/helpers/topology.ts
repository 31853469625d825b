// Lab topologies for tests that need only part of the default one.
import { deepMerge, loadTopology, parseTopology, type Topology } from '../../src/lab/topology.js';

/** Only the staging environment (faults all target staging): half the processes of a full lab. */
export function stagingOnly(appPatch?: Record<string, unknown>): Topology {
  const staging = deepMerge(loadTopology().environments.staging, appPatch ? { app: appPatch } : undefined);
  return parseTopology({ environments: { staging } }, 'staging-only test topology');
}
