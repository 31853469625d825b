// `parity load --rate R`: a fixed rate over the connections (autocannon's overallRate), at most
// R x D requests, never faster than R, and the report says which mode ran. Against the lab;
// the assertions hold on a loaded machine (a slow target can only fall behind the rate, so the
// lower bound is loose; the ± 2 % figure is bench/load.ts's). Plus the planner's defaults.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { targetContext } from '../src/contract/target.js';
import { planLoad, parseRate } from '../src/load/plan.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { useLab } from './helpers/lab.js';

const lab = useLab();

async function parity(...args: string[]) {
  try {
    const r = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'bin/parity.js'), ...args], {
      env: { ...process.env, CI: '1' },
      timeout: 60_000,
      maxBuffer: 1 << 24,
    });
    return { code: 0, ...r };
  } catch (e) {
    return e as { code: number; stdout: string; stderr: string };
  }
}

describe('parity load --rate', () => {
  it('sends at most R x D requests, never faster than R per second, and says it ran at a fixed rate', async () => {
    const rate = 200;
    const seconds = 4;
    const r = await parity(
      'load',
      '--config',
      lab.state.config!,
      '--rate',
      String(rate),
      '--duration',
      String(seconds),
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pacing).toMatchObject({ kind: 'fixed-rate', rate });
    // The schedule holds R x D requests; on a loaded machine autocannon's 1-s windows can slip,
    // and the run still drains at D, so a few may not have been sent: never more.
    expect(out.requests).toBeLessThanOrEqual(rate * seconds);
    expect(out.requests).toBeGreaterThan(rate * seconds * 0.5);
    expect(out.pacing.perSecond.reduce((a: number, b: number) => a + b, 0)).toBe(out.requests);
    // Never faster than asked; a loaded machine may fall behind, but not to half.
    expect(out.rps).toBeLessThanOrEqual(rate);
    expect(out.rps).toBeGreaterThan(rate * 0.5);
    expect(out.pacing.achievedRatio).toBeCloseTo(out.rps / rate, 3);
    expect(out.checks[0].diagnosis).toContain(`(fixed rate ${rate}/s)`);
    expect(r.stderr).toContain(`fixed rate ${rate} req/s`);
  });

  it('the lab config loads all-out, and the human report says so', async () => {
    const r = await parity('load', '--config', lab.state.config!, '--duration', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pacing: all-out/m);
    expect(r.stdout).toContain('(all-out)');
  });

  it('refuses a bad rate with one line and exit 2', async () => {
    for (const bad of ['0', '1.5', 'fast']) {
      const r = await parity('load', '--config', lab.state.config!, '--rate', bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--rate must be a whole number');
    }
  });
});

describe('the load plan', () => {
  const ctx = (load = '') =>
    targetContext(
      parseConfig(
        `environments:\n  staging: { role: staging, url: "http://127.0.0.1:9" }\n${load}`,
        'test.yaml',
      ),
      'staging',
    );

  it('runs a config target at a fixed rate by default, all-out only when asked', () => {
    expect(planLoad(ctx()).driver.overallRate).toBe(100);
    expect(planLoad(ctx('load: { rate: 250 }\n')).driver.overallRate).toBe(250);
    expect(planLoad(ctx('load: { rate: all-out }\n')).driver.overallRate).toBeUndefined();
    expect(planLoad(ctx(), { rate: 'all-out' }).driver.overallRate).toBeUndefined();
    expect(planLoad(ctx(), { rate: parseRate('40') }).driver.overallRate).toBe(40);
  });

  it('splits the rate over shards like the connections', () => {
    const parts = [1, 2, 3].map(
      (index) =>
        planLoad(ctx(), { rate: 100, connections: 30, shard: { index, count: 3 } }).driver.overallRate,
    );
    expect(parts).toEqual([34, 33, 33]);
  });
});
