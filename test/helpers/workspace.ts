// A CLI test file's scratch space: a temp folder for its config files, and the local servers it
// starts; both removed after the file's tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Local } from './bad-servers.js';

export function workspace(prefix: string) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const servers: Local[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(work, { recursive: true, force: true });
  });
  let n = 0;
  return {
    work,
    /** Close this server after the file's tests. */
    keep: async (s: Promise<Local>): Promise<Local> => {
      const local = await s;
      servers.push(local);
      return local;
    },
    /** Write a config file; returns its path. */
    configFile: (yaml: string): string => {
      const file = join(work, `config-${++n}.yaml`);
      writeFileSync(file, yaml);
      return file;
    },
    /** A path in the workspace no other call returned, e.g. for an --out file or folder. */
    freshPath: (stem: string, ext = ''): string => join(work, `${stem}-${++n}${ext && '.' + ext}`),
  };
}

/** A config with one staging environment at `url` (plus optional YAML lines under it). */
export const staging = (url: string, extra = '') =>
  `environments:\n  staging:\n    role: staging\n    url: ${url}\n${extra}`;
