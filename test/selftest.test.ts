// The suite proves itself (issue: fault catalog): every fault of the catalog is caught by
// exactly the checks it declares, each naming the cause, and clean runs never fail.
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../src/contract/result.js';
import { loadFaults } from '../src/lab/faults.js';
import {
  cleanRuns,
  formatMatrix,
  judgeFault,
  selftestFault,
  type FaultOutcome,
} from '../src/selftest/selftest.js';

const catalog = loadFaults();
const check = (id: string, status: CheckResult['status'], diagnosis = ''): CheckResult => ({
  id,
  env: 'staging',
  status,
  diagnosis,
  durationMs: 1,
  evidence: {},
});

describe('the fault catalog', () => {
  it('holds the twenty-five faults, each declaring the cause of every check it fails', () => {
    expect(catalog.map((f) => f.name).sort()).toEqual(
      [
        'single-instance',
        'instance-down',
        'no-sticky',
        'sticky-duration',
        'split-redis',
        'version-skew',
        'health-degraded',
        'healthcheck-path',
        'idle-timeout',
        'uneven-weights',
        'slow-instance',
        'session-ttl',
        'local-uploads',
        'sync-lag',
        'no-drain',
        // the EC2 plane (docs/ec2.md)
        'public-instance',
        'mixed-ami',
        'stopped-instance',
        'stale-frontend',
        'missing-route',
        'shape-change',
        // journeys of a real app: the streaming chat (docs/journeys.md)
        'buffered-stream',
        // deploys, self-tested as watches of `parity lab deploy` (docs/watch.md)
        'restart-no-drain',
        'flip-flop',
        'memory-sessions',
      ].sort(),
    );
    for (const f of catalog) expect(Object.keys(f.causes ?? {}).sort(), f.name).toEqual([...f.fails].sort());
  });

  it('judges a run: declared checks must fail naming the cause, no other check may fail', () => {
    const f = catalog.find((x) => x.name === 'version-skew')!;
    const good = [
      check('deploy.consistency', 'fail', 'instances run different versions: a → 1.4.2, b → 1.5.0'),
      check('fingerprint.diff', 'fail', '1 field(s) drifted: http.versions 1.4.2, 1.5.0 vs 1.4.2'),
      check('health.alb', 'pass'),
    ];
    expect(judgeFault(f, good).problems).toEqual([]);
    const wrongCause = [good[0], check('fingerprint.diff', 'fail', 'idle timeout 30 vs 60'), good[2]];
    expect(judgeFault(f, wrongCause).problems).toEqual([
      expect.stringMatching(/^fingerprint.diff failed without naming the cause/),
    ]);
    const missed = [check('deploy.consistency', 'pass'), good[1], good[2]];
    expect(judgeFault(f, missed).problems).toEqual([
      expect.stringMatching(/^deploy.consistency should fail but is pass/),
    ]);
    const spurious = [...good.slice(0, 2), check('health.alb', 'error', 'timed out')];
    expect(judgeFault(f, spurious).problems).toEqual([
      expect.stringMatching(/^health.alb is error but the fault does not declare it/),
    ]);
    expect(judgeFault(f, good.slice(1)).problems).toEqual(['deploy.consistency did not run']);
  });
});

describe('self-test against the lab', () => {
  const outcomes: FaultOutcome[] = [];
  afterAll(() => {
    if (outcomes.length)
      console.log(`\nfault × check matrix (FAIL = declared and caught)\n${formatMatrix(outcomes, catalog)}`);
  });

  for (const fault of catalog) {
    it(`${fault.name}: ${fault.fails.join(', ')} fail, nothing else`, async () => {
      const outcome = await selftestFault(fault, { loadDuration: '2s' });
      outcomes.push(outcome);
      expect(outcome.problems).toEqual([]);
    }, 120_000);
  }

  it('10 consecutive clean smoke runs pass every check', async () => {
    const runs = await cleanRuns(10);
    expect(runs).toHaveLength(10);
    for (const [i, checks] of runs.entries()) {
      const notPassed = checks
        .filter((c) => c.status !== 'pass')
        .map((c) => `run ${i + 1}: ${c.id} ${c.status}: ${c.diagnosis}`);
      expect(notPassed).toEqual([]);
      expect(checks).toHaveLength(12);
    }
  }, 180_000);
});
