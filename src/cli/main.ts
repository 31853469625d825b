import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { registerFingerprint } from './fingerprint.js';
import { registerLab } from './lab.js';
import { registerLoad } from './load.js';
import { fail } from './output.js';
import { registerRun } from './run.js';

const program = new Command()
  .name('parity')
  .description("prove that staging behind its ALB is production's twin")
  .option('--debug', 'print stack traces')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerLab(program);
registerRun(program);
registerLoad(program);
registerFingerprint(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; exitCode?: number };
  // commander's own help/version exits, and its usage errors (already printed), exit 2.
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
    process.exit(0);
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) process.exit(2);
  fail(err instanceof Error ? err : new UsageError(String(err)));
}
