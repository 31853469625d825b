// vitest globalSetup: `npm test` on a fresh machine brings the Debian packages the tests need
// (the lab's haproxy and redis-server, chromium for the HTML report's browser test): installed
// with apt-get when running as root (PARITY_NO_INSTALL=1 refuses), else one line naming them
// and the exact command. Runs once per vitest run, before any test file.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBundle, suitesBundle } from '../bin/bundle.js';
import {
  aptGet,
  aptInstall,
  findBinary,
  installPlan,
  installRefused,
  LAB_BINARIES,
  type LabBinary,
} from '../src/lab/binaries.js';

/** What is missing, as Debian packages. */
export function missingTestPackages(): { what: string[]; packages: string[] } {
  const what: string[] = [];
  const packages: string[] = [];
  for (const bin of Object.keys(LAB_BINARIES) as LabBinary[]) {
    if (!findBinary(bin)) {
      what.push(bin);
      packages.push(LAB_BINARIES[bin]);
    }
  }
  // The OS package's browser (PARITY_CHROMIUM points elsewhere only to test the skip path).
  if (process.env.PARITY_CHROMIUM === undefined && !existsSync('/usr/bin/chromium')) {
    what.push('/usr/bin/chromium');
    packages.push('chromium');
  }
  return { what, packages };
}

export default async function setup(): Promise<(() => void) | void> {
  // parity's per-user state folder (a drill's pending restores) is the test run's own, never
  // the user's ~/.local/state/parity: every test file and CLI it runs inherits it.
  let teardown: (() => void) | undefined;
  if (process.env.PARITY_STATE_DIR === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'parity-test-state-'));
    process.env.PARITY_STATE_DIR = dir;
    teardown = () => rmSync(dir, { recursive: true, force: true });
  }
  const missing = missingTestPackages();
  const plan = installPlan({
    packages: missing.packages,
    what: missing.what.join(', '),
    uid: process.getuid?.(),
    aptGet: aptGet(),
    refused: installRefused(),
    who: 'npm test',
  });
  // The CLI's and the suites' bundles, built once here rather than by the first test files at
  // once (each building the same ones, on a machine's few cores, while others are timed).
  // A build that fails here fails again, and says why, in the tests that run the CLI.
  await Promise.all([cliBundle(), suitesBundle()]).catch(() => {});
  if (plan.action === 'none') return teardown;
  if (plan.action === 'tell') throw new Error(plan.line);
  process.stderr.write(`${plan.line}\n`);
  await aptInstall(plan.aptGet, plan.packages, (line) => process.stderr.write(`${line}\n`));
  const still = missingTestPackages();
  if (still.packages.length)
    throw new Error(`npm test: still missing after apt-get: ${still.what.join(', ')}`);
  return teardown;
}
