// One run of a mode (smoke, nightly, signoff): resolve the target, run the mode's suites
// through vitest, build RunResults, write the reports.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Convergence } from '../contract/convergence.js';
import { targetContext, type TargetProvider } from '../contract/target.js';
import { CannotRunError, UsageError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
import { stopInProgress } from '../process/lifecycle.js';
import { summarize, type RunResults } from '../report/model.js';
import type { WrittenRun } from '../report/results-json.js';
import { plaintextLoopbackOnly } from '../config/loopback.js';
import type { ParityConfig } from '../config/schema.js';
import type { CheckResult } from '../contract/result.js';
import { leftOutLines, pendingRestores, restoreCommand } from '../aws/pending-restore.js';
import { modeSpec, suiteFiles, userSuiteFiles, type RunMode } from './modes.js';
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
  /** Users' suite folders for this run (--suites), besides the config's `suites.extra`. */
  suites?: string[];
  /** --disruptive: the failover drill may run on a config target (the lab allows it anyway). */
  disruptive?: boolean;
  /** Overrides the mode's deadline (--deadline). */
  deadlineMs?: number;
  /** The version every instance must run (--expect-version; overrides app.version.expected). */
  expectVersion?: string;
  /** --converge: wait at most this many seconds for the rollout before the checks. */
  convergeSeconds?: number;
  log: (line: string) => void;
  /** Rewrites one progress line (a terminal); without it, progress is one log line per change. */
  progress?: (line: string) => void;
  /** The vitest child, when the caller started it early (startSuiteRunner); else started here. */
  runner?: SuiteRunner;
  /**
   * The run as it will be reported, before any report is written: the verdict reaches the
   * user even when the reports cannot be written (a full disk).
   */
  onResults?: (run: RunOutcome) => void;
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

/** parity's name, version and, in a checkout, its commit (git, asked while the checks run). */
async function toolInfo(): Promise<RunResults['tool']> {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  // The commit of the parity checkout, when it is one (an installed package is not).
  const commit = await new Promise<string | undefined>((done) =>
    execFile(
      'git',
      ['rev-parse', '--short=12', 'HEAD'],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 2000 },
      (err, stdout) => done(err ? undefined : stdout.trim() || undefined),
    ),
  );
  return { name: 'parity', version: pkg.version, ...(commit ? { commit } : {}) };
}

/** The config with --expect-version applied (it wins over app.version.expected). */
function withExpectedVersion(config: ParityConfig, expectVersion: string | undefined): ParityConfig {
  if (expectVersion === undefined) return config;
  return { ...config, app: { ...config.app, version: { ...config.app.version, expected: expectVersion } } };
}

/** The --converge wait, with its progress: a rewritten line on a terminal, else a line per change. */
async function waitForRollout(
  config: ParityConfig,
  opts: RunOptions & { convergeSeconds: number },
): Promise<Convergence> {
  const limit = opts.convergeSeconds;
  const ctx = targetContext(config, opts.env, { deadline: Date.now() + limit * 1000 + 10_000 });
  const want = ctx.app.version.expected ? `version ${ctx.app.version.expected}` : 'one version';
  opts.log(
    `converge: waiting up to ${limit} s for ${ctx.app.expectedInstances} healthy instances on ${want} (${opts.env})`,
  );
  const started = Date.now();
  let current = 'first look';
  const draw = () =>
    opts.progress?.(`converge ${((Date.now() - started) / 1000).toFixed(0)}/${limit} s: ${current}`);
  const ticker = opts.progress ? setInterval(draw, 500) : undefined;
  try {
    // Loaded only for the wait: the AWS SDK and the HTTP client are the checks' business
    // (in the vitest child), not this process's.
    const [{ converge }, { describeTargetHealth }] = await Promise.all([
      import('../checks/converge.js'),
      import('../aws/target-health.js'),
    ]);
    const result = await converge(ctx, {
      limitSeconds: limit,
      describe: describeTargetHealth,
      onChange: ({ elapsedMs, pending, converged }) => {
        if (converged) return;
        current = `waiting for: ${pending.join('; ')}`;
        if (opts.progress) draw();
        else opts.log(`converge +${(elapsedMs / 1000).toFixed(1)} s: ${current}`);
      },
    });
    if (opts.progress) opts.progress('');
    opts.log(
      result.converged
        ? `converge: converged after ${((result.afterMs ?? 0) / 1000).toFixed(1)} s`
        : `converge: did not converge in ${limit} s (${result.pending.join('; ')}); running the checks anyway`,
    );
    return result;
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

/** The loud lines about targets earlier drills left out of this environment (none: nothing). */
export function leftOutNow(o: { config: ParityConfig; env: string; configFile?: string }): string[] {
  const cmd = restoreCommand(o.env, o.configFile);
  return pendingRestores(o.config, o.env).flatMap((p) => leftOutLines(p, cmd));
}

export async function runMode(opts: RunOptions): Promise<RunOutcome> {
  const spec = modeSpec(opts.mode);
  // Started first: vitest loads while the target is resolved.
  const runner = opts.runner ?? startSuiteRunner();
  let target;
  try {
    target = await opts.target();
  } catch (err) {
    runner.cancel();
    throw err;
  }
  try {
    mark('run: target resolved');
    const config = withExpectedVersion(target.config, opts.expectVersion);
    const ctx = targetContext(config, opts.env); // unknown --env: a usage error, before anything runs
    const drills = spec.suites.includes('drill');
    if (drills && ctx.env.role === 'production' && (opts.mode === 'drill' || opts.disruptive)) {
      throw new UsageError(
        `refused: the failover drill never runs on a role: production environment (environments.${opts.env}); there is no override`,
      );
    }
    // Against the embedded lab the drill runs by default; on a config target only with --disruptive.
    const disruptive = drills && (opts.disruptive === true || target.source !== 'config');
    // First of all, loudly: a target an earlier drill left out (a disruptive run puts it back first).
    const guardOpts = {
      config: target.config,
      env: opts.env,
      configFile: target.source === 'config' ? target.configFile : undefined,
      log: opts.log,
    };
    const drillGuards = disruptive ? await import('./drill-guard.js') : undefined;
    if (drillGuards) await drillGuards.leftOutFirst({ ...guardOpts, restore: true });
    else for (const line of leftOutNow(guardOpts)) opts.log(line);
    const started = new Date();
    const convergence =
      opts.convergeSeconds !== undefined
        ? await waitForRollout(config, { ...opts, convergeSeconds: opts.convergeSeconds })
        : undefined;
    // The checks get their whole deadline after the wait.
    const deadlineMs = opts.deadlineMs ?? spec.deadlineMs;
    const deadline = Date.now() + deadlineMs;
    const extra = [
      ...target.config.suites.extra.map((d) => resolve(dirname(target.configFile), d)),
      ...(opts.suites ?? []),
    ];
    const files = [...suiteFiles(spec, undefined, target.config), ...userSuiteFiles(extra)];
    const guard = drillGuards?.drillGuard({ ...guardOpts, labDir: target.labDir });
    const teardown = target.config.journeys.some((j) => j.teardown.length > 0)
      ? (await import('./teardown-guard.js')).teardownGuard(opts.log)
      : undefined;
    // The report writers (the evidence schemas, the HTML) load while the checks run, on the core
    // they leave free: not at start-up, beside vitest's own, nor after the checks.
    let reporting: Promise<typeof import('../report/results-json.js')> | undefined;
    const loadReporting = () => (reporting ??= import('../report/results-json.js'));
    let tool: Promise<RunResults['tool']> | undefined;
    const toolOf = () => (tool ??= toolInfo());
    let checks: CheckResult[];
    try {
      checks = await runner.run({
        files,
        envName: opts.env,
        // The drill's restore has its own budget beyond the run's deadline.
        testTimeoutMs: deadlineMs + (drills ? 60_000 : 5_000),
        killAfterMs: deadlineMs + (drills ? 75_000 : 15_000),
        // No certificate is checked: the child may do without NODE_EXTRA_CA_CERTS (bin/parity.js).
        labOnly: extra.length === 0 && plaintextLoopbackOnly(target.config),
        onStarted: () => {
          // Both awaited below (a failure is seen there).
          void loadReporting().catch(() => {});
          void toolOf().catch(() => {});
        },
        env: {
          PARITY_CONFIG: target.configFile,
          PARITY_ENV: opts.env,
          PARITY_DEADLINE: String(deadline),
          // The suites in run order: each check's share of the deadline counts those after it.
          PARITY_SUITES: JSON.stringify(files.map((f) => basename(f).replace(/\.[cm]?[jt]s$/, ''))),
          // Explicit either way, so an exported variable cannot turn the interlocks off (or on).
          PARITY_ALLOW_PRODUCTION_WRITES: opts.allowProductionWrites ? '1' : '0',
          PARITY_DISRUPTIVE: disruptive ? '1' : '0',
          PARITY_DRILL_PENDING: guard?.file ?? '',
          PARITY_DRILL_LOCK: guard?.lockFile ?? '',
          PARITY_TEARDOWN_PENDING: teardown?.dir ?? '',
          // Explicit either way too: an exported variable must not change what is expected.
          PARITY_EXPECT_VERSION: opts.expectVersion ?? '',
          PARITY_CONVERGENCE: convergence ? JSON.stringify(convergence) : '',
        },
      });
    } finally {
      await guard?.close();
      await teardown?.close();
    }
    mark('run: suites done');
    if (checks.length === 0)
      throw new CannotRunError(`no checks ran (suites: ${[...spec.suites, ...extra].join(', ')})`);
    const { newRunId, writeRun } = await loadReporting();
    const results: RunResults = {
      schemaVersion: 1,
      runId: newRunId(opts.mode, started),
      mode: opts.mode,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      environments: environmentsOf(config, opts.env, checks),
      checks,
      criteria: [], // derived from the checks when written (src/report/write.ts)
      summary: summarize(checks),
      tool: await toolOf(),
    };
    // Stopped (a signal, the parent's death) while the suites ended: no report, no new `latest`.
    await stopInProgress();
    const { reportedRun, runDirOf } = await loadReporting();
    opts.onResults?.({ ...reportedRun(results), dir: runDirOf(opts.out, results.runId) });
    const history = spec.history ? { file: join(resolve(opts.out), 'history.jsonl') } : undefined;
    const written = await writeRun(opts.out, results, { history });
    mark('run: reports written');
    return written;
  } finally {
    runner.cancel();
    await target.release();
  }
}
