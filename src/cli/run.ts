import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { exitCodeOfChecks, exitCodeOfVerdict } from '../exit-codes.js';
import { formatTable } from '../report/table.js';
import { MODES, type RunMode } from '../run/modes.js';
import { note, printJson } from './output.js';

interface RunFlags {
  config?: string;
  env: string;
  out: string;
  json?: boolean;
  allowProductionWrites?: boolean;
  deadline?: string;
}

/** --deadline in seconds (a whole run's time bound), as ms; a usage error when not a sane number. */
export function parseDeadline(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = Number(value);
  if (!Number.isFinite(s) || s < 1 || s > 3600) {
    throw new UsageError(`--deadline: must be a number of seconds from 1 to 3600 (got "${value}")`);
  }
  return Math.round(s * 1000);
}

/** One command per run mode in src/run/modes.ts (smoke; nightly and signoff as they land). */
export function registerRun(program: Command): void {
  for (const [mode, spec] of Object.entries(MODES)) {
    program
      .command(mode)
      .description(spec.description)
      .option('--config <file>', 'parity config (default ./parity.config.yaml, else the embedded lab)')
      .option('--env <name>', 'environment to check', 'staging')
      .option('--out <dir>', 'reports folder', 'reports')
      .option('--json', 'print results.json to stdout (the table goes to stderr)')
      .option('--allow-production-writes', 'allow session writes to a role: production environment')
      .option(
        '--deadline <seconds>',
        `the whole run's time bound; no request outlives it (default ${spec.deadlineMs / 1000})`,
      )
      .action(async (flags: RunFlags) => {
        const deadlineMs = parseDeadline(flags.deadline);
        // Imported when a run starts (--help and the other commands do not pay for it); the
        // vitest child first, so that it loads while this process loads the rest.
        const { startSuiteRunner } = await import('../run/vitest-runner.js');
        const suites = startSuiteRunner();
        const { runMode } = await import('../run/run.js').catch((err: unknown) => {
          suites.cancel();
          throw err;
        });
        const { results, dir, verdict } = await runMode({
          suites,
          deadlineMs,
          mode: mode as RunMode,
          target: async () =>
            (await import('./target.js')).resolveTarget({ config: flags.config, log: note }),
          env: flags.env,
          out: flags.out,
          allowProductionWrites: flags.allowProductionWrites ?? false,
          log: note,
        });
        const tty = flags.json ? process.stderr : process.stdout;
        const table = formatTable(results.checks, tty.isTTY ? tty.columns : undefined);
        if (flags.json) {
          process.stderr.write(table);
          printJson(results);
        } else process.stdout.write(table);
        const s = results.summary;
        note(
          `${mode}: ${s.passed} passed, ${s.failed} failed, ${s.errored} errored, ${s.skipped} skipped; reports in ${dir}`,
        );
        if (mode === 'signoff') {
          note(`sign-off ${verdict.line}; ${dir}/signoff.html`);
          process.exitCode = exitCodeOfVerdict(verdict.verdict);
        } else process.exitCode = exitCodeOfChecks(results.checks);
      });
  }
}
