import type { Command } from 'commander';
import { firstLine, UsageError, type ExitCode } from '../errors.js';
import { exitCodeOfChecks, exitCodeOfVerdict } from '../exit-codes.js';
import type { RunOutcome } from '../run/run.js';
import { printChecks } from './print-checks.js';
import { MODES, type RunMode } from '../run/modes.js';
import { applyInstallFlag } from '../lab/binaries.js';
import { note, rewritesLines } from './output.js';
import { ensureWritableDir } from './writable.js';
import { checkTempFolder } from '../config/folders.js';

interface RunFlags {
  config?: string;
  env: string;
  out: string;
  json?: boolean;
  allowProductionWrites?: boolean;
  disruptive?: boolean;
  deadline?: string;
  suites?: string[];
  expectVersion?: string;
  converge?: string;
  install?: boolean;
  restore?: boolean;
}

/**
 * A number of seconds as written: decimal digits (a fraction allowed), nothing else. Number()
 * alone reads "" as 0 and "0x10" as 16.
 */
function seconds(value: string): number {
  return /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
}

/** --deadline in seconds (a whole run's time bound), as ms; a usage error when not a sane number. */
export function parseDeadline(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = seconds(value);
  if (!Number.isFinite(s) || s < 1 || s > 3600) {
    throw new UsageError(`--deadline: must be a number of seconds from 1 to 3600 (got "${value}")`);
  }
  return Math.round(s * 1000);
}

/** --converge in seconds (the longest wait for a rollout before the checks), as a number. */
export function parseConverge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = seconds(value);
  if (!Number.isFinite(s) || s < 0 || s > 3600) {
    throw new UsageError(`--converge: must be a number of seconds from 0 to 3600 (got "${value}")`);
  }
  return s;
}

/** --expect-version: a non-empty version string. */
export function parseExpectVersion(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') {
    throw new UsageError('--expect-version: must not be empty (is the variable it comes from set?)');
  }
  return value.trim();
}

/** One command per run mode in src/run/modes.ts. */
export function registerRun(program: Command): void {
  for (const [mode, spec] of Object.entries(MODES)) {
    const command = program
      .command(mode)
      .description(spec.description)
      .option('--config <file>', 'parity config (default ./parity.config.yaml, else the embedded lab)')
      .option('--env <name>', 'environment to check', 'staging')
      .option('--out <dir>', 'reports folder', 'reports')
      .option('--json', 'print results.json to stdout (the table goes to stderr)')
      .option(
        '--suites <dir>',
        "a folder of your own suites (*.test.ts) to run after the mode's (repeatable)",
        (dir: string, dirs: string[] = []) => [...dirs, dir],
      )
      .option('--allow-production-writes', 'allow session writes to a role: production environment')
      .option(
        '--deadline <seconds>',
        `the whole run's time bound; no request outlives it (default ${spec.deadlineMs / 1000})`,
      )
      .option(
        '--expect-version <version>',
        'the version every instance must run (overrides app.version.expected), e.g. the commit just deployed',
      )
      .option(
        '--converge <seconds>',
        'first wait at most this long for every target to be healthy and on the expected version',
      )
      .option(
        '--no-install',
        'never install haproxy/redis-server for the embedded lab (also PARITY_NO_INSTALL=1)',
      );
    if (spec.disruptive) {
      command.option(
        '--disruptive',
        'run the failover drill: deregisters an instance of the (role: staging) environment and registers it again (default against the embedded lab)',
      );
    }
    if (mode === 'drill') {
      command.option(
        '--restore',
        'run no drill: register again the target an interrupted drill left out of --env (its pending-restore record)',
      );
    }
    command.action(async (flags: RunFlags) => {
      applyInstallFlag(flags.install === false ? false : undefined);
      if (flags.restore) {
        process.exitCode = await (await import('./drill-restore.js')).drillRestore(flags);
        return;
      }
      // Before anything starts (the lab, the suites): the reports must have somewhere to go.
      ensureWritableDir(flags.out, '--out');
      // The suites' scratch files and a temporary lab go there.
      checkTempFolder();
      const deadlineMs = parseDeadline(flags.deadline);
      const expectVersion = parseExpectVersion(flags.expectVersion);
      const convergeSeconds = parseConverge(flags.converge);
      // Imported when a run starts (--help and the other commands do not pay for it); the
      // vitest child first, so that it loads while this process loads the rest.
      const { startSuiteRunner } = await import('../run/vitest-runner.js');
      const runner = startSuiteRunner();
      const { runMode } = await import('../run/run.js').catch((err: unknown) => {
        runner.cancel();
        throw err;
      });
      // The verdict is printed, and the exit code set, before the reports are written: a full
      // disk (a report that cannot be written) loses the files, never the verdict.
      let verdictCode: ExitCode | undefined;
      let outcome: RunOutcome | undefined;
      const show = ({ results, verdict }: RunOutcome) => {
        printChecks(results, flags.json);
        verdictCode =
          mode === 'signoff' ? exitCodeOfVerdict(verdict.verdict) : exitCodeOfChecks(results.checks);
      };
      try {
        outcome = await runMode({
          runner,
          deadlineMs,
          mode: mode as RunMode,
          target: async () =>
            (await import('./target.js')).resolveTarget({ config: flags.config, log: note }),
          env: flags.env,
          out: flags.out,
          suites: flags.suites,
          allowProductionWrites: flags.allowProductionWrites ?? false,
          disruptive: flags.disruptive ?? false,
          expectVersion,
          convergeSeconds,
          log: note,
          progress: rewritesLines(process.stderr)
            ? (line) => process.stderr.write(`\r\x1b[2K${line}`)
            : undefined,
          onResults: (run) => {
            outcome = run;
            show(run);
          },
        });
      } catch (err) {
        // Not written (the verdict above stands): one line naming the file; the exit code is
        // the checks' when they failed, else 3 (the run's output is missing).
        if (!outcome) throw err;
        summary(mode, outcome, false);
        note(`parity: ${firstLine(err)}`);
        process.exitCode = verdictCode === 1 ? 1 : 3;
        return;
      }
      summary(mode, outcome, true);
      process.exitCode = verdictCode;
    });
  }
}

/** The run's last lines on stderr: the counts, where the reports are, the sign-off verdict. */
function summary(mode: string, { results, verdict, dir }: RunOutcome, written: boolean): void {
  const s = results.summary;
  const where = written ? `reports in ${dir}` : `reports NOT written to ${dir}`;
  note(
    `${mode}: ${s.passed} passed, ${s.failed} failed, ${s.errored} errored, ${s.skipped} skipped; ${where}`,
  );
  if (mode === 'signoff') note(`sign-off ${verdict.line}; ${written ? `${dir}/signoff.html` : where}`);
}
