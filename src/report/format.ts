// Small shared wording for the Markdown and HTML renderers.
import { evidenceOf } from '../contract/evidence.js';
import type { CheckStatus } from '../contract/result.js';
import type { CriterionResult, RunResults } from './model.js';

export const CHECK_LABEL: Record<CheckStatus, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  error: 'ERROR',
  skip: 'SKIPPED',
};

export const CRITERION_LABEL: Record<CriterionResult['status'], string> = {
  pass: 'PASS',
  fail: 'FAIL',
  'not-verified': 'NOT VERIFIED',
};

/** "1.2 s", "3 min 04 s", "850 ms". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function runDuration(r: RunResults): string {
  return duration(Date.parse(r.finishedAt) - Date.parse(r.startedAt));
}

export function toolLine(r: RunResults): string | undefined {
  if (!r.tool) return undefined;
  return `${r.tool.name} ${r.tool.version}${r.tool.commit ? ` (commit ${r.tool.commit.slice(0, 12)})` : ''}`;
}

/**
 * The version the run required (--expect-version or app.version.expected), and how the
 * --converge wait ended, as deploy.consistency recorded them; undefined when not given.
 */
export function deployLine(r: RunResults): string | undefined {
  const deploy = r.checks.find((c) => c.id === 'deploy.consistency');
  const ev = deploy && evidenceOf(deploy, 'deploy.consistency');
  if (!ev) return undefined;
  const parts: string[] = [];
  if (ev.expectedVersion !== undefined) parts.push(`expected version ${ev.expectedVersion}`);
  const c = ev.convergence;
  if (c) {
    parts.push(
      c.converged && c.afterMs !== undefined
        ? `converged after ${duration(c.afterMs)}`
        : `did not converge in ${c.limitSeconds} s`,
    );
  }
  return parts.length ? parts.join(', ') : undefined;
}
