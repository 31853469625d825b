import { targetContext } from '../contract/target.js';
import type { TargetContext } from '../contract/target.js';
import type { ParityConfig } from '../config/schema.js';
import { findConfigFile } from '../config/load.js';
import { roleWarnings } from '../config/roles.js';
import type { RunTarget } from '../contract/target.js';
import { labTarget } from '../lab/provider.js';
import { configFileTarget } from '../run/target.js';
import { note } from './output.js';

/**
 * "Resolve config or lab" for commands: the config the user gave (--config, else
 * parity.config.yaml here), or the embedded lab: a running default lab is used as it is,
 * otherwise one is started for this command and stopped afterwards (src/lab/provider.ts).
 */
export async function resolveTarget(opts: {
  config?: string;
  log: (line: string) => void;
}): Promise<RunTarget> {
  const file = findConfigFile(opts.config);
  if (!file) return labTarget(opts.log);
  const target = configFileTarget(file);
  for (const line of roleWarnings(target.config)) opts.log(line);
  return target;
}

/** Run `fn` with the resolved config; a lab started for it is stopped afterwards. */
export async function withConfig<T>(
  explicit: string | undefined,
  fn: (config: ParityConfig, file: string) => Promise<T>,
): Promise<T> {
  const target = await resolveTarget({ config: explicit, log: note });
  try {
    return await fn(target.config, target.configFile);
  } finally {
    await target.release();
  }
}

export interface ResolvedTarget {
  ctx: TargetContext;
  configPath: string;
  /** Stop what was started for this command (a temporary lab); idempotent. */
  close(): Promise<void>;
}

/** One environment of the resolved config, as a check context. */
export async function resolveCliTarget(opts: {
  config?: string;
  env?: string;
  deadline?: number;
  allowProductionWrites?: boolean;
}): Promise<ResolvedTarget> {
  const target = await resolveTarget({ config: opts.config, log: note });
  try {
    const ctx = targetContext(target.config, opts.env ?? 'staging', {
      deadline: opts.deadline,
      allowProductionWrites: opts.allowProductionWrites,
    });
    return { ctx, configPath: target.configFile, close: target.release };
  } catch (err) {
    await target.release();
    throw err;
  }
}
