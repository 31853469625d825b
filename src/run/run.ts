// One run of a mode (smoke, nightly, signoff): resolve the target, run the mode's suites
// through vitest, build RunResults, write the reports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { targetContext } from '../checks/context.js';
import { CannotRunError } from '../errors.js';
import { PROJECT_ROOT } from '../lab/paths.js';
import { summarize, type RunResults } from '../report/model.js';
import { newRunId, writeRun } from '../report/results-json.js';
import { modeSpec, suiteFiles, type RunMode } from './modes.js';
import { resolveTarget } from './target.js';
import { runSuites } from './vitest-runner.js';

export interface RunOptions {
  mode: RunMode;
  config?: string;
  env: string;
  /** The reports folder (default "reports"). */
  out: string;
  allowProductionWrites: boolean;
  /** Overrides the mode's deadline (--deadline). */
  deadlineMs?: number;
  log: (line: string) => void;
}

export interface RunOutcome {
  results: RunResults;
  dir: string;
}

function toolInfo(): RunResults['tool'] {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  return { name: 'parity', version: pkg.version };
}

export async function runMode(opts: RunOptions): Promise<RunOutcome> {
  const spec = modeSpec(opts.mode);
  const target = await resolveTarget({ config: opts.config, log: opts.log });
  // A signal must not leave a lab this run started behind.
  const onSignal = (signal: NodeJS.Signals) => {
    void target.release().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const ctx = targetContext(target.config, opts.env); // unknown --env: a usage error, before anything runs
    const started = new Date();
    const deadlineMs = opts.deadlineMs ?? spec.deadlineMs;
    const deadline = started.getTime() + deadlineMs;
    const checks = await runSuites({
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
    if (checks.length === 0) throw new CannotRunError(`no checks ran (suites: ${spec.suites.join(', ')})`);
    const results: RunResults = {
      schemaVersion: 1,
      runId: newRunId(opts.mode, started),
      mode: opts.mode,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      environments: { [opts.env]: { url: ctx.env.url, role: ctx.env.role } },
      checks,
      criteria: [], // mapped to the six success criteria by src/report (criteria)
      summary: summarize(checks),
      tool: toolInfo(),
    };
    return { results, dir: writeRun(opts.out, results) };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await target.release();
  }
}
