// signoff.html in a real browser: headless Chromium (the OS package, never a downloaded build)
// renders the criteria table and the SVG charts, loads nothing from the network, and runs no
// script from the data. Screenshots go to test-artifacts/ for a human look.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../src/report/write.js';
import { summarize } from '../../src/report/model.js';
import { A, B, brokenRun, journeyChecks, passingRun } from '../fixtures/runs.js';
import { judgeWatch } from '../../src/checks/watch-judge.js';
import { deploySamples, WATCH_META } from '../fixtures/watch-samples.js';
import type { RunResults } from '../../src/report/model.js';

// The callbacks below run inside Chromium; the project's tsconfig has no DOM lib, so name what they use.
declare const getComputedStyle: (e: unknown) => { backgroundColor: string };
declare const DOMParser: new () => {
  parseFromString(
    text: string,
    type: string,
  ): {
    getElementsByTagName(tag: string): { length: number };
    querySelector(sel: string): { getAttribute(name: string): string | null } | null;
  };
};
type Box = { getBBox(): { width: number; height: number } };

const ARTIFACTS = resolve('test-artifacts');
if (!hasChromium)
  console.warn(`signoff.html browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

let browser: Browser;
let dir: string;

/** Opens a report and records every request and console error the page makes. */
async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, requests, errors };
}

/** Every chart's rendered box, and the number of nonzero shapes inside it. */
const chartBoxes = (page: Page, scope: string) =>
  page.$$eval(`${scope} svg.chart`, (svgs) =>
    svgs.map((s) => {
      const b = s.getBoundingClientRect();
      const shapes = [...s.querySelectorAll('rect, polyline, circle')].filter((e) => {
        const r = (e as unknown as Box).getBBox();
        return r.width > 0 && r.height > 0;
      }).length;
      return { width: b.width, height: b.height, shapes };
    }),
  );

const describeBrowser = hasChromium ? describe : describe.skip;
describeBrowser(
  hasChromium
    ? 'signoff.html in headless Chromium'
    : `signoff.html in headless Chromium (skipped: no Chromium at ${CHROMIUM})`,
  () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'parity-html-'));
      await mkdir(ARTIFACTS, { recursive: true });
      const history = { file: join(dir, 'history.jsonl') };
      // A week of nightly runs for the trend, the last one broken.
      for (let d = 5; d <= 10; d++) {
        const day = String(d).padStart(2, '0');
        await writeReports(
          join(dir, `pass-${day}`),
          passingRun(`202601${day}T020000Z`, `2026-01-${day}T02:00:00.000Z`),
          { history },
        );
      }
      await writeReports(join(dir, 'broken'), brokenRun(), { history });
      await writeReports(join(dir, 'pass'), passingRun());
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('renders the broken run: criteria table, charts, trend, no network', async () => {
      const { page, requests, errors } = await open(join(dir, 'broken', 'signoff.html'));
      await page.screenshot({ path: join(ARTIFACTS, 'signoff-broken.png'), fullPage: true });

      expect(requests).toEqual([pathToFileURL(join(dir, 'broken', 'signoff.html')).href]);
      expect(errors).toEqual([]);
      await expect(page.locator('#verdict').textContent()).resolves.toContain('NOT PASSED');

      const rows = await page.$$eval('table.criteria tbody tr', (trs) =>
        trs.map((tr) => ({
          status: tr.getAttribute('data-status'),
          badge: tr.querySelector('.badge')!.textContent,
          bg: getComputedStyle(tr.querySelector('.badge')!).backgroundColor,
          height: tr.getBoundingClientRect().height,
        })),
      );
      expect(rows.map((r) => r.status)).toEqual(['pass', 'fail', 'not-verified', 'pass', 'fail', 'fail']);
      expect(rows.map((r) => r.badge)).toEqual(['PASS', 'FAIL', 'NOT VERIFIED', 'PASS', 'FAIL', 'FAIL']);
      expect(rows.every((r) => r.height > 0)).toBe(true);
      // NOT VERIFIED must never look like a pass.
      expect(rows[2].bg).not.toBe(rows[0].bg);

      // load.distribution and load.sticky: share + latency charts each; one pinning chart; two trend charts.
      for (const [scope, n] of [
        ['#load', 4],
        ['#sticky', 1],
        ['#trend', 2],
      ] as const) {
        const boxes = await chartBoxes(page, scope);
        expect(boxes, scope).toHaveLength(n);
        for (const b of boxes) {
          expect(b.width, scope).toBeGreaterThan(100);
          expect(b.height, scope).toBeGreaterThan(30);
          expect(b.shapes, scope).toBeGreaterThan(1);
        }
      }
      // The one client's 20 requests, coloured by instance: alternating, so both colours.
      const cells = await page.$$eval('#sticky svg rect title', (ts) => ts.map((t) => t.textContent));
      expect(cells.filter((t) => t?.startsWith('client '))).toHaveLength(20);
      // The fingerprint diff table shows the drifted rows.
      const diff = await page.$$eval('#fingerprint table.diff tbody tr .badge', (bs) =>
        bs.map((b) => `${b.textContent} ${b.className}`),
      );
      expect(diff).toEqual(['drift badge st-fail', 'drift badge st-fail', 'expected badge st-skip']);
      await expect(page.locator('#fingerprint').textContent()).resolves.toContain(
        'loadBalancer.idleTimeoutSeconds',
      );
      // The trend grid: 7 runs, the last column red for sticky.pinning.
      const trend = await page.$$eval('#trend table.trend tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td.cell')].map((s) => s.className.replace('cell ', ''))),
      );
      const keys = await page.$$eval('#trend table.trend tr', (trs) =>
        trs.map((tr) => tr.querySelector('td.mono')?.textContent),
      );
      const row = (key: string) => trend[keys.indexOf(key)];
      expect(row('staging/sticky.pinning')).toEqual([...Array(6).fill('cell-pass'), 'cell-fail']);
      expect(row('staging/sessions.shared-redis')).toEqual([...Array(6).fill('cell-pass'), 'cell-error']);
      for (const id of ['criteria', 'load', 'sticky', 'fingerprint', 'trend'])
        await page.locator(`#${id}`).screenshot({ path: join(ARTIFACTS, `signoff-broken-${id}.png`) });
      await page.close();
    });

    it('renders the passing run with every criterion PASS', async () => {
      const { page, requests, errors } = await open(join(dir, 'pass', 'signoff.html'));
      await page.screenshot({ path: join(ARTIFACTS, 'signoff-pass.png'), fullPage: true });
      expect(requests).toHaveLength(1);
      expect(errors).toEqual([]);
      await expect(page.locator('#verdict').getAttribute('class')).resolves.toContain('passed');
      const statuses = await page.$$eval('table.criteria tbody tr', (trs) =>
        trs.map((t) => t.getAttribute('data-status')),
      );
      expect(statuses).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
      await expect(page.locator('#trend').count()).resolves.toBe(0);
      await page.close();
    });

    it('draws each journey as a sequence chart: step → instance → outcome', async () => {
      const run = passingRun();
      run.checks.push(...journeyChecks());
      run.summary = summarize(run.checks);
      await writeReports(join(dir, 'journeys'), run);
      const { page, requests, errors } = await open(join(dir, 'journeys', 'signoff.html'));
      expect(requests).toHaveLength(1);
      expect(errors).toEqual([]);
      const boxes = await chartBoxes(page, '#journeys');
      expect(boxes).toHaveLength(2);
      for (const b of boxes) {
        expect(b.width).toBeGreaterThan(300);
        expect(b.height).toBeGreaterThan(100);
        expect(b.shapes).toBeGreaterThan(3);
      }
      await page.locator('#journeys').screenshot({ path: join(ARTIFACTS, 'signoff-journeys.png') });
      const charts = await page.$$eval('#journeys svg.chart', (svgs) =>
        svgs.map((s) => ({
          lifelines: [...s.querySelectorAll('rect title')].map((t) => t.textContent),
          outcomes: [...s.querySelectorAll('circle')].map((c) => ({
            fill: c.getAttribute('fill'),
            tip: c.querySelector('title')!.textContent,
            cx: Number(c.getAttribute('cx')),
          })),
          text: s.textContent,
        })),
      );
      const [passed, failed] = charts;
      // One lifeline per instance, in the report's colour order.
      expect(passed.lifelines).toEqual([A, B]);
      // pinned: two steps on A; hopping: upload on A, analyze on B (further right), passed after a lag.
      expect(passed.outcomes.map((o) => o.fill)).toEqual(Array(4).fill('#1a7f37'));
      expect(passed.outcomes[0].cx).toBe(passed.outcomes[1].cx);
      expect(passed.outcomes[3].cx).toBeGreaterThan(passed.outcomes[2].cx);
      expect(passed.text).toContain('analyze (on other)');
      expect(passed.text).toContain('✓ 200 · 9 ms · 9 tries · lag 3.2 s');
      // The failed hop is red and lands on A's lifeline (left of B's).
      expect(failed.outcomes.map((o) => o.fill)).toEqual(['#1a7f37', '#1a7f37', '#1a7f37', '#cf222e']);
      expect(failed.outcomes[3].tip).toBe(`analyze on ${A}: answered 404 (expected 200)`);
      expect(failed.outcomes[3].cx).toBeLessThan(failed.outcomes[2].cx);
      expect(failed.text).toContain('hopping (step-failed)');
      expect(failed.text).toContain('✗ 404 · 9 ms');
      await expect(page.locator('#journeys').textContent()).resolves.toContain(
        'the session is shared but the data is not',
      );
      await page.close();
    });

    it('shows markup in the data as text and runs none of it', async () => {
      const run = brokenRun();
      const evil =
        '<script>window.__pwned=1</script><img src="http://127.0.0.1:9/x.png" onerror="window.__pwned=2">';
      run.checks[3] = { ...run.checks[3], diagnosis: evil, evidence: { cookie: evil } };
      run.environments.staging.url = 'http://127.0.0.1:41001/"><script>window.__pwned=3</script>';
      await writeReports(join(dir, 'evil'), run);
      const { page, requests } = await open(join(dir, 'evil', 'signoff.html'));
      expect(requests).toHaveLength(1);
      await expect(
        page.evaluate(() => (globalThis as { __pwned?: number }).__pwned),
      ).resolves.toBeUndefined();
      await expect(page.locator('script').count()).resolves.toBe(0);
      await expect(page.locator('img').count()).resolves.toBe(0);
      await expect(page.locator('table.checks').textContent()).resolves.toContain(
        '<script>window.__pwned=1</script>',
      );
      await page.close();
    });

    it('draws the deploy watch timeline: one band per instance, errors marked, version colours, the deploy start and end', async () => {
      const v = judgeWatch(deploySamples({ errorsOnA: [2000, 3000] }), WATCH_META);
      const check = {
        id: 'deploy.watch',
        env: 'staging',
        status: v.status,
        diagnosis: v.diagnosis,
        durationMs: 20_000,
        evidence: v.evidence as unknown as Record<string, unknown>,
      };
      const run: RunResults = {
        schemaVersion: 1,
        runId: '20261207T120000Z-watch-0001',
        mode: 'watch',
        startedAt: '2026-12-07T12:00:00.000Z',
        finishedAt: '2026-12-07T12:00:20.000Z',
        environments: { staging: { url: 'http://127.0.0.1:1', role: 'staging' } },
        checks: [check],
        criteria: [],
        summary: summarize([check]),
      };
      await writeReports(join(dir, 'watch'), run);
      const { page, errors } = await open(join(dir, 'watch', 'signoff.html'));
      await page.screenshot({ path: join(ARTIFACTS, 'signoff-watch.png'), fullPage: true });
      expect(errors).toEqual([]);
      await expect(page.locator('#watch h2').textContent()).resolves.toContain('Deploy watch');
      const bands = await page.$$eval('#watch svg.chart g.watch-band', (gs) =>
        gs.map((g) => ({
          instance: g.getAttribute('data-instance'),
          fills: [...new Set([...g.querySelectorAll('rect')].map((r) => r.getAttribute('fill')))].length,
          height: g.getBoundingClientRect().height,
        })),
      );
      expect(bands.map((b) => b.instance)).toEqual(['i-a', 'i-b']);
      // Each instance answered with both versions: two colours in its band.
      expect(bands.every((b) => b.fills === 2 && b.height > 10)).toBe(true);
      // The errors of second 2 are drawn, and the deploy's start and end lines are there.
      const marked = await page.$$eval('#watch g.watch-errors rect', (rs) =>
        rs.map((r) => (r as unknown as Box).getBBox().height),
      );
      expect(marked).toHaveLength(1);
      expect(marked[0]).toBeGreaterThan(0);
      await expect(page.locator('#watch line.deploy-start').count()).resolves.toBe(1);
      await expect(page.locator('#watch line.deploy-end').count()).resolves.toBe(1);
      await page.close();
    });

    it('junit.xml is well-formed XML for a strict parser', async () => {
      const run = brokenRun();
      run.checks[3] = { ...run.checks[3], diagnosis: 'a <b> & "c" \'d\' \u0001 ]]> e' };
      await writeReports(join(dir, 'xml'), run);
      const xml = await readFile(join(dir, 'xml', 'junit.xml'), 'utf8');
      const page = await browser.newPage();
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'application/xml');
        return {
          errors: doc.getElementsByTagName('parsererror').length,
          cases: doc.getElementsByTagName('testcase').length,
          failure: doc.querySelector('testcase[name="sticky.cookie"] failure')?.getAttribute('message'),
        };
      }, xml);
      expect(parsed).toEqual({
        errors: 0,
        cases: run.checks.length,
        failure: 'a <b> & "c" \'d\' \uFFFD ]]> e',
      });
      await page.close();
    });
  },
);
