// One run of a mode (smoke, nightly, signoff): resolve the target, run the mode's suites
// through vitest, build RunResults, write the reports.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { targetContext, type TargetProvider } from '../contract/target.js';
import { CannotRunError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
import { summarize, type RunResults } from '../report/model.js';
import { newRunId, writeRun, type WrittenRun } from '../report/results-json.js';
import type { ParityConfig } from '../config/schema.js';
import type { CheckResult } from '../contract/result.js';
import { modeSpec, suiteFiles, type RunMode } from './modes.js';
import { startSuiteRunner, type SuiteRunner } from './vitest-runner.js';
import { mark } from '../timing.js';

export interface RunOptions {
  mode: RunMode;
  /** Where the run's target comes from (a config file, the embedded lab): the caller decides. */
  target: TargetProvider;
  env: string;
  /** The reports folder (default "reports"). */
  out: string;
  allowProductionWrites: boolean;
  /** Overrides the mode's deadline (--deadline). */
  deadlineMs?: number;
  log: (line: string) => void;
  /** The vitest child, when the caller started it early (startSuiteRunner); else started here. */
  suites?: SuiteRunner;
}

export type RunOutcome = WrittenRun;

/** The environment under test, and any other one a check compared it with (fingerprint: production). */
function environmentsOf(
  config: ParityConfig,
  envName: string,
  checks: CheckResult[],
): RunResults['environments'] {
  const names = new Set([envName, ...checks.map((c) => c.env)]);
  for (const c of checks) if (typeof c.evidence.against === 'string') names.add(c.evidence.against);
  const out: RunResults['environments'] = {};
  for (const name of names) {
    const env = config.environments[name];
    if (env) out[name] = { url: env.url, role: env.role };
  }
  return out;
}

function toolInfo(): RunResults['tool'] {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  // The commit of the parity checkout, when it is one (an installed package is not).
  const git = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 2000,
  });
  const commit = git.status === 0 ? git.stdout.trim() : undefined;
  return { name: 'parity', version: pkg.version, ...(commit ? { commit } : {}) };
}

export async function runMode(opts: RunOptions): Promise<RunOutcome> {
  const spec = modeSpec(opts.mode);
  // Started first: vitest loads while the target is resolved.
  const suites = opts.suites ?? startSuiteRunner();
  let target;
  try {
    target = await opts.target();
  } catch (err) {
    suites.cancel();
    throw err;
  }
  try {
    mark('run: target resolved');
    targetContext(target.config, opts.env); // unknown --env: a usage error, before anything runs
    const started = new Date();
    const deadlineMs = opts.deadlineMs ?? spec.deadlineMs;
    const deadline = started.getTime() + deadlineMs;
    const checks = await suites.run({
      files: suiteFiles(spec),
      envName: opts.env,
      testTimeoutMs: deadlineMs + 5_000,
      killAfterMs: deadlineMs + 15_000,
      env: {
        PARITY_CONFIG: target.configFile,
        PARITY_ENV: opts.env,
        PARITY_DEADLINE: String(deadline),
        // Explicit either way, so an exported variable cannot turn the interlock off.
        PARITY_ALLOW_PRODUCTION_WRITES: opts.allowProductionWrites ? '1' : '0',
      },
    });
    mark('run: suites done');
    if (checks.length === 0) throw new CannotRunError(`no checks ran (suites: ${spec.suites.join(', ')})`);
    const results: RunResults = {
      schemaVersion: 1,
      runId: newRunId(opts.mode, started),
      mode: opts.mode,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      environments: environmentsOf(target.config, opts.env, checks),
      checks,
      criteria: [], // derived from the checks when written (src/report/write.ts)
      summary: summarize(checks),
      tool: toolInfo(),
    };
    const history = spec.history ? { file: join(resolve(opts.out), 'history.jsonl') } : undefined;
    const written = await writeRun(opts.out, results, { history });
    mark('run: reports written');
    return written;
  } finally {
    suites.cancel();
    await target.release();
  }
}
