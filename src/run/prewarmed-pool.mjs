// A vitest pool (the public custom-pool API, `pool: { name, createPoolWorker }`) whose one worker
// thread is started before vitest itself is loaded. It is vitest's own `threads` worker (its
// entry, its options, one thread), only earlier: while the vitest process loads vitest/node and
// creates the Vitest instance, the thread loads vitest's test runtime and then the packages the
// suites use (the bundle's packages.json, bin/bundle.js), in parallel on the other core, instead
// of one after the other once the run starts.
//
// The thread shares the process's environment (SHARE_ENV): the run's variables, known only
// later, are set when vitest starts the worker, before it sends the worker anything. If the
// options vitest asks for are not the ones the thread was started with (execArgv), the early
// thread is stopped and a fresh one started with vitest's options, as vitest would.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { clearTimeout, setTimeout } from 'node:timers';
import { MessageChannel, SHARE_ENV, Worker } from 'node:worker_threads';
import { ROOT } from '../../bin/base.js';

const VITEST_DIST = dirname(fileURLToPath(import.meta.resolve('vitest')));
const VITEST_ROOT = dirname(VITEST_DIST);
const PRELOAD = fileURLToPath(new URL('./prewarm-worker.mjs', import.meta.url));
/** How long a run's end waits for the early thread to write its code caches (~0.1 s when it has any). */
const SAVE_WAIT_MS = 2000;

/**
 * The execArgv vitest 4.1 gives a threads worker by default (resolveOptions and
 * resolveConditions in vitest's pool): checked against what it actually asks for.
 */
export function expectedExecArgv() {
  const profiling = process.execArgv.filter(
    (a) => a.startsWith('--cpu-prof') || a.startsWith('--heap-prof') || a.startsWith('--diagnostic-dir'),
  );
  return [
    ...profiling,
    '--experimental-import-meta-resolve',
    '--require',
    join(VITEST_ROOT, 'suppress-warnings.cjs'),
    '--conditions',
    'node',
    '--conditions',
    'development',
  ];
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Start the thread now. `preload(packages, {last})` ({dir, require, import, vendor}: see
 * bundlePackages) has it load them after vitest's runtime; the last call ends its list.
 */
export function prewarmedPool() {
  const entry = join(VITEST_DIST, 'workers/threads.js');
  const execArgv = expectedExecArgv();
  const { port1, port2 } = new MessageChannel();
  let early = new Worker(PRELOAD, {
    env: SHARE_ENV,
    execArgv,
    stdout: true,
    stderr: true,
    workerData: { entry: pathToFileURL(entry).href, base: join(ROOT, 'package.json'), port: port2 },
    transferList: [port2],
  });
  // Until vitest adopts it, a failing thread must not take the process down; a thread that
  // died early is replaced at start() by a fresh one, as vitest would start it.
  let earlyExited = false;
  early.on('error', () => {});
  early.once('exit', () => (earlyExited = true));

  /**
   * Has the adopted early thread write the code caches of the packages it compiled without one
   * (the first run of a bundle) and waits for it, but no longer than SAVE_WAIT_MS; at once if
   * vitest never adopted it (it ran nothing). Saved at the end of the run, a cache also holds
   * the functions the checks compiled, which a cache saved after loading (top-level code only)
   * would not: the next runs' checks do not compile them. vitest does not wait for a worker's
   * stop() before start() returns, so the vitest process waits for this before it exits.
   */
  let adopted = false;
  let saved;
  const saveCaches = () =>
    (saved ??= new Promise((resolve) => {
      if (!adopted) return resolve();
      const done = () => {
        clearTimeout(timer);
        port1.close();
        resolve();
      };
      const timer = setTimeout(done, SAVE_WAIT_MS);
      port1.once('message', done);
      port1.postMessage('save');
    }));
  // The test threads running now: terminate() stops them (the vitest process orphaned mid-drill).
  const live = new Set();
  /** vitest's ThreadsPoolWorker, adopting the early thread when the options match. */
  class PrewarmedWorker {
    name = 'parity-prewarmed';
    constructor(options) {
      this.options = options;
      this.stdout = options.project.vitest.logger.outputStream;
      this.stderr = options.project.vitest.logger.errorStream;
    }
    get thread() {
      if (!this._thread)
        throw new Error('parity-prewarmed: the worker thread was torn down or never started');
      return this._thread;
    }
    on(event, cb) {
      this.thread.on(event, cb);
    }
    off(event, cb) {
      this.thread.off(event, cb);
    }
    send(message) {
      this.thread.postMessage(message);
    }
    deserialize(data) {
      return data;
    }
    async start() {
      if (this._thread) return;
      const { env, execArgv: wanted, distPath } = this.options;
      const thread = early;
      early = undefined;
      if (
        thread &&
        !earlyExited &&
        same(wanted, execArgv) &&
        join(distPath, 'workers/threads.js') === entry
      ) {
        // Shared environment: the run's variables reach the thread before any message does.
        for (const [k, v] of Object.entries(env)) if (v !== undefined) process.env[k] = v;
        thread.removeAllListeners('error');
        this._thread = thread;
        adopted = true;
      } else {
        await thread?.terminate();
        this._thread = new Worker(join(distPath, 'workers/threads.js'), {
          env,
          execArgv: wanted,
          stdout: true,
          stderr: true,
        });
      }
      live.add(this._thread);
      this.stdout.setMaxListeners(1 + this.stdout.getMaxListeners());
      this._thread.stdout.pipe(this.stdout);
      this.stderr.setMaxListeners(1 + this.stderr.getMaxListeners());
      this._thread.stderr.pipe(this.stderr);
    }
    async stop() {
      await saveCaches(); // at once unless this is the adopted early thread
      await this.thread.terminate();
      live.delete(this._thread);
      this._thread.stdout.unpipe(this.stdout);
      this.stdout.setMaxListeners(this.stdout.getMaxListeners() - 1);
      this._thread.stderr.unpipe(this.stderr);
      this.stderr.setMaxListeners(this.stderr.getMaxListeners() - 1);
      this._thread = undefined;
    }
  }

  return {
    name: 'parity-prewarmed',
    createPoolWorker: (options) => new PrewarmedWorker(options),
    /** Packages to load ahead (null: none); `last: false` while more may follow. */
    preload(packages, { last = true } = {}) {
      const vitestItself = (p) => p === 'vitest' || p.startsWith('@vitest/');
      if (packages)
        port1.postMessage({ ...packages, import: packages.import.filter((p) => !vitestItself(p)) });
      if (!last) return;
      port1.postMessage(null);
      port1.unref(); // open for saveCaches() only
    },
    saveCaches,
    /** Stop every test thread now, mid-test: nothing of theirs runs any more (no request is sent). */
    async terminate() {
      await Promise.all([early, ...live].map((t) => t?.terminate()));
      early = undefined;
      live.clear();
    },
    /** Stop the early thread if vitest never took it (the run ended before its suites). */
    async close() {
      await early?.terminate();
      early = undefined;
    },
  };
}

/**
 * The packages the bundled `files` (paths relative to the project) load, or null; of each kind,
 * those more of the files use first. `vendorOnly`: the vendored ones alone.
 */
export function bundlePackages(dir, files, { vendorOnly = false } = {}) {
  let all;
  try {
    all = createRequire(join(dir, 'x.mjs'))('./packages.json');
  } catch {
    return null;
  }
  const out = { require: new Map(), import: new Map(), vendor: new Map() };
  for (const f of files)
    for (const kind of Object.keys(out))
      if (!vendorOnly || kind === 'vendor')
        for (const p of all[f]?.[kind] ?? []) out[kind].set(p, (out[kind].get(p) ?? 0) + 1);
  const byUse = (m) => [...m.keys()].sort((a, b) => m.get(b) - m.get(a));
  return { dir, require: byUse(out.require), import: byUse(out.import), vendor: byUse(out.vendor) };
}
