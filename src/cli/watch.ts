import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { exitCodeOfChecks } from '../exit-codes.js';
import { printChecks } from './print-checks.js';
import { note } from './output.js';
import { ensureWritableDir } from './writable.js';

interface WatchFlags {
  config?: string;
  env: string;
  out: string;
  duration?: string;
  rate?: string;
  journeyUsers?: string;
  json?: boolean;
}

const number = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: must be a number (got "${v}")`);
  return n;
};

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description(
      'while CMD runs (a deploy), steady sticky users through the ALB record every error, lost session, sticky break and version change, and on staging journey users every journey step that fails (check deploy.watch)',
    )
    .argument('[cmd...]', 'the command to watch, after -- (e.g. -- ./deploy_to_staging.sh)')
    .option('--config <file>', 'parity config (default ./parity.config.yaml, else the embedded lab)')
    .option('--env <name>', 'environment to watch', 'staging')
    .option(
      '--duration <seconds>',
      'watch this long (without CMD; default 60), or at most this long with CMD',
    )
    .option(
      '--rate <rps>',
      'requests per second, all users together (default 20; at most 20 on role: production)',
    )
    .option(
      '--journey-users <n>',
      'users looping the configured journeys (default 2 when there are journeys; staging only: never on role: production)',
    )
    .option('--out <dir>', 'reports folder', 'reports')
    .option('--json', 'print results.json to stdout (the table goes to stderr)')
    .passThroughOptions()
    .action(async (cmd: string[], flags: WatchFlags) => {
      ensureWritableDir(flags.out, '--out');
      const durationSeconds = number('--duration', flags.duration);
      const rate = number('--rate', flags.rate);
      const journeyUsers = number('--journey-users', flags.journeyUsers);
      const { runWatch, checkWatchOptions } = await import('../run/watch.js');
      checkWatchOptions({ rate, durationSeconds, journeyUsers, role: 'staging' }); // the role's own bound is checked once known
      const { results, dir } = await runWatch({
        target: async () => (await import('./target.js')).resolveTarget({ config: flags.config, log: note }),
        env: flags.env,
        out: flags.out,
        durationSeconds,
        rate,
        journeyUsers,
        command: cmd.length ? cmd : undefined,
        log: note,
      });
      // The shared connection pool (its keep-alive sockets would hold the process a few seconds).
      await (await import('../http/client.js')).closeHttp();
      printChecks(results, flags.json);
      note(`watch: ${results.checks[0]?.status ?? 'no result'}; reports in ${dir}`);
      process.exitCode = exitCodeOfChecks(results.checks);
    });
}
