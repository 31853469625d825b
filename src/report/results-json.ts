// Writing a run's reports: reports/<run-id>/ holds one file per renderer (results.json is
// the source of truth; junit.xml, signoff.md, signoff.html join RENDERERS), and
// reports/latest points at the newest run.
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunResults } from './model.js';

/** One report file of a run, rendered from the results model. */
export interface Renderer {
  file: string;
  render(results: RunResults): string;
}

export const resultsJson: Renderer = {
  file: 'results.json',
  render: (results) => JSON.stringify(results, null, 2) + '\n',
};

/** Every file a run writes. Add renderers (junit.xml, signoff.md, signoff.html) here. */
export const RENDERERS: Renderer[] = [resultsJson];

/** Write the run's folder and repoint `latest`; returns the run folder. */
export function writeRun(reportsDir: string, results: RunResults, renderers: Renderer[] = RENDERERS): string {
  const root = resolve(reportsDir);
  const dir = join(root, results.runId);
  mkdirSync(dir, { recursive: true });
  for (const r of renderers) writeFileSync(join(dir, r.file), r.render(results));
  // Relative link, replaced atomically: readers never see a missing or half-made `latest`.
  const tmp = join(root, `.latest-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(results.runId, tmp);
  renameSync(tmp, join(root, 'latest'));
  return dir;
}

/** "20261128T171002Z-smoke-3fa1": sortable, unique enough for concurrent runs. */
export function newRunId(mode: string, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const rand = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${mode}-${rand}`;
}
