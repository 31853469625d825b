import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from './topology.js';

// The lab's single state file. Written after every process start, so a crashed or killed
// `lab up` still leaves the pids that `down` (or the next `up`) must stop.

export interface ProcessRecord {
  pid: number;
  role: 'haproxy' | 'redis' | 'app' | 'elbv2';
  env?: string;
  name: string;
}

interface InstanceState {
  id: string;
  port: number;
  url: string;
  version: string;
  registered: boolean;
  down: boolean;
  pid?: number;
  /** The "public" address EC2 reports (a second loopback address), when the instance has one. */
  publicIp?: string;
}

export interface EnvState {
  url: string;
  lbPort: number;
  socketPath: string;
  haproxyConfig: string;
  redis: Record<string, { port: number; url: string }>;
  instances: InstanceState[];
}

export interface LabState {
  version: 1;
  dir: string;
  startedAt: string;
  faults: string[];
  environments: Record<string, EnvState>;
  processes: ProcessRecord[];
  elbv2?: { url: string; port: number };
  /** The lab's EC2 API (served by the same process as ELBv2's, on its own port). */
  ec2?: { url: string; port: number };
  config?: string;
  ready: boolean;
}

const stateFile = (dir: string) => join(dir, 'state.json');

export function readState(dir: string): LabState | null {
  const file = stateFile(dir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabState;
  } catch {
    return null; // a torn or foreign file: treated as no lab
  }
}

export function writeState(state: LabState): void {
  const file = stateFile(state.dir);
  writeFileSync(file + '.tmp', JSON.stringify(state, null, 2));
  renameSync(file + '.tmp', file);
}

export function removeState(dir: string): void {
  rmSync(stateFile(dir), { force: true });
}

/** The effective topology's file (faults applied), which the ELBv2 endpoint reads per request. */
export const topologyFile = (labDir: string) => join(labDir, 'topology.json');

/** The effective topology (faults applied), which the ELBv2 endpoint answers from. Atomic: it reads it per request. */
export function writeTopology(dir: string, topology: Topology): void {
  const file = topologyFile(dir);
  writeFileSync(file + '.tmp', JSON.stringify(topology, null, 2));
  renameSync(file + '.tmp', file);
}
