// The vitest reporter of a parity run: collects each test's CheckResult (task meta `check`,
// set by src/suite.ts checkTest) in suite order. A test or file that failed without
// a result (a broken user suite, a config error in the worker) becomes an "error" entry,
// so nothing that ran is silently dropped.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, SerializedError, TestCase, TestModule } from 'vitest/node';
import type { CheckResult } from '../contract/result.js';
import { firstLine } from '../errors.js';

const errorLine = (s: string | undefined) => firstLine(s ?? '') || 'unknown error';

export interface CollectorOptions {
  /** Environment the run targets (for entries without a CheckResult). */
  env: string;
  /** Suite files in run order; results follow it. */
  order: string[];
  /** Project root, to name suites in error entries. */
  root: string;
  /** The source file of a file that ran from a bundle (to name it in error entries). */
  names?: Record<string, string>;
  /** Where to write the results as JSON at the end of the run (when vitest runs in another process). */
  out?: string;
}

export default class CheckCollector implements Reporter {
  private modules: readonly TestModule[] = [];
  private unhandled: readonly SerializedError[] = [];
  private readonly env: string;
  private readonly order: string[];
  private readonly root: string;

  constructor(private readonly opts: CollectorOptions) {
    this.env = opts.env;
    this.order = opts.order;
    this.root = opts.root;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    this.modules = modules;
    this.unhandled = unhandled;
    if (this.opts.out) writeFileSync(this.opts.out, JSON.stringify(this.results()));
  }

  /** The results of the run, in suite order then test order. */
  results(): CheckResult[] {
    const rank = (m: TestModule) => {
      const i = this.order.indexOf(m.moduleId);
      return i === -1 ? this.order.length : i;
    };
    const out: CheckResult[] = [];
    for (const mod of [...this.modules].sort((a, b) => rank(a) - rank(b))) {
      const suite = `suite:${relative(this.root, this.opts.names?.[mod.moduleId] ?? mod.moduleId)}`;
      for (const err of mod.errors()) out.push(this.error(suite, errorLine(err.message)));
      for (const test of mod.children.allTests()) {
        const entry = this.fromTest(test);
        if (entry) out.push(entry);
      }
    }
    for (const err of this.unhandled)
      out.push(this.error('run', `unhandled error: ${errorLine(err.message)}`));
    return out;
  }

  private fromTest(test: TestCase): CheckResult | undefined {
    const check = (test.meta() as { check?: CheckResult }).check;
    if (check) return check;
    const r = test.result();
    const ms = Math.round(test.diagnostic()?.duration ?? 0);
    if (r.state === 'skipped') {
      return {
        id: test.name,
        env: this.env,
        status: 'skip',
        diagnosis: r.note ?? 'skipped',
        durationMs: ms,
        evidence: {},
      };
    }
    if (r.state === 'failed') {
      // A user's plain test: a failed assertion is a failed check; anything else could not run.
      const err = r.errors[0];
      const status = err?.name === 'AssertionError' ? 'fail' : 'error';
      return { ...this.error(test.name, errorLine(err?.message)), status, durationMs: ms };
    }
    if (r.state === 'passed') {
      // A user's plain test (not checkTest): it still counts.
      return {
        id: test.name,
        env: this.env,
        status: 'pass',
        diagnosis: 'passed',
        durationMs: ms,
        evidence: {},
      };
    }
    return undefined;
  }

  private error(id: string, diagnosis: string): CheckResult {
    return { id, env: this.env, status: 'error', diagnosis, durationMs: 0, evidence: {} };
  }
}
