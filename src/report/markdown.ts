// signoff.md: short enough for a CI job summary ($GITHUB_STEP_SUMMARY) or a PR comment.
import type { CheckResult } from '../contract/result.js';
import type { CriterionResult, RunResults } from './model.js';
import { CHECK_LABEL, CRITERION_LABEL, deployLine, duration, runDuration, toolLine } from './format.js';
import { endpointViews } from './evidence.js';
import { signoffVerdict } from './verdict.js';

const CHECK_ICON: Record<CheckResult['status'], string> = { pass: '✅', fail: '❌', error: '⚠️', skip: '⏭️' };
const CRITERION_ICON: Record<CriterionResult['status'], string> = {
  pass: '✅',
  fail: '❌',
  'not-verified': '⚠️',
};

/** Text safe inside a Markdown table cell: no pipes, no raw HTML, no line breaks. */
export function mdCell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[`*_[\]]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

export function renderMarkdown(r: RunResults): string {
  const v = signoffVerdict(r.criteria);
  const icon = v.verdict === 'passed' ? '✅' : v.verdict === 'failed' ? '❌' : '⚠️';
  const s = r.summary;
  const out: string[] = [];

  out.push(`## ${icon} Parity ${r.mode} run: sign-off ${v.passed ? 'PASSED' : 'NOT PASSED'}`, '');
  out.push(`**${mdCell(v.line)}**`, '');
  out.push(
    [
      `Checks: ${s.passed} passed, ${s.failed} failed, ${s.errored} errored, ${s.skipped} skipped`,
      deployLine(r) && mdCell(deployLine(r)!),
      `run ${code(r.runId)}`,
      `${r.startedAt} → ${r.finishedAt} (${runDuration(r)})`,
      toolLine(r),
    ]
      .filter(Boolean)
      .join(' · '),
    '',
  );

  out.push('### Success criteria', '', '| # | Criterion | Status | Evidence |', '|---|---|---|---|');
  for (const c of r.criteria) {
    const evidence = (c.evidence ?? []).map(mdCell).join('<br>') || '—';
    out.push(
      `| ${c.id} | ${mdCell(c.title)} | ${CRITERION_ICON[c.status]} ${CRITERION_LABEL[c.status]} | ${evidence} |`,
    );
  }
  out.push('');

  out.push('### Checks', '', '| Check | Env | Status | Time | Diagnosis |', '|---|---|---|---|---|');
  for (const c of r.checks) {
    out.push(
      `| ${code(c.id)} | ${mdCell(c.env)} | ${CHECK_ICON[c.status]} ${CHECK_LABEL[c.status]} | ${duration(c.durationMs)} | ${mdCell(c.diagnosis)} |`,
    );
  }
  out.push('');

  out.push(...endpointsMarkdown(r.checks));

  out.push('### Environments', '', '| Env | Role | ALB endpoint |', '|---|---|---|');
  for (const [name, e] of Object.entries(r.environments))
    out.push(`| ${mdCell(name)} | ${mdCell(e.role)} | ${mdCell(e.url)} |`);
  out.push('', '<sub>Full evidence: results.json and signoff.html in the same folder.</sub>', '');
  return out.join('\n');
}

// GFM splits cells at a pipe even inside a code span unless it is escaped.
const codeCell = (s: string) => code(s).replace(/\|/g, '\\|');
const valueCell = (v: unknown) => (v === undefined || v === null ? '(absent)' : codeCell(String(v)));

/** fingerprint.diff's endpoints: each path, then its differing fields with both values. */
function endpointsMarkdown(checks: CheckResult[]): string[] {
  const out: string[] = [];
  for (const c of checks.filter((x) => x.id === 'fingerprint.diff')) {
    const e = endpointViews(c);
    if (!e?.views.length) continue;
    out.push(
      `### Endpoints: ${mdCell(c.env)} vs ${mdCell(e.against)}`,
      '',
      `| Endpoint / field | ${mdCell(c.env)} | ${mdCell(e.against)} | Class |`,
      '|---|---|---|---|',
    );
    for (const v of e.views) {
      const state = v.unverified.length
        ? `⚠️ unverified: ${mdCell(v.unverified[0])}`
        : v.rows.length === 0 && v.inconsistencies.length === 0
          ? `✅ ${v.compared ?? 0} fields, all the same`
          : `${v.same ?? 0} of ${v.compared ?? 0} fields the same`;
      out.push(`| **${codeCell(v.path)}** (${mdCell(v.compare ?? 'shape')}) | | | ${state} |`);
      for (const r of v.rows) {
        const icon = r.cls === 'drift' ? '❌' : '➖';
        out.push(
          `| &nbsp;&nbsp;${codeCell(r.field)} | ${valueCell(r.a)} | ${valueCell(r.b)} | ${icon} ${mdCell(r.cls)}${r.note ? `: ${mdCell(r.note)}` : ''} |`,
        );
      }
      for (const i of v.inconsistencies) {
        const values = Object.entries(i.values)
          .map(([id, x]) => `${id}=${String(x)}`)
          .join(', ');
        out.push(
          `| &nbsp;&nbsp;${code(i.field)} | ${mdCell(values)} | | ⚠️ inconsistent inside ${mdCell(c.env)} |`,
        );
      }
    }
    out.push('');
  }
  return out;
}
