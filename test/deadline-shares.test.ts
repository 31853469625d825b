// Issue 24 item 10: a long settle window does not starve the gate. A journey step that never
// passes with `settleSeconds: 600` gets the journey's share of the smoke's 60 s deadline, not
// all of it: its diagnosis names the step and the window it actually waited, and the checks
// after it (deploy.consistency) still run. On the lab.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { deadlineShare } from '../src/contract/target.js';
import type { CheckResult } from '../src/contract/result.js';
import { runCli } from './helpers/cli.js';
import { useLab } from './helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'parity-shares-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('deadlineShare (pure)', () => {
  const now = 1_000_000;
  it('splits what is left of the run evenly over this check and those after it', () => {
    expect(deadlineShare(now, now + 60_000, 1)).toBe(now + 30_000);
    expect(deadlineShare(now, now + 60_000, 0)).toBe(now + 60_000);
  });
  it('gives every check at least 15 s (or what is left), never past the run deadline', () => {
    expect(deadlineShare(now, now + 60_000, 9)).toBe(now + 15_000);
    expect(deadlineShare(now, now + 10_000, 9)).toBe(now + 10_000);
    expect(deadlineShare(now, now - 5, 3)).toBe(now - 5);
  });
});

describe('a journey step that never settles, settleSeconds 600, in a 60 s smoke', () => {
  const lab = useLab();

  it('gets its share: the diagnosis names the step and the window waited; deploy.consistency still runs', async () => {
    const cfg = parse(readFileSync(lab.state.config!, 'utf8'));
    cfg.journeys = [
      {
        name: 'never',
        steps: [
          {
            name: 'wait-for-nothing',
            settleSeconds: 600,
            request: { method: 'GET', path: '/api/session/status' },
            expect: { contains: 'never-in-any-answer-{marker}' },
          },
        ],
      },
    ];
    const file = join(work, 'never.yaml');
    writeFileSync(file, stringify(cfg));
    const out = join(work, 'reports');
    const started = Date.now();
    const r = await runCli(['smoke', '--config', file, '--out', out], { timeoutMs: 150_000 });
    const tookMs = Date.now() - started;
    const results = JSON.parse(readFileSync(join(out, 'latest', 'results.json'), 'utf8')) as {
      checks: CheckResult[];
    };
    const byId = (id: string) => results.checks.find((c) => c.id === id);
    const journey = byId('journey.never');
    expect(journey?.status, r.stderr).toBe('error');
    expect(journey?.diagnosis).toMatch(
      /^never: step "wait-for-nothing" on i-\w+ had not settled when its share of the run's deadline ended its 600 s window after (\d+\.\d) s \(\d+ tries; last: answered 200 without "never-in-any-answer-parity-?[0-9a-f]+"/,
    );
    const waited = Number(/after (\d+\.\d) s/.exec(journey!.diagnosis)![1]);
    // Its share: about half of what was left (one check after it), cut in two for its two runs.
    expect(waited).toBeGreaterThan(5);
    expect(waited).toBeLessThan(30);
    // The evidence is there (the step, its tries and the window), not an empty error.
    const steps = (journey!.evidence as { variants: { pinned: { steps: { waitedMs?: number }[] } } }).variants
      .pinned.steps;
    expect(steps[0].waitedMs).toBeGreaterThan(5000);
    // The check after it ran, and passed.
    expect(byId('deploy.consistency')?.status, r.stderr).toBe('pass');
    // Nothing failed: the journey could not be verified in its share (exit 3).
    expect(r.code, r.stderr).toBe(3);
    expect(tookMs).toBeLessThan(90_000);
  }, 180_000);
});
