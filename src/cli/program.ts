// The parity command line: the root command and its command families. main.ts runs it;
// parseOnly checks a command line against the very same parser without running anything
// (the test that every `parity ...` line in examples/ and the README is accepted).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { PROJECT_ROOT } from '../paths.js';

export function createProgram(): Command {
  return (
    new Command()
      .name('parity')
      .description("prove that staging behind its ALB is production's twin")
      .version(
        (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
        '--version',
        "print parity's version",
      )
      .option('--debug', 'print stack traces')
      // The program's own options come before the command: `parity lab deploy --version 1.5.0`
      // is deploy's --version, not parity's. --debug is accepted everywhere (debugEverywhere).
      .enablePositionalOptions()
      .exitOverride()
      .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  );
}

// Each command family lives in its own module with heavy dependencies (autocannon, the AWS
// SDK, ...). Load only the one the command line names, so `parity smoke` does not pay for
// `parity load`; with no known command (help, typo) load them all.
const FAMILIES: Record<string, () => Promise<(p: Command) => void>> = {
  lab: async () => (await import('./lab.js')).registerLab,
  run: async () => (await import('./run.js')).registerRun,
  load: async () => (await import('./load.js')).registerLoad,
  fingerprint: async () => (await import('./fingerprint.js')).registerFingerprint,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
  watch: async () => (await import('./watch.js')).registerWatch,
};
const FAMILY_OF: Record<string, keyof typeof FAMILIES> = {
  lab: 'lab',
  smoke: 'run',
  nightly: 'run',
  signoff: 'run',
  drill: 'run',
  load: 'load',
  fingerprint: 'fingerprint',
  diff: 'fingerprint',
  doctor: 'doctor',
  watch: 'watch',
};

/** Register the families a command line needs (all of them when it names none we know). */
export async function registerFamilies(program: Command, args: string[], all = false): Promise<void> {
  const command = args.find((a) => !a.startsWith('-'));
  const family = command === undefined ? undefined : FAMILY_OF[command];
  const families = family && !all ? [family] : Object.keys(FAMILIES);
  for (const register of await Promise.all(families.map((f) => FAMILIES[f]()))) register(program);
  for (const cmd of program.commands) debugEverywhere(cmd);
}

/** --debug after the command too (it is read from argv: src/cli/output.ts). */
function debugEverywhere(cmd: Command): void {
  if (!cmd.options.some((o) => o.long === '--debug')) cmd.option('--debug', 'print stack traces');
  for (const sub of cmd.commands) debugEverywhere(sub);
}

export type ParseOutcome = { ok: true; command: string } | { ok: false; error: string };

/**
 * Parse a command line (the words after `parity`) with the CLI's own parser, running no
 * action: commander's checks (unknown command or option, missing argument or value) apply.
 */
export async function parseOnly(args: string[]): Promise<ParseOutcome> {
  let err = '';
  const program = createProgram().configureOutput({
    writeErr: (s) => (err += s),
    writeOut: () => {},
  });
  await registerFamilies(program, args, true);
  let ran = '';
  const stub = (cmd: Command, path: string[]): void => {
    const name = [...path, cmd.name()];
    cmd.configureOutput({ writeErr: (s) => (err += s), writeOut: () => {} });
    cmd.exitOverride();
    // Every command with an action (leaves, and parents with their own, like `load` beside
    // `load merge`) gets one that only records that it would have run. Commander keeps the
    // handler in a private field; a parent without one must stay without (`parity lab` alone
    // is still an error).
    if ((cmd as unknown as { _actionHandler: unknown })._actionHandler)
      cmd.action(() => void (ran = name.slice(1).join(' ')));
    for (const sub of cmd.commands) stub(sub, name);
  };
  stub(program, []);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version')
      return { ok: true, command: 'help' };
    return { ok: false, error: (err || (e as Error).message).trim().split('\n')[0] };
  }
  if (!ran) return { ok: false, error: err.trim() || 'no command ran' };
  return { ok: true, command: ran };
}
