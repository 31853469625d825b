#!/usr/bin/env node
// Entry point: runs the CLI from an esbuild bundle of src/ (bin/bundle.js: built on first use,
// rebuilt whenever a source changes), so a start pays neither tsx nor a TypeScript transform.
// PARITY_TSX=1 runs the sources through tsx instead (as does a checkout whose cache folder
// cannot be written).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
// Not the bundler yet (bin/bundle.js): the vitest child starts first.
import { mark, ROOT } from './base.js';

mark('bin: node started', performance.timeOrigin);

// A run's vitest process takes longest to start (loading vitest): start it first, before the
// hash check and the CLI itself. src/run/vitest-runner.ts adopts it (startSuiteRunner); until
// then it holds nothing open, so a command that ends early (a usage error) exits as it would,
// and the child, its input closed, exits too.
const RUNS = new Set(['smoke', 'nightly', 'signoff', 'drill']);
const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('-'));
if (RUNS.has(command) && !args.some((a) => a === '--help' || a === '-h')) {
  // A run with no config and no suites of the user's is a run against the embedded lab: plain
  // HTTP and Redis on loopback, where no certificate is ever checked. Its child then starts
  // without NODE_EXTRA_CA_CERTS, which node reads at start-up (~0.09 s for a system bundle);
  // any other run's child keeps it, and the runner replaces a child started without it if the
  // run turns out not to be the lab's after all (src/run/vitest-runner.ts).
  const given = (flag) => args.some((a) => a === flag || a.startsWith(`${flag}=`));
  const labOnly =
    !given('--config') && !given('--suites') && !existsSync(join(process.cwd(), 'parity.config.yaml'));
  const env = { ...process.env, NODE_OPTIONS: '' };
  const withoutExtraCa = labOnly && env.NODE_EXTRA_CA_CERTS !== undefined;
  if (withoutExtraCa) delete env.NODE_EXTRA_CA_CERTS;
  // The command tells the child which suites' packages its worker should load ahead.
  const childArgs = [command];
  const child = spawn(process.execPath, [join(ROOT, 'src/run/vitest-child.mjs'), ...childArgs], {
    cwd: ROOT,
    // No loader hooks (tsx) for this process even if the CLI has them; the workers inherit the env.
    env,
    // As src/run/vitest-runner.ts spawns it: stderr, why it failed; fd 3, its progress.
    stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
  });
  for (const handle of [child, child.stdin, child.stderr, child.stdio[3]]) handle.unref();
  globalThis[Symbol.for('parity.vitest-child')] = { child, args: childArgs, withoutExtraCa };
}
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
let entry;
if (process.env.PARITY_TSX !== '1') {
  try {
    const { cliBundle } = await import('./bundle.js');
    const dir = await cliBundle();
    entry = pathToFileURL(join(dir, 'cli/main.mjs')).href;
    mark('bin: bundle ready');
  } catch (err) {
    // An unwritable cache (a read-only install): the sources still run, only slower.
    if (!['EACCES', 'EROFS', 'EPERM'].includes(err?.code)) throw err;
  }
}
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = '../src/cli/main.ts';
}
await import(entry);
