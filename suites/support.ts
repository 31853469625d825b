// Helpers for live suites (ours and users'): load the target the runner chose, run a check,
// attach its result to the test's meta for the reporter, and assert on it.
import { expect, test } from 'vitest';
import { loadConfigFile } from '../src/config/load.js';
import { targetContext } from '../src/contract/target.js';
import type { CheckResult } from '../src/contract/result.js';
import type { TargetContext } from '../src/contract/target.js';
import { mark } from '../src/timing.js';

declare module 'vitest' {
  interface TaskMeta {
    check?: CheckResult;
  }
}

/**
 * The environment under test, from the variables the runner sets:
 * PARITY_CONFIG (config file), PARITY_ENV (environment name), PARITY_DEADLINE (epoch ms),
 * PARITY_ALLOW_PRODUCTION_WRITES=1 (explicit override).
 */
export function currentTarget(envName = process.env.PARITY_ENV ?? 'staging'): TargetContext {
  const file = process.env.PARITY_CONFIG;
  if (!file)
    throw new Error('PARITY_CONFIG is not set: run the suites through "parity smoke|nightly|signoff"');
  return targetContext(loadConfigFile(file), envName, {
    deadline: Number(process.env.PARITY_DEADLINE) || Date.now() + 60_000,
    allowProductionWrites: process.env.PARITY_ALLOW_PRODUCTION_WRITES === '1',
  });
}

/** A vitest test for one check: records the CheckResult in task.meta.check, then asserts it passed. */
export function checkTest(
  id: string,
  run: (ctx: TargetContext) => Promise<CheckResult>,
  opts: { timeoutMs?: number } = {},
): void {
  test(
    id,
    async ({ task, skip }) => {
      mark(`check: ${id} start`);
      const result = await run(currentTarget());
      mark(`check: ${id} end`);
      task.meta.check = result;
      if (result.status === 'skip') skip(result.diagnosis);
      expect(result.status, `${result.id}: ${result.diagnosis}`).toBe('pass');
    },
    opts.timeoutMs ?? 30_000,
  );
}
