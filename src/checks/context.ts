import { UsageError } from '../errors.js';
import type { ParityConfig } from '../config/schema.js';
import type { TargetContext } from './types.js';

/** The context every check of one environment runs with. */
export function targetContext(
  config: ParityConfig,
  envName: string,
  opts: { deadline?: number; allowProductionWrites?: boolean; disruptive?: boolean } = {},
): TargetContext {
  const env = config.environments[envName];
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

/** Time a check body; exceptions become status "error" with a one-line diagnosis. */
export async function timed(
  id: string,
  env: string,
  body: () => Promise<Omit<import('./types.js').CheckResult, 'id' | 'env' | 'durationMs'>>,
): Promise<import('./types.js').CheckResult> {
  const started = performance.now();
  try {
    const r = await body();
    return { id, env, durationMs: Math.round(performance.now() - started), ...r };
  } catch (err) {
    const diagnosis = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return {
      id,
      env,
      status: 'error',
      diagnosis,
      evidence: {},
      durationMs: Math.round(performance.now() - started),
    };
  }
}
