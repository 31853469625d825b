import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPORT_FILES, writeReports } from '../../src/report/write.js';
import { brokenRun, passingRun } from '../fixtures/runs.js';

const dir = await mkdtemp(join(tmpdir(), 'parity-write-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('writeReports', () => {
  it('writes the four files into a new run folder', async () => {
    const runDir = join(dir, 'reports', '20260110T020000Z-pass');
    const { files, verdict } = await writeReports(runDir, passingRun());
    expect(files).toEqual(REPORT_FILES.map((f) => join(runDir, f)));
    expect((await readdir(runDir)).sort()).toEqual([...REPORT_FILES].sort());
    expect(verdict.passed).toBe(true);
    expect(await readFile(join(runDir, 'signoff.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(await readFile(join(runDir, 'junit.xml'), 'utf8')).toMatch(/^<\?xml /);
    expect(await readFile(join(runDir, 'signoff.md'), 'utf8')).toMatch(/^## ✅ Parity signoff run/);
  });

  it('derives summary and criteria from the checks, whatever the caller passed', async () => {
    const run = brokenRun();
    run.summary = { passed: 99, failed: 0, errored: 0, skipped: 0 };
    run.criteria = [1, 2, 3, 4, 5, 6].map((id) => ({
      id,
      title: 'stale',
      status: 'pass' as const,
      checks: [],
    }));
    const runDir = join(dir, 'broken');
    const { results, verdict } = await writeReports(runDir, run);
    const written = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8'));
    expect(written).toEqual(results);
    expect(written.summary).toEqual({ passed: 12, failed: 4, errored: 1, skipped: 0 });
    expect(written.criteria.map((c: { status: string }) => c.status)).toEqual([
      'pass',
      'fail',
      'not-verified',
      'pass',
      'fail',
      'fail',
    ]);
    expect(verdict).toMatchObject({ verdict: 'failed', passed: false });
  });

  it('appends to the history and shows the trend only when asked', async () => {
    const file = join(dir, 'history.jsonl');
    await writeReports(join(dir, 'h1'), passingRun('h1'), { history: { file } });
    await writeReports(join(dir, 'h2'), brokenRun('h2'), { history: { file, last: 2 } });
    expect(
      (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).runId),
    ).toEqual(['h1', 'h2']);
    expect(await readFile(join(dir, 'h2', 'signoff.html'), 'utf8')).toContain('<section id="trend">');
    expect(await readFile(join(dir, 'broken', 'signoff.html'), 'utf8')).not.toContain('<section id="trend">');
  });
});
