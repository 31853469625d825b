// Helpers for live suites (parity's own and users'): load the target the runner chose, run a
// check, attach its result to the test's meta for the reporter, and assert on it.
import { expect, test, type RunnerTestCase as Test } from 'vitest';
import { basename, resolve } from 'node:path';
import { loadConfigFile, readConfigText } from './config/load.js';
import type { ParityConfig } from './config/schema.js';
import { UsageError } from './errors.js';
import { deadlineShare, targetContext } from './contract/target.js';
import type { Convergence } from './contract/convergence.js';
import type { CheckResult } from './contract/result.js';
import type { TargetContext } from './contract/target.js';
import { mark } from './timing.js';
import { scrubDeep } from './secrets.js';

declare module 'vitest' {
  interface TaskMeta {
    check?: CheckResult;
  }
}

// Parsing and validating the config (yaml, the schema) is the largest part of a context, and
// each check builds its own: parse each file (as it reads now) once per worker, and give every
// call its own copy, so no check sees what another changed.
const parsed = new Map<string, { text: string; config: ParityConfig }>();
function configOf(file: string): ParityConfig {
  const full = resolve(file);
  let text: string | undefined;
  try {
    text = readConfigText(full);
  } catch {
    // loadConfigFile says why
  }
  let hit = text === undefined ? undefined : parsed.get(full);
  if (!hit || hit.text !== text) {
    hit = { text: text ?? '', config: loadConfigFile(file) };
    parsed.set(full, hit);
  }
  return structuredClone(hit.config);
}

/**
 * The environment under test, from the variables the runner sets:
 * PARITY_CONFIG (config file), PARITY_ENV (environment name), PARITY_DEADLINE (epoch ms),
 * PARITY_ALLOW_PRODUCTION_WRITES=1 (explicit override), PARITY_EXPECT_VERSION (--expect-version),
 * PARITY_DISRUPTIVE=1 (the failover drill may run).
 */
export function currentTarget(envName = process.env.PARITY_ENV ?? 'staging'): TargetContext {
  const file = process.env.PARITY_CONFIG;
  if (!file)
    throw new UsageError('PARITY_CONFIG is not set: run the suites through "parity smoke|nightly|signoff"');
  const config = configOf(file);
  const expected = process.env.PARITY_EXPECT_VERSION;
  if (expected) config.app.version = { ...config.app.version, expected };
  return targetContext(config, envName, {
    deadline: Number(process.env.PARITY_DEADLINE) || Date.now() + 60_000,
    allowProductionWrites: process.env.PARITY_ALLOW_PRODUCTION_WRITES === '1',
    disruptive: process.env.PARITY_DISRUPTIVE === '1',
  });
}

/** A suite file's name without folder and extension: `suites/health.test.ts` (or its bundle, `.mjs`) → `health.test`. */
const suiteName = (file: string) => basename(file).replace(/\.[cm]?[jt]s$/, '');

/**
 * How many checks run after this test: the tests after it in its file, and one for each suite
 * file after its own (PARITY_SUITES: the run's suite names in order, set by the runner).
 */
function checksAfter(task: Test): number {
  const tests: Test[] = [];
  const walk = (t: { type: string; tasks?: unknown[] }) => {
    if (t.type === 'test') tests.push(t as Test);
    for (const c of t.tasks ?? []) walk(c as { type: string; tasks?: unknown[] });
  };
  walk(task.file);
  const inFile = Math.max(0, tests.length - 1 - tests.indexOf(task));
  let order: string[] = [];
  try {
    order = JSON.parse(process.env.PARITY_SUITES ?? '[]') as string[];
  } catch {
    // not set by a runner: this file's tests only
  }
  const at = order.indexOf(suiteName(task.file.filepath));
  return inFile + (at === -1 ? 0 : order.length - 1 - at);
}

/** A check function that carries its own id (every check of parity does: `healthAlb.id`). */
export type IdentifiedCheck = ((ctx: TargetContext) => Promise<CheckResult>) & { readonly id: string };

interface CheckTestOptions {
  timeoutMs?: number;
}

/**
 * A vitest test for one check: records the CheckResult in task.meta.check (the reporter writes
 * it to results.json), then asserts it passed. Either a check that carries its id
 * (`checkTest(healthAlb)`), or an id and a function (`checkTest('my.check', (ctx) => ...)`).
 */
export function checkTest(check: IdentifiedCheck, opts?: CheckTestOptions): void;
export function checkTest(
  id: string,
  run: (ctx: TargetContext) => Promise<CheckResult>,
  opts?: CheckTestOptions,
): void;
export function checkTest(
  first: string | IdentifiedCheck,
  second?: ((ctx: TargetContext) => Promise<CheckResult>) | CheckTestOptions,
  third?: CheckTestOptions,
): void {
  const [id, run, opts] =
    typeof first === 'string'
      ? [first, second as (ctx: TargetContext) => Promise<CheckResult>, third ?? {}]
      : [first.id, first, (second as CheckTestOptions | undefined) ?? {}];
  test(
    id,
    async ({ task, skip }) => {
      mark(`check: ${id} start`);
      // Scrubbed here, in the worker: a secret learnt at run time (a login's token) is known
      // only in this thread, not to the CLI that writes the reports.
      const ctx = currentTarget();
      ctx.deadline = deadlineShare(Date.now(), ctx.deadline, checksAfter(task));
      const result = scrubDeep(await run(ctx));
      mark(`check: ${id} end`);
      task.meta.check = result;
      if (result.status === 'skip') skip(result.diagnosis);
      expect(result.status, `${result.id}: ${result.diagnosis}`).toBe('pass');
    },
    opts.timeoutMs ?? 30_000,
  );
}

/** The --converge wait's outcome that the runner passed in PARITY_CONVERGENCE, if any. */
export function currentConvergence(): Convergence | undefined {
  const raw = process.env.PARITY_CONVERGENCE;
  return raw ? (JSON.parse(raw) as Convergence) : undefined;
}
