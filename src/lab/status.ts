// Is the lab running, and where: read from its state file and the recorded pids only, so a
// command that merely looks (a run against the running lab) does not load the orchestration.
import { defaultLabDir } from '../paths.js';
import { isOurs } from './processes.js';
import { readState, type LabState, type ProcessRecord } from './state.js';

export interface LabStatus {
  dir: string;
  state: LabState | null;
  alive: ProcessRecord[];
  dead: ProcessRecord[];
  /** Every recorded process is alive and the lab finished starting. */
  running: boolean;
}

export function labStatus(dir = defaultLabDir()): LabStatus {
  const state = readState(dir);
  if (!state) return { dir, state: null, alive: [], dead: [], running: false };
  const alive = state.processes.filter((p) => isOurs(p.pid, dir));
  const dead = state.processes.filter((p) => !alive.includes(p));
  return { dir, state, alive, dead, running: state.ready && dead.length === 0 && alive.length > 0 };
}
