import type { Command } from 'commander';
import { note, printJson } from './output.js';

// Every CLI start registers this command (--help lists it): the doctor's probes (AWS SDK,
// undici, ioredis, the lab) are imported only when it runs.

/** `parity doctor`: one line per finding with what to do; exit 0 ready, 2 config, 3 cannot run. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('can parity run here? config, lab binaries, and per environment ALB, AWS and Redis')
    .option('--config <file>', 'parity config (default ./parity.config.yaml, else the embedded lab)')
    .option('--env <name>', 'only this environment')
    .option('--json', 'print the findings as JSON')
    .action(async (opts: { config?: string; env?: string; json?: boolean }) => {
      const { formatItem, runDoctor } = await import('../doctor/doctor.js');
      const report = await runDoctor({ ...opts, log: note });
      if (opts.json) printJson(report);
      else for (const item of report.items) process.stdout.write(formatItem(item) + '\n');
      process.exitCode = report.exitCode;
    });
}
