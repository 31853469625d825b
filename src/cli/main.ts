import { UsageError } from '../errors.js';
import { guardStdio } from '../io/output.js';
import { installLifecycle, stopInProgress } from '../process/lifecycle.js';
import { addSecretsOf } from '../secrets.js';
import { fail } from './output.js';
import { mark } from '../timing.js';
import { createProgram, registerFamilies } from './program.js';

// Every byte on stdout/stderr is scrubbed of known secrets (src/io/output.ts), from the first.
addSecretsOf(process.env);
guardStdio();
// SIGINT/SIGTERM/SIGHUP and the parent's death stop what this process started (src/process/lifecycle.ts).
installLifecycle();
mark('cli: modules loaded');

const program = createProgram();

try {
  await registerFamilies(program, process.argv.slice(2));
  mark('cli: commands loaded');
  await program.parseAsync(process.argv);
} catch (err) {
  await stopInProgress();
  const e = err as { code?: string; exitCode?: number };
  // commander's own help/version exits, and its usage errors (already printed), exit 2.
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
    process.exit(0);
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) process.exit(2);
  fail(err instanceof Error ? err : new UsageError(String(err)));
}
