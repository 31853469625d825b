import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendHistory, historyEntry, readHistory } from '../../src/report/history.js';
import { finalizeResults } from '../../src/report/write.js';
import { A, B, brokenRun, passingRun } from '../fixtures/runs.js';

const dir = await mkdtemp(join(tmpdir(), 'parity-history-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('history.jsonl', () => {
  it('one compact entry per run: statuses, p99, shares, verdict', () => {
    const e = historyEntry(finalizeResults(brokenRun()));
    expect(e).toMatchObject({
      runId: '20260111T020000Z-broken',
      time: '2026-01-11T02:00:51.700Z',
      mode: 'signoff',
      verdict: 'failed',
      p99: { staging: 38 },
      shares: { staging: { [A]: 0.509, [B]: 0.491 } },
    });
    expect(e.checks['staging/sticky.pinning']).toBe('fail');
    expect(e.checks['production/health.alb']).toBe('pass');
    expect(Object.keys(e.checks)).toHaveLength(17);
    expect(JSON.stringify(e).length).toBeLessThan(1500);
  });

  it('appends one line per run and reads the last N, oldest first', async () => {
    const file = join(dir, 'nested', 'history.jsonl');
    for (let d = 1; d <= 5; d++)
      await appendHistory(file, historyEntry(passingRun(`run-${d}`, `2026-01-0${d}T02:00:00.000Z`)));
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(5);
    expect((await readHistory(file, 3)).map((e) => e.runId)).toEqual(['run-3', 'run-4', 'run-5']);
  });

  it('a missing file is an empty history; a torn line is skipped', async () => {
    expect(await readHistory(join(dir, 'none.jsonl'))).toEqual([]);
    const file = join(dir, 'torn.jsonl');
    await appendHistory(file, historyEntry(passingRun('ok-1')));
    await appendFile(file, '{"runId":"half", "chec');
    await appendFile(file, '\n[1,2]\n');
    await appendHistory(file, historyEntry(passingRun('ok-2')));
    expect((await readHistory(file)).map((e) => e.runId)).toEqual(['ok-1', 'ok-2']);
  });
});
