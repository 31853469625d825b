import type { ParityConfig } from '../config/schema.js';
import { resolveTarget } from '../run/target.js';
import { note } from './output.js';

/**
 * Run `fn` with the config the user gave (--config, else parity.config.yaml here), or, without
 * one, with the embedded lab's: a running default lab is used as it is; otherwise one is
 * started for this command and stopped afterwards (see src/run/target.ts). Said on stderr.
 */
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
