// Bring a lab up for a test file in its own temp folder, and always take it down again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { labDown, labUp, type LabOptions } from '../../src/lab/lab.js';
import type { LabState } from '../../src/lab/state.js';

export interface LabHandle {
  readonly state: LabState;
  readonly dir: string;
}

/** Call at the top of a describe/file: the lab is up before its tests and down after, pass or fail. */
export function useLab(opts: Omit<LabOptions, 'dir'> = {}): LabHandle {
  const dir = mkdtempSync(join(tmpdir(), 'parity-lab-'));
  let state: LabState | undefined;
  beforeAll(async () => {
    state = await labUp({ ...opts, dir });
  }, 60_000);
  afterAll(async () => {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
  return {
    dir,
    get state() {
      if (!state) throw new Error('lab is not up (beforeAll failed?)');
      return state;
    },
  };
}
