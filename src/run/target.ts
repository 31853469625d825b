// A target read from a config file: nothing to start, nothing to stop. The command line picks
// the provider (this one, or the embedded lab's: src/lab/provider.ts) and hands it to the run.
import { resolve } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import type { RunTarget } from '../contract/target.js';

export function configFileTarget(file: string): RunTarget {
  const configFile = resolve(file);
  return { configFile, config: loadConfigFile(configFile), source: 'config', release: async () => {} };
}
