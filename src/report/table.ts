import type { CheckResult } from '../contract/result.js';

/**
 * The short table a run prints: check, env, status, diagnosis (one line each). Diagnoses are
 * cut to `width` on a terminal; in CI logs (no width) they are printed whole.
 */
export function formatTable(checks: CheckResult[], width?: number): string {
  const head = ['CHECK', 'ENV', 'STATUS', 'DIAGNOSIS'];
  const rows = checks.map((c) => [c.id, c.env, c.status.toUpperCase(), c.diagnosis]);
  const w = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const room = width === undefined ? Infinity : Math.max(40, width - w[0] - w[1] - w[2] - 6);
  const cut = (s: string) => (s.length > room ? s.slice(0, room - 1) + '…' : s);
  const line = (r: string[]) =>
    [r[0].padEnd(w[0]), r[1].padEnd(w[1]), r[2].padEnd(w[2]), cut(r[3])].join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
