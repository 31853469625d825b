import { findConfigFile, loadConfigFile } from '../config/load.js';
import type { ParityConfig } from '../config/schema.js';
import { labDown, labStatus, labUp } from '../lab/lab.js';
import { defaultLabDir } from '../lab/paths.js';
import { note } from './output.js';

/**
 * Run `fn` with the config the user gave (--config, else parity.config.yaml here), or, without
 * one, with the embedded lab's: a running lab in the default lab dir is used as it is; otherwise
 * one is started for this command and stopped afterwards. Both are said on stderr.
 */
export async function withConfig<T>(
  explicit: string | undefined,
  fn: (config: ParityConfig, file: string) => Promise<T>,
): Promise<T> {
  const file = findConfigFile(explicit);
  if (file) return fn(loadConfigFile(file), file);
  const dir = defaultLabDir();
  const status = labStatus(dir);
  if (status.running && status.state?.config) {
    note(`no config file: using the running embedded lab in ${dir}`);
    return fn(loadConfigFile(status.state.config), status.state.config);
  }
  note(`no config file: starting the embedded lab in ${dir} (it is stopped afterwards)`);
  const state = await labUp({ dir, log: note });
  try {
    return await fn(loadConfigFile(state.config!), state.config!);
  } finally {
    await labDown(dir);
    note('embedded lab stopped');
  }
}
