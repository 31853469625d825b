import { UsageError } from '../errors.js';
import { fail } from './output.js';
import { mark } from '../timing.js';
import { createProgram, registerFamilies } from './program.js';

mark('cli: modules loaded');

const program = createProgram();

try {
  await registerFamilies(program, process.argv.slice(2));
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
