// The sign-off and nightly commands end to end against the lab: four reports per run, the
// HTML rendered in real Chromium, failing criteria with their cause, and a nightly trend.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { hasChromium, launchChromium } from './helpers/chromium.js';
import { useLab, type LabHandle } from './helpers/lab.js';
import { withLoadSettings } from '../src/selftest/selftest.js';
import { EVIDENCE, evidenceOf, journeyEvidenceOf, type CheckId } from '../src/contract/evidence.js';
import { evidenceSummary } from '../src/report/criteria.js';
import type { RunResults } from '../src/report/model.js';

const work = mkdtempSync(join(tmpdir(), 'parity-signoff-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The lab's own config with a shorter load stage, so a full run takes seconds. */
const quickConfig = (lab: LabHandle) =>
  withLoadSettings(lab.state.config!, { duration: '2s', connections: 10 });

const criteriaOf = (dir: string) =>
  Object.fromEntries(
    (
      JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).criteria as { id: number; status: string }[]
    ).map((c) => [c.id, c.status]),
  );

describe('parity signoff against a clean lab', () => {
  const lab = useLab();

  it('writes the four reports, passes all six criteria, and the HTML renders in Chromium', async () => {
    const out = join(work, 'clean');
    const run = await runCli(['signoff', '--config', quickConfig(lab), '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/sign-off PASSED: all 6 criteria PASS/);
    const dir = join(out, 'latest');
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'results.json', 'signoff.html', 'signoff.md']);
    expect(criteriaOf(dir)).toEqual({ 1: 'pass', 2: 'pass', 3: 'pass', 4: 'pass', 5: 'pass', 6: 'pass' });
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8').match(/<testcase /g)).toHaveLength(16);
    expect(readFileSync(join(dir, 'signoff.md'), 'utf8')).toMatch(/PASSED/);
    // What the real checks wrote is their id's evidence (src/contract/evidence.ts): the report
    // reader finds it for every check, and the criteria read a line from every one that passed.
    const { checks } = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    // (The drill is skipped here, with a config file and without --disruptive: test/drill-lab.test.ts;
    // deploy.watch is not a sign-off check: only `parity watch` runs it, test/watch-lab.test.ts.)
    expect(Object.keys(EVIDENCE).filter((id) => !checks.some((c) => c.id === id))).toEqual(['deploy.watch']);
    for (const c of checks) {
      const where = `${c.id} ${c.status}: ${JSON.stringify(c.evidence).slice(0, 400)}`;
      if (c.id === 'failover.sticky') {
        expect(evidenceOf(c, c.id), where).toEqual({ ran: false });
        continue;
      }
      expect(c.status, where).toBe('pass');
      if (c.id.startsWith('journey.')) {
        expect(journeyEvidenceOf(c), where).toMatchObject({ variants: {} });
        continue;
      }
      expect(evidenceOf(c, c.id as CheckId), where).toBeDefined();
      expect(evidenceSummary(c), where).toMatch(/^[^?]*$/);
    }
    // the load checks' evidence feeds the per-instance charts
    const html = readFileSync(join(dir, 'signoff.html'), 'utf8');
    expect(html).not.toContain('No per-instance figures');
    for (const inst of lab.state.environments.staging.instances) expect(html).toContain(inst.id);

    if (!hasChromium) return console.warn('Chromium absent (apt-get install chromium): HTML not rendered');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(pathToFileURL(join(dir, 'signoff.html')).href);
      const statuses = await page.$$eval('table.criteria tbody tr', (rows) =>
        rows.map((r) => (r as unknown as { innerText: string }).innerText.includes('PASS')),
      );
      expect(statuses).toEqual([true, true, true, true, true, true]);
      const charts = await page.$$eval('svg.chart', (svgs) => svgs.length);
      expect(charts).toBeGreaterThan(0);
      mkdirSync(resolve('test-artifacts'), { recursive: true });
      await page.screenshot({ path: resolve('test-artifacts/signoff-lab.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('nightly run twice keeps a history and shows a trend of two runs', async () => {
    const out = join(work, 'nightly');
    const config = quickConfig(lab);
    for (let i = 0; i < 2; i++) {
      const run = await runCli(['nightly', '--config', config, '--out', out]);
      expect(run.code, run.stderr).toBe(0);
    }
    const history = readFileSync(join(out, 'history.jsonl'), 'utf8').trim().split('\n');
    expect(history).toHaveLength(2);
    const html = readFileSync(join(out, 'latest', 'signoff.html'), 'utf8');
    const trend = /<section id="trend">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
    for (const line of history) expect(trend).toContain(JSON.parse(line).runId.slice(0, 15));
  });
});

describe('parity signoff against a broken staging (stickiness off)', () => {
  const lab = useLab({ faults: ['no-sticky'] });

  it('fails criterion 2 and names the cause in every report', async () => {
    const out = join(work, 'broken');
    const run = await runCli(['signoff', '--config', quickConfig(lab), '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/sign-off NOT PASSED: .*FAIL \(2/);
    const dir = join(out, 'latest');
    expect(criteriaOf(dir)[2]).toBe('fail');
    const md = readFileSync(join(dir, 'signoff.md'), 'utf8');
    expect(md).toMatch(/Sticky sessions working.*FAIL/);
    expect(md).toMatch(/AWSALB/);
    const html = readFileSync(join(dir, 'signoff.html'), 'utf8');
    expect(html).toMatch(/never received the AWSALB cookie|set no AWSALB cookie/);
  });
});
