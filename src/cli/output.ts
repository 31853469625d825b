import { firstLine } from '../errors.js';
import { exitCodeOfError } from '../exit-codes.js';

/** Print one error line (a stack only with --debug) and exit with the error's documented code. */
export function fail(err: unknown, debug = process.argv.includes('--debug')): never {
  process.stderr.write(`parity: ${firstLine(err)}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exit(exitCodeOfError(err));
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * The stream is a terminal that can rewrite its line (progress): a TTY, and not TERM=dumb
 * (Emacs shells, some CI consoles), which shows the escape as text.
 */
export function rewritesLines(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
}

/** Progress and notes go to stderr, so --json output on stdout stays clean. */
export function note(line: string): void {
  process.stderr.write(line + '\n');
}
