// The vitest process of a parity run (see vitest-runner.ts). Plain JavaScript, run by bare
// node: it needs no tsx (vitest compiles what it runs).
//
// It is started before the run knows its target, so loading vitest (the largest part of its
// start-up) overlaps the CLI's own work; the run's input then arrives as one JSON line on
// stdin. The built-in suites (suites/*.test.ts) and the collector run from a cached esbuild
// bundle (bin/bundle.js, rebuilt when any source changes) that node loads natively, instead
// of vite transforming every module of src/ in the worker; any other suite file (a user's)
// runs from its source as vitest normally does. The collector writes the results to `out`.
// The test worker starts first, before this process loads anything it does not need for that
// (the bundler, vitest): its start is the longest path of a run (prewarmed-pool.mjs).
import { existsSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';
import { pathToFileURL } from 'node:url';
import { mark, ROOT } from '../../bin/base.js';
import { bundlePackages, prewarmedPool } from './prewarmed-pool.mjs';

const pool = prewarmedPool();
mark('vitest child: node started', performance.timeOrigin);
mark('vitest child: worker spawned');
// Whether it was started with the user's extra certificates (bin/parity.js leaves them out of a lab run's).
if (process.env.NODE_EXTRA_CA_CERTS !== undefined) mark('vitest child: with NODE_EXTRA_CA_CERTS');

const { builtinSuites, suitesBundle } = await import('../../bin/bundle.js');

// Orphaned (the parity process was killed without a chance to stop this one): exit rather
// than go on probing the target. Its stdin is already closed once it has its input. A failover
// drill that had taken its target out (its pending-restore record is there) is stopped first,
// then the target registered again (src/run/drill-guard.ts, from the bundle), then the exit.
const parent = process.ppid;
let run;
let orphaned = false;
setInterval(() => {
  if (process.ppid === parent || orphaned) return;
  orphaned = true;
  const pending = run?.env?.PARITY_DRILL_PENDING;
  if (!pending || !existsSync(pending) || !dir) process.exit(0);
  void (async () => {
    try {
      await pool.terminate();
      const { restoreOrphaned } = await import(pathToFileURL(join(dir, 'src/run/drill-guard.mjs')).href);
      await restoreOrphaned(run.env.PARITY_CONFIG, run.env.PARITY_ENV, pending);
    } catch {
      // not restored: the record stays, and every later command of the environment says so
    }
    process.exit(0);
  })();
}, 500).unref();

/** A word to the runner on fd 3 (src/run/vitest-runner.ts), apart from stdout, where a suite may write anything. */
function progress(word) {
  try {
    writeSync(3, `${word}\n`);
  } catch {
    // no fd 3 (started by hand): nobody to tell
  }
}

/** The run's input: the first line on stdin. No input (the parent died or gave up): exit. */
const input = new Promise((resolve) => {
  let text = '';
  let got = false;
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => {
    text += d;
    const nl = text.indexOf('\n');
    if (nl >= 0 && !got) {
      got = true;
      resolve(JSON.parse(text.slice(0, nl)));
    }
  });
  process.stdin.on('end', () => {
    if (!got) void pool.close().finally(() => process.exit(0));
  });
});

const suites = builtinSuites();
// A suite that does not build: every file runs from source, and vitest says why.
const dir = await suitesBundle(suites).catch(() => undefined);
// Before the run's files are known (that waits for the CLI's target): the vendored packages of
// the suites the run mode (argv[2], from bin/parity.js) runs, else of every bundled suite, those
// most suites use first, for the worker to load meanwhile.
if (dir) {
  let likely = suites;
  try {
    const { MODES } = await import(pathToFileURL(join(dir, 'src/run/modes.mjs')).href);
    const names = MODES[process.argv[2]]?.suites;
    if (names) likely = names.map((n) => `suites/${n}.test.ts`).filter((f) => likely.includes(f));
  } catch {
    // no mode table: every suite
  }
  pool.preload(bundlePackages(dir, likely, { vendorOnly: true }), { last: false });
}
// vitest/node as the bundle vendored it (one file, compiled from its code cache), else as installed.
const vendor = dir ? createRequire(join(dir, 'package.json'))('parity-vendor') : undefined;
let vitestNode;
try {
  vitestNode = vendor?.has('vitest/node') ? vendor('vitest/node') : undefined;
} catch {
  // a vendored file that does not load (damaged): vitest as installed
}
vitestNode ??= await import('vitest/node');
mark('vitest child: vitest loaded');
run = await input;
mark('vitest child: input');

/** The bundled copy of a built-in suite, else the file itself. */
const runFileOf = (file) => {
  const rel = relative(ROOT, file);
  return dir && /^suites\/[^/]+\.test\.ts$/.test(rel) ? join(dir, rel.replace(/\.ts$/, '.mjs')) : file;
};
const files = run.files.map(runFileOf);
/** Collector entries name the source file, never the bundle. */
const sourceOf = Object.fromEntries(files.map((f, i) => [f, run.files[i]]));
// The rest of the run's bundled suites' packages (those not vendored: autocannon, ...).
const bundled = run.files.filter((f, i) => dir && files[i] !== f);
pool.preload(
  dir
    ? bundlePackages(
        dir,
        bundled.map((f) => relative(ROOT, f)),
      )
    : null,
);
const collector = dir ? join(dir, 'src/report/collector.mjs') : join(ROOT, 'src/report/collector.ts');

const { BaseSequencer, createVitest } = vitestNode;
mark('vitest child: createVitest');

// Files run in the mode's order (health first), never vitest's default (larger, slower or
// previously failed files first): a dead target must be found by the check named for it.
class InOrder extends BaseSequencer {
  async sort(list) {
    const at = (f) => files.indexOf(f.moduleId);
    return [...list].sort((a, b) => at(a) - at(b));
  }
}
const vitest = await createVitest(
  'test',
  {
    config: false,
    root: ROOT,
    dir: ROOT,
    include: files,
    exclude: [], // the bundle lives under node_modules/.cache
    watch: false,
    reporters: [[collector, { env: run.envName, order: files, names: sourceOf, root: ROOT, out: run.out }]],
    silent: true,
    // One worker (vitest's threads worker, started early: prewarmed-pool.mjs), files one after
    // another: the checks share the ALB under test, and concurrent probes would disturb each
    // other's view of its routing.
    pool,
    maxWorkers: 1,
    fileParallelism: false,
    sequence: { sequencer: InOrder },
    isolate: false,
    testTimeout: run.testTimeoutMs,
    hookTimeout: run.testTimeoutMs,
    env: run.env,
    // The bundle is plain ESM: node loads it (and the packages it imports) natively.
    server: { deps: { external: [/\/node_modules\/\.cache\/parity\//] } },
  },
  { logLevel: 'silent', clearScreen: false, server: { watch: null } },
);
mark('vitest child: vitest created');
// The collector has written the results when start() returns (onTestRunEnd); nothing of this
// process outlives it, so it exits at once rather than wait for vitest.close() to tear down the
// vite server and the worker one by one. Test failures are the results' business, not this
// process's exit code.
progress('started');
await vitest.start(files);
mark('vitest child: tests done');
// The test thread writes the code caches it compiled (a bundle's first run) before this process
// ends it; otherwise at once (prewarmed-pool.mjs).
await pool.saveCaches();
progress('done'); // the runner reads the results now, while this process exits
process.exit(0);
