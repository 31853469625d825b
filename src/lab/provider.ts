// The embedded lab as a target provider: the one already running (left running), else a
// fresh one in a temp folder that is stopped again after the run (also on Ctrl-C).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import type { RunTarget } from '../contract/target.js';
import { CannotRunError } from '../errors.js';
import { checkTempFolder } from '../config/folders.js';
import { defaultLabDir } from '../paths.js';
import { firstFew } from '../text.js';
import { onStop } from '../process/lifecycle.js';
import { labStatus } from './status.js';

// The orchestration (HAProxy config, the app bundle, esbuild, undici) is loaded only to start
// or stop a lab; using the running one reads its state file alone.
const lab = () => import('./lab.js');

export async function labTarget(log: (line: string) => void): Promise<RunTarget> {
  const none = async () => {};
  const running = labStatus(defaultLabDir());
  if (running.running && running.state?.config) {
    log(`parity: no config file; using the embedded lab already running in ${running.dir}`);
    return {
      configFile: running.state.config,
      config: loadConfigFile(running.state.config),
      source: 'running-lab',
      labDir: running.dir,
      release: none,
    };
  }
  // A lab that was started here and died (a reboot, kill -9) is not used, and not silently
  // passed over either: the user may think this run checked it.
  if (running.state) {
    const gone = running.dead.map((p) => `${p.env ? `${p.env} ` : ''}${p.name} (pid ${p.pid})`);
    log(
      `parity: the embedded lab in ${running.dir} is not running (stale${gone.length ? `: ${firstFew(gone)} gone` : ', never finished starting'}); ` +
        'starting a temporary one instead ("parity lab down" clears it, "parity lab up" starts it again)',
    );
  }
  checkTempFolder();
  const dir = mkdtempSync(join(tmpdir(), 'parity-lab-'));
  log(`parity: no config file; starting the embedded lab in ${dir} (stopped after the run)`);
  let released: Promise<void> | undefined;
  const down = async () => {
    await (await lab()).labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  };
  const release = () =>
    (released ??= (async () => {
      unregister();
      await down();
      log('parity: embedded lab stopped');
    })());
  // A signal, or the parent's death, must not leave the lab this command started behind.
  const unregister = onStop(`the embedded lab in ${dir}`, down);
  try {
    const state = await (await lab()).labUp({ dir, log });
    if (!state.config) throw new CannotRunError('the embedded lab wrote no config');
    return {
      configFile: state.config,
      config: loadConfigFile(state.config),
      source: 'started-lab',
      labDir: dir,
      release,
    };
  } catch (err) {
    await release();
    throw err;
  }
}
