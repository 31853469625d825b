// Writing a run's reports: reports/<run-id>/ holds results.json (the source of truth),
// junit.xml, signoff.md and signoff.html (src/report/write.ts), and reports/latest points at
// the newest run.
import { renameSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OutputError } from '../io/output.js';
import type { RunResults } from './model.js';
import { finalizeResults, writeReports, type WriteOptions } from './write.js';
import { signoffVerdict, type SignoffVerdict } from './verdict.js';

export interface WrittenRun {
  dir: string;
  /** The results as written: criteria and summary derived, secrets redacted. */
  results: RunResults;
  verdict: SignoffVerdict;
}

/** The run as it will be reported (criteria, summary, secrets redacted) and its verdict, before any file is written. Pure. */
export function reportedRun(results: RunResults, opts: WriteOptions = {}): Omit<WrittenRun, 'dir'> {
  const final = finalizeResults(results, opts);
  return { results: final, verdict: signoffVerdict(final.criteria) };
}

/** The folder a run's reports go to. */
export const runDirOf = (reportsDir: string, runId: string): string => join(resolve(reportsDir), runId);

/** Write the run's folder and repoint `latest`. */
export async function writeRun(
  reportsDir: string,
  results: RunResults,
  opts: WriteOptions = {},
): Promise<WrittenRun> {
  const root = resolve(reportsDir);
  const dir = runDirOf(reportsDir, results.runId);
  const written = await writeReports(dir, results, opts);
  // Relative link, replaced atomically: readers never see a missing or half-made `latest`.
  const tmp = join(root, `.latest-${process.pid}`);
  try {
    rmSync(tmp, { force: true });
    symlinkSync(results.runId, tmp);
    renameSync(tmp, join(root, 'latest'));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OutputError(join(root, 'latest'), err);
  }
  return { dir, results: written.results, verdict: written.verdict };
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
