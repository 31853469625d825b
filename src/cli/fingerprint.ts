import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { note, printJson } from './output.js';
import { ensureWritableFile } from './writable.js';

// Every CLI start registers this module (--help lists its commands): what a command needs is
// imported when it runs, and the collection stack (AWS SDK, undici, ioredis, the lab) only
// when a fingerprint is taken (`parity diff` is offline).

export function registerFingerprint(program: Command): void {
  program
    .command('fingerprint')
    .description(
      "collect an environment's fingerprint (ALB, listeners, target groups, HTTP, Redis, the app's endpoints)",
    )
    .requiredOption('--env <name>', 'environment name in the config')
    .option('--config <file>', 'config file (default: parity.config.yaml, else the embedded lab)')
    .option('--out <file>', 'write the fingerprint JSON here (default: stdout)')
    .option('--samples <n>', 'passes to collect; fields that differ between them are volatile (noise)', '2')
    .action(async (opts: { env: string; config?: string; out?: string; samples: string }) => {
      const samples = Number(opts.samples);
      if (!Number.isInteger(samples) || samples < 1 || samples > 10) {
        throw new UsageError(`--samples: must be an integer from 1 to 10 (got "${opts.samples}")`);
      }
      // Before the first request: the fingerprint must have somewhere to go (folders made).
      if (opts.out) ensureWritableFile(opts.out, '--out');
      const [{ withConfig }, { targetContext }, { collectFingerprint }, { closeHttp }, { writeFingerprint }] =
        await Promise.all([
          import('./target.js'),
          import('../contract/target.js'),
          import('../fingerprint/collect.js'),
          import('../http/client.js'),
          import('../fingerprint/file.js'),
        ]);
      try {
        await withConfig(opts.config, async (config) => {
          const ctx = targetContext(config, opts.env, { deadline: Date.now() + 120_000 });
          const fp = await collectFingerprint(ctx, { samples });
          const fields = Object.keys(fp.fields).length;
          const summary = `fingerprint of ${fp.env}: ${fields} fields, ${fp.volatile.length} volatile, ${Object.keys(fp.unknown).length} unknown`;
          if (opts.out) {
            writeFingerprint(opts.out, fp);
            note(`${summary} → ${opts.out}`);
          } else {
            printJson(fp);
            note(summary);
          }
        });
      } finally {
        await closeHttp();
      }
    });

  program
    .command('diff <a> <b>')
    .description('compare two fingerprint files field by field (offline); exit 1 on drift')
    .option(
      '--config <file>',
      'config whose fingerprint.expectDifferent applies (default: parity.config.yaml if present)',
    )
    .option('--json', 'print the diff as JSON')
    .action(async (a: string, b: string, opts: { config?: string; json?: boolean }) => {
      const [{ findConfigFile, loadConfigFile }, { diffFingerprints }, { readFingerprint }, { formatDiff }] =
        await Promise.all([
          import('../config/load.js'),
          import('../fingerprint/diff.js'),
          import('../fingerprint/file.js'),
          import('../fingerprint/format.js'),
        ]);
      const fa = await readFingerprint(a);
      const fb = await readFingerprint(b);
      // Offline: a config is read only for its expectations; no lab is started for a diff.
      const file = findConfigFile(opts.config);
      const expectDifferent = file ? loadConfigFile(file).fingerprint.expectDifferent : [];
      const diff = diffFingerprints(fa, fb, { expectDifferent });
      if (opts.json) printJson(diff);
      else process.stdout.write(formatDiff(diff));
      process.exitCode = diff.summary.drift > 0 ? 1 : 0;
    });
}
