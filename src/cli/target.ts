import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { targetContext } from '../checks/context.js';
import type { TargetContext } from '../checks/types.js';
import { findConfigFile, loadConfigFile } from '../config/load.js';
import { labDown, labStatus, labUp } from '../lab/lab.js';
import { defaultLabDir } from '../lab/paths.js';
import { note } from './output.js';

// "Resolve config or lab": the config file the user named (or parity.config.yaml here), else
// the embedded lab — the running default one, or a fresh one in a temp dir stopped afterwards.

export interface ResolvedTarget {
  ctx: TargetContext;
  configPath: string;
  /** Set when the target is the embedded lab. */
  labDir?: string;
  /** Stop what resolveTarget started (a temporary lab); idempotent. */
  close(): Promise<void>;
}

export interface TargetOptions {
  config?: string;
  env?: string;
  deadline?: number;
  allowProductionWrites?: boolean;
  log?: (line: string) => void;
}

export async function resolveTarget(opts: TargetOptions): Promise<ResolvedTarget> {
  const log = opts.log ?? note;
  const envName = opts.env ?? 'staging';
  const ctxOf = (file: string) =>
    targetContext(loadConfigFile(file), envName, {
      deadline: opts.deadline,
      allowProductionWrites: opts.allowProductionWrites,
    });
  const file = findConfigFile(opts.config);
  if (file) return { ctx: ctxOf(file), configPath: file, close: async () => {} };

  const running = labStatus(defaultLabDir());
  if (running.running && running.state?.config) {
    log(`no parity.config.yaml: using the running lab in ${running.dir}`);
    return {
      ctx: ctxOf(running.state.config),
      configPath: running.state.config,
      labDir: running.dir,
      close: async () => {},
    };
  }

  const dir = mkdtempSync(join(tmpdir(), 'parity-lab-'));
  log(`no parity.config.yaml: starting the embedded lab in ${dir} (stopped after the run)`);
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await labDown(dir);
      rmSync(dir, { recursive: true, force: true });
    })());
  // Ctrl-C must not leave lab processes behind.
  const onSignal = (signal: NodeJS.Signals) => {
    void close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const state = await labUp({ dir });
    return { ctx: ctxOf(state.config!), configPath: state.config!, labDir: dir, close };
  } catch (err) {
    await close();
    throw err;
  }
}
