// The checks' table for a run's command (smoke, nightly, signoff, drill, watch): on stdout, or
// with --json on stderr beside the JSON results on stdout.
import type { CheckResult } from '../contract/result.js';
import { formatTable } from '../report/table.js';
import { printJson } from './output.js';

export function printChecks(results: { checks: CheckResult[] }, json: boolean | undefined): void {
  const tty = json ? process.stderr : process.stdout;
  const table = formatTable(results.checks, tty.isTTY ? tty.columns : undefined);
  if (json) {
    process.stderr.write(table);
    printJson(results);
  } else process.stdout.write(table);
}
