// The target context every check, probe and collector runs with; the bottom of the imports.
import { UsageError } from '../errors.js';
import { deferredEnvironments } from '../config/deferred.js';
import type { AppConfig, EnvironmentConfig, ParityConfig } from '../config/schema.js';

/** Everything a check needs to probe one environment. Checks know nothing of vitest or reports. */
export interface TargetContext {
  /** Environment name in the config (e.g. "staging"). */
  name: string;
  env: EnvironmentConfig;
  app: AppConfig;
  config: ParityConfig;
  /** Epoch ms after which the run must stop retrying. */
  deadline: number;
  /** Explicit override that allows writes and load against role: production. */
  allowProductionWrites?: boolean;
  /**
   * The failover drill may run: it deregisters and registers a target of this environment
   * (--disruptive, or the embedded lab). Never honoured for role: production.
   */
  disruptive?: boolean;
}

/** One registered target of the environment's target group, as ELBv2 DescribeTargetHealth reports it. */
export interface TargetHealthRow {
  id: string;
  port?: number;
  state: 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';
  reason?: string;
  description?: string;
}

/** Reads the target health of the environment's load balancer (the AWS collector provides one). */
export type DescribeTargets = (ctx: TargetContext) => Promise<TargetHealthRow[]>;

/** The context every check of one environment runs with. */
export function targetContext(
  config: ParityConfig,
  envName: string,
  opts: { deadline?: number; allowProductionWrites?: boolean; disruptive?: boolean } = {},
): TargetContext {
  const env = config.environments[envName];
  const unresolved = deferredEnvironments(config)[envName];
  if (!env && unresolved) throw new UsageError(unresolved.message);
  if (!env) {
    const known = Object.keys(config.environments).join(', ');
    throw new UsageError(`config error: environments.${envName}: no such environment (known: ${known})`);
  }
  return {
    name: envName,
    env,
    app: config.app,
    config,
    deadline: opts.deadline ?? Date.now() + 60_000,
    allowProductionWrites: opts.allowProductionWrites ?? false,
    disruptive: opts.disruptive ?? false,
  };
}

/** Every check gets at least this much of the run's time (or what is left of it). */
const MIN_SHARE_MS = 15_000;

/**
 * A check's deadline: its share of what is left of the run's, split evenly over it and the
 * `later` checks still to run after it, so one check that waits long (a settle window) cannot
 * starve the ones after it; at least `floorMs` (or what is left), never past the run's deadline.
 * Time a check does not use is left to the later ones. Pure.
 */
export function deadlineShare(
  now: number,
  runDeadline: number,
  later: number,
  floorMs = MIN_SHARE_MS,
): number {
  const left = runDeadline - now;
  if (left <= 0) return runDeadline;
  const share = Math.max(left / (1 + Math.max(0, later)), Math.min(left, floorMs));
  return now + Math.min(left, Math.round(share));
}

/** What a run probes: a config file and the config in it, and how to stop what was started for it. */
export interface RunTarget {
  /** Absolute path of the config file the suites load. */
  configFile: string;
  config: ParityConfig;
  /** Where the target came from, for the run's notes. */
  source: 'config' | 'running-lab' | 'started-lab';
  /** The lab's folder when the target is a lab: the failover drill's lock lives there. */
  labDir?: string;
  /** Stops what this run started (nothing unless it started a lab). Safe to call twice. */
  release(): Promise<void>;
}

/** How the run engine gets its target: the command line hands one in (the embedded lab is one provider). */
export type TargetProvider = () => Promise<RunTarget>;
