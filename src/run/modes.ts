// Which live suites each run mode executes. A suite is a file suites/<name>.test.ts.
// Load and fingerprint suites join nightly/signoff here when they exist; a mode listed here
// gets its CLI command (src/cli/run.ts) automatically.
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import type { Mode } from '../report/model.js';

export type RunMode = Extract<Mode, 'smoke' | 'nightly' | 'signoff'>;

export interface ModeSpec {
  description: string;
  /** Suite names, run in this order (one after the other: they share the ALB under test). */
  suites: string[];
  /** The whole run's deadline. */
  deadlineMs: number;
  /** Append the run to <reports>/history.jsonl (the HTML shows the trend). */
  history?: boolean;
}

/** The checks a post-deploy smoke run covers: seconds, no load. */
export const SMOKE_SUITES = ['health', 'targets', 'sticky', 'sessions', 'deploy'];

/** Everything: the smoke suites, distribution under load, then the structural diff against production. */
export const FULL_SUITES = [...SMOKE_SUITES, 'load', 'fingerprint'];

export const MODES: Partial<Record<RunMode, ModeSpec>> = {
  smoke: {
    description:
      'post-deploy smoke check: health, targets, sticky routing, shared sessions, deploy consistency',
    suites: SMOKE_SUITES,
    deadlineMs: 60_000,
  },
  nightly: {
    description: 'nightly parity job: every suite, the diff against production included; history kept',
    suites: FULL_SUITES,
    deadlineMs: 10 * 60_000,
    history: true,
  },
  signoff: {
    description: 'success-criteria sign-off: every suite, and a report mapped to the six criteria',
    suites: FULL_SUITES,
    deadlineMs: 10 * 60_000,
  },
};

export function modeSpec(mode: RunMode): ModeSpec {
  const spec = MODES[mode];
  if (!spec) throw new Error(`run mode "${mode}" is not available in this build`);
  return spec;
}

/** Absolute paths of a mode's suite files. */
export function suiteFiles(spec: ModeSpec, dir = join(PROJECT_ROOT, 'suites')): string[] {
  return spec.suites.map((name) => join(dir, `${name}.test.ts`));
}
