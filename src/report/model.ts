import type { CheckResult } from '../contract/result.js';

// The results contract (docs/reports.md). results.json is the source of truth; every other
// report is rendered from this model.

export type Mode = 'smoke' | 'nightly' | 'signoff' | 'load' | 'fingerprint' | 'drill' | 'watch';

export interface CriterionResult {
  id: number;
  title: string;
  status: 'pass' | 'fail' | 'not-verified';
  checks: string[];
  /** Evidence lines that decided the status (e.g. "2 targets healthy: i-…, i-…"). */
  evidence?: string[];
}

export interface RunResults {
  schemaVersion: 1;
  runId: string;
  mode: Mode;
  startedAt: string;
  finishedAt: string;
  environments: Record<string, { url: string; role: string }>;
  checks: CheckResult[];
  criteria: CriterionResult[];
  summary: { passed: number; failed: number; errored: number; skipped: number };
  tool?: { name: string; version: string; commit?: string };
}

export function summarize(checks: CheckResult[]): RunResults['summary'] {
  const count = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  return { passed: count('pass'), failed: count('fail'), errored: count('error'), skipped: count('skip') };
}
