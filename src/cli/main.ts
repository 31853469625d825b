import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { fail } from './output.js';
import { mark } from '../timing.js';

mark('cli: modules loaded');

const program = new Command()
  .name('parity')
  .description("prove that staging behind its ALB is production's twin")
  .option('--debug', 'print stack traces')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

// Each command family lives in its own module with heavy dependencies (autocannon, the AWS
// SDK, ...). Load only the one the command line names, so `parity smoke` does not pay for
// `parity load`; with no known command (help, typo) load them all.
const FAMILIES: Record<string, () => Promise<(p: Command) => void>> = {
  lab: async () => (await import('./lab.js')).registerLab,
  run: async () => (await import('./run.js')).registerRun,
  load: async () => (await import('./load.js')).registerLoad,
  fingerprint: async () => (await import('./fingerprint.js')).registerFingerprint,
};
const FAMILY_OF: Record<string, keyof typeof FAMILIES> = {
  lab: 'lab',
  smoke: 'run',
  nightly: 'run',
  signoff: 'run',
  load: 'load',
  fingerprint: 'fingerprint',
  diff: 'fingerprint',
};

try {
  const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const family = command === undefined ? undefined : FAMILY_OF[command];
  const families = family ? [family] : Object.keys(FAMILIES);
  for (const register of await Promise.all(families.map((f) => FAMILIES[f]()))) register(program);
  mark('cli: commands loaded');
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; exitCode?: number };
  // commander's own help/version exits, and its usage errors (already printed), exit 2.
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
    process.exit(0);
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) process.exit(2);
  fail(err instanceof Error ? err : new UsageError(String(err)));
}
