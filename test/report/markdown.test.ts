import { describe, expect, it } from 'vitest';
import { mdCell, renderMarkdown } from '../../src/report/markdown.js';
import { finalizeResults } from '../../src/report/write.js';
import { A, B, brokenRun, passingRun } from '../fixtures/runs.js';

const tableRows = (md: string, heading: string) => {
  const part = md.split(`### ${heading}`)[1].split('\n### ')[0];
  return part
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| #') && !/^\| (Check|Env) \|/.test(l));
};

describe('signoff.md', () => {
  it('passing run: verdict, criteria, checks, environments, run time, tool and commit', () => {
    const md = renderMarkdown(finalizeResults(passingRun()));
    expect(md.split('\n')[0]).toBe('## ✅ Parity signoff run: sign-off PASSED');
    expect(md).toContain('**PASSED: all 6 criteria PASS**');
    expect(md).toContain('2026-01-10T02:00:00.000Z → 2026-01-10T02:00:48.200Z (48.2 s)');
    expect(md).toContain('parity 0.1.0 (commit 3f2a9c1d4e5b)');
    expect(tableRows(md, 'Success criteria')).toHaveLength(6);
    expect(tableRows(md, 'Checks')).toHaveLength(17);
    expect(md).toContain('| staging | staging | http://127.0.0.1:41001 |');
    expect(md).toContain('| production | production | http://127.0.0.1:41002 |');
    expect(md).toContain(`versions: ${A} 1.4.2, ${B} 1.4.2`);
  });

  it('broken run: NOT PASSED, with FAIL and NOT VERIFIED criteria', () => {
    const md = renderMarkdown(finalizeResults(brokenRun()));
    expect(md.split('\n')[0]).toBe('## ❌ Parity signoff run: sign-off NOT PASSED');
    expect(md).toContain('**NOT PASSED: 3 criteria FAIL (2, 5, 6), 1 NOT VERIFIED (3)**');
    const criteria = tableRows(md, 'Success criteria');
    expect(criteria[1]).toMatch(/^\| 2 \| Sticky sessions working \| ❌ FAIL \| FAIL sticky\.cookie/);
    expect(criteria[2]).toMatch(/^\| 3 \| Redis sessions shared between instances \| ⚠️ NOT VERIFIED \|/);
    expect(md).toContain('| `sessions.shared-redis` | staging | ⚠️ ERROR | 3 ms |');
  });

  it('keeps every table row on one line whatever the diagnosis holds', () => {
    const run = finalizeResults(brokenRun());
    run.checks[3] = { ...run.checks[3], diagnosis: 'a | b\nc <img src=x> `d` *e*' };
    const md = renderMarkdown(run);
    const row = tableRows(md, 'Checks')[3];
    expect(row).toBe(
      '| `sticky.cookie` | staging | ❌ FAIL | 47 ms | a \\| b c &lt;img src=x&gt; \\`d\\` \\*e\\* |',
    );
    expect(mdCell('x|y')).toBe('x\\|y');
  });
});
