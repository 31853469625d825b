// Which live suites each run mode executes. A suite is a file suites/<name>.test.ts; users'
// own suite folders (config `suites.extra`, flag `--suites`) run after them. A mode listed
// here gets its CLI command (src/cli/run.ts) automatically.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
import type { ParityConfig } from '../config/schema.js';
import type { Mode } from '../report/model.js';

export type RunMode = Extract<Mode, 'smoke' | 'nightly' | 'signoff' | 'drill'>;

export interface ModeSpec {
  description: string;
  /** Suite names, run in this order (one after the other: they share the ALB under test). */
  suites: string[];
  /** The whole run's deadline. */
  deadlineMs: number;
  /** Append the run to <reports>/history.jsonl (the HTML shows the trend). */
  history?: boolean;
  /** Takes --disruptive (its suites include the failover drill). */
  disruptive?: boolean;
}

/** The checks a post-deploy smoke run covers: seconds, no load. */
const SMOKE_SUITES = ['health', 'targets', 'ec2', 'sticky', 'sessions', 'journeys', 'deploy'];

/**
 * Everything: the smoke suites, distribution under load, the structural diff against
 * production, and last the failover drill (skipped unless enabled: --disruptive, or the lab).
 */
const FULL_SUITES = [...SMOKE_SUITES, 'load', 'fingerprint', 'drill'];

export const MODES: Partial<Record<RunMode, ModeSpec>> = {
  smoke: {
    description:
      'post-deploy smoke check: health, targets, EC2 network and build, sticky routing, shared sessions, user journeys, deploy consistency',
    suites: SMOKE_SUITES,
    deadlineMs: 60_000,
  },
  nightly: {
    description: 'nightly parity job: every suite, the diff against production included; history kept',
    suites: FULL_SUITES,
    deadlineMs: 10 * 60_000,
    history: true,
    disruptive: true,
  },
  signoff: {
    description: 'success-criteria sign-off: every suite, and a report mapped to the six criteria',
    suites: FULL_SUITES,
    deadlineMs: 10 * 60_000,
    disruptive: true,
  },
  drill: {
    description:
      'the failover drill alone: a sticky user loses its instance (DeregisterTargets) and must keep working',
    suites: ['drill'],
    deadlineMs: 5 * 60_000,
    disruptive: true,
  },
};

export function modeSpec(mode: RunMode): ModeSpec {
  const spec = MODES[mode];
  if (!spec) throw new UsageError(`run mode "${mode}" does not exist`);
  return spec;
}

/**
 * Suites that only have tests for something the config declares: without it the file would
 * hold no test, which vitest reports as an error.
 */
const SUITE_NEEDS: Record<string, (config: ParityConfig) => boolean> = {
  journeys: (config) => config.journeys.length > 0,
};

/** Absolute paths of a mode's suite files (with a config: those it gives something to run). */
export function suiteFiles(
  spec: ModeSpec,
  dir = join(PROJECT_ROOT, 'suites'),
  config?: ParityConfig,
): string[] {
  return spec.suites
    .filter((name) => !config || (SUITE_NEEDS[name]?.(config) ?? true))
    .map((name) => join(dir, `${name}.test.ts`));
}

const SUITE_FILE = /\.test\.(?:ts|mts|js|mjs)$/;

/** The suite files of users' folders, each folder's in name order; a folder without any is a usage error. */
export function userSuiteFiles(dirs: string[]): string[] {
  return dirs.flatMap((d) => {
    const dir = resolve(d);
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a folder');
      names = readdirSync(dir);
    } catch {
      throw new UsageError(`suites: ${d}: no such folder`);
    }
    const files = names.filter((n) => SUITE_FILE.test(n)).sort();
    if (files.length === 0) throw new UsageError(`suites: ${d}: no *.test.ts files in it`);
    return files.map((n) => join(dir, n));
  });
}
