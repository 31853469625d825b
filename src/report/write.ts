// Writes a run's four reports. The run engine calls this once per run; nothing is written
// before the redaction pass.
import { mkdir } from 'node:fs/promises';
import { OutputError, writeOutput } from '../io/output.js';
import { join } from 'node:path';
import type { RunResults } from './model.js';
import { summarize } from './model.js';
import { evaluateCriteria } from './criteria.js';
import { appendHistory, historyEntry, readHistory } from './history.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { redactResults, type RedactOptions } from './redact.js';
import { signoffVerdict, type SignoffVerdict } from './verdict.js';

export const REPORT_FILES = ['results.json', 'junit.xml', 'signoff.md', 'signoff.html'] as const;

export interface WriteOptions extends RedactOptions {
  /** Append this run to the history file and show the last `last` runs (default 14) as a trend. */
  history?: { file: string; last?: number };
}

/**
 * The run as it is reported: summary and criteria derived from its checks (so they can never
 * disagree), then every secret redacted. Pure.
 */
export function finalizeResults(results: RunResults, opts: RedactOptions = {}): RunResults {
  const full: RunResults = {
    ...results,
    summary: summarize(results.checks),
    criteria: evaluateCriteria(results.checks, results.environments),
  };
  return redactResults(full, opts);
}

export async function writeReports(
  runDir: string,
  results: RunResults,
  opts: WriteOptions = {},
): Promise<{ results: RunResults; verdict: SignoffVerdict; files: string[] }> {
  const final = finalizeResults(results, opts);
  let history;
  if (opts.history) {
    await appendHistory(opts.history.file, historyEntry(final));
    history = await readHistory(opts.history.file, opts.history.last ?? 14);
  }
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    'results.json': JSON.stringify(final, null, 2) + '\n',
    'junit.xml': renderJunit(final),
    'signoff.md': renderMarkdown(final),
    'signoff.html': renderHtml(final, { history }),
  };
  try {
    await mkdir(runDir, { recursive: true });
  } catch (err) {
    throw new OutputError(runDir, err);
  }
  const files: string[] = [];
  for (const name of REPORT_FILES) {
    const file = join(runDir, name);
    await writeOutput(file, contents[name]);
    files.push(file);
  }
  return { results: final, verdict: signoffVerdict(final.criteria), files };
}
