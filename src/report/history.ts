// reports/history.jsonl: one compact line per run, for the nightly trend.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckStatus } from '../contract/result.js';
import type { RunResults } from './model.js';
import { loadView } from './evidence.js';
import { evaluateCriteria } from './criteria.js';
import { signoffVerdict, type Verdict } from './verdict.js';
import { round } from '../util.js';

export interface HistoryEntry {
  runId: string;
  /** finishedAt of the run. */
  time: string;
  mode: RunResults['mode'];
  verdict: Verdict;
  /** "env/check.id" → status. */
  checks: Record<string, CheckStatus>;
  /** env → overall p99 (ms) of load.distribution. */
  p99?: Record<string, number>;
  /** env → instance → share of load.distribution requests. */
  shares?: Record<string, Record<string, number>>;
}

const checkKey = (env: string, id: string) => `${env}/${id}`;

/** The history line of a run (pure). */
export function historyEntry(results: RunResults): HistoryEntry {
  const criteria = results.criteria.length
    ? results.criteria
    : evaluateCriteria(results.checks, results.environments);
  const entry: HistoryEntry = {
    runId: results.runId,
    time: results.finishedAt,
    mode: results.mode,
    verdict: signoffVerdict(criteria).verdict,
    checks: Object.fromEntries(results.checks.map((c) => [checkKey(c.env, c.id), c.status])),
  };
  for (const c of results.checks) {
    if (c.id !== 'load.distribution') continue;
    const view = loadView(c);
    if (!view) continue;
    (entry.p99 ??= {})[c.env] = view.percentiles.p99;
    if (view.instances.length)
      (entry.shares ??= {})[c.env] = Object.fromEntries(view.instances.map((i) => [i.id, round(i.share, 4)]));
  }
  return entry;
}

export async function appendHistory(file: string, entry: HistoryEntry): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, JSON.stringify(entry) + '\n');
}

/** The last `n` entries, oldest first. A missing file is an empty history; unreadable lines are skipped. */
export async function readHistory(file: string, n = 20): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as HistoryEntry;
      if (typeof e.runId === 'string' && e.checks && typeof e.checks === 'object') entries.push(e);
    } catch {
      // A torn last line (crash mid-append) must not break the trend.
    }
  }
  return entries.slice(-n);
}
