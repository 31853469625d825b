import { describe, expect, it } from 'vitest';
import { renderJunit, xmlAttr, xmlText } from '../../src/report/junit.js';
import { finalizeResults } from '../../src/report/write.js';
import { A, brokenRun, passingRun } from '../fixtures/runs.js';

/** testcase elements as {classname, name, body}. */
const cases = (xml: string) =>
  [
    ...xml.matchAll(
      /<testcase classname="([^"]*)" name="([^"]*)" time="[\d.]+"(?:\/>|>([\s\S]*?)<\/testcase>)/g,
    ),
  ].map((m) => ({ classname: m[1], name: m[2], body: m[3] ?? '' }));

describe('junit.xml', () => {
  it('has one testcase per check, classname = env and name = check id', () => {
    const run = finalizeResults(passingRun());
    const xml = renderJunit(run);
    expect(cases(xml).map((c) => `${c.classname}/${c.name}`)).toEqual(
      run.checks.map((c) => `${c.env}/${c.id}`),
    );
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(xml).toContain(
      '<testsuites name="parity signoff 20260110T020000Z-pass" tests="17" failures="0" errors="0" skipped="0"',
    );
    expect(xml).toContain(
      '<testsuite name="parity signoff: staging" tests="14" failures="0" errors="0" skipped="0"',
    );
    expect(xml).toContain('<property name="url" value="http://127.0.0.1:41001"/>');
    expect(xml).not.toMatch(/<(failure|error|skipped)/);
  });

  it('reports failures with the diagnosis, errors as <error>, skips as <skipped>', () => {
    const run = finalizeResults(brokenRun());
    run.checks[0] = { ...run.checks[0], status: 'skip', diagnosis: 'no /health path configured' };
    const byName = new Map(
      cases(renderJunit(run))
        .filter((c) => c.classname === 'staging')
        .map((c) => [c.name, c.body]),
    );
    expect(byName.get('sticky.cookie')).toMatch(
      /^\s*<failure message="no AWSALB cookie in 3 answers through the ALB: is stickiness enabled on chatmrpt-staging-tg\?" type="fail">no AWSALB/,
    );
    expect(byName.get('sticky.cookie')).toContain(
      `evidence: {"cookie":"AWSALB","instance":"${A}","setCookies":[],"otherCookieNames":[]}`,
    );
    expect(byName.get('sessions.shared-redis')).toMatch(
      /^\s*<error message="redis:\/\/default:\[redacted\]@127\.0\.0\.1:6390 unreachable/,
    );
    expect(byName.get('health.alb')).toMatch(/^\s*<skipped message="no \/health path configured"\/>\s*$/);
    expect(byName.get('targets.registered')).toBe('');
    expect(renderJunit(run)).toContain('tests="14" failures="4" errors="1" skipped="1"');
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    expect(xmlText('a < b && c > d ]]>')).toBe('a &lt; b &amp;&amp; c &gt; d ]]&gt;');
    expect(xmlAttr(`"q" 'a'\nline\u0000\u001b`)).toBe('&quot;q&quot; &apos;a&apos;&#10;line\uFFFD\uFFFD');
    const run = finalizeResults(brokenRun());
    run.checks[3] = { ...run.checks[3], env: 'st"g<', diagnosis: '</failure><script>&' };
    const xml = renderJunit(run);
    expect(xml).not.toContain('</failure><script>');
    expect(xml).toContain('classname="st&quot;g&lt;"');
    expect(xml).toContain('message="&lt;/failure&gt;&lt;script&gt;&amp;"');
  });

  it('caps long evidence so the file stays readable', () => {
    const run = finalizeResults(brokenRun());
    run.checks[3] = { ...run.checks[3], evidence: { blob: 'x'.repeat(50_000) } };
    const xml = renderJunit(run);
    expect(xml.length).toBeLessThan(30_000);
    expect(xml).toContain('(truncated, see results.json)');
  });
});
