import type { AppConfig, EnvironmentConfig, ParityConfig } from '../config/schema.js';

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skip';

/** What every check returns (design: results contract). */
export interface CheckResult {
  id: string;
  env: string;
  status: CheckStatus;
  diagnosis: string;
  durationMs: number;
  evidence: Record<string, unknown>;
}

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
