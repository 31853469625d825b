// What a run probes: the config file the user gave (or ./parity.config.yaml); without one,
// the embedded lab: the one already running (left running), else a fresh one in a temp
// folder that is stopped again after the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findConfigFile, loadConfigFile } from '../config/load.js';
import type { ParityConfig } from '../config/schema.js';
import { CannotRunError } from '../errors.js';
import { labDown, labStatus, labUp } from '../lab/lab.js';
import { defaultLabDir } from '../lab/paths.js';

export interface RunTarget {
  /** Absolute path of the config file the suites load. */
  configFile: string;
  config: ParityConfig;
  /** Where the target came from, for the run's notes. */
  source: 'config' | 'running-lab' | 'started-lab';
  /** Stops what this run started (nothing unless it started a lab). Safe to call twice. */
  release(): Promise<void>;
}

export async function resolveTarget(opts: {
  config?: string;
  log: (line: string) => void;
}): Promise<RunTarget> {
  const file = findConfigFile(opts.config);
  const none = async () => {};
  if (file) {
    const configFile = resolve(file);
    return { configFile, config: loadConfigFile(configFile), source: 'config', release: none };
  }
  const running = labStatus(defaultLabDir());
  if (running.running && running.state?.config) {
    opts.log(`parity: no config file; using the embedded lab already running in ${running.dir}`);
    return {
      configFile: running.state.config,
      config: loadConfigFile(running.state.config),
      source: 'running-lab',
      release: none,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'parity-lab-'));
  opts.log(`parity: no config file; starting the embedded lab in ${dir} (stopped after the run)`);
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await labDown(dir);
      rmSync(dir, { recursive: true, force: true });
      opts.log('parity: embedded lab stopped');
    })());
  // Ctrl-C (or a kill) must not leave the lab this command started behind.
  const onSignal = (signal: NodeJS.Signals) => {
    void release().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const state = await labUp({ dir, log: opts.log });
    if (!state.config) throw new CannotRunError('the embedded lab wrote no config');
    return { configFile: state.config, config: loadConfigFile(state.config), source: 'started-lab', release };
  } catch (err) {
    await release();
    throw err;
  }
}
