// The entry of the early vitest worker thread (src/run/prewarmed-pool.mjs): vitest's own worker
// entry first (it listens for vitest's messages, which wait in the port's queue until then),
// then the packages the vitest process names, one per turn of the event loop so that vitest's
// messages are handled between them: first the vendored packages of the suites the run's mode
// runs (before the run's files are known: the thread would otherwise wait for the CLI's
// target), then what else the run's files use, until a null message. A package already loaded
// costs nothing the second time; one that fails to load here is left for the suite that imports
// it to report. At the run's end the pool sends 'save' (prewarmed-pool.mjs): the code caches of
// what this thread compiled are written then, holding what the checks compiled too.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setImmediate } from 'node:timers';
import { workerData } from 'node:worker_threads';
import { mark } from '../../bin/base.js';

mark('worker: thread started');
await import(workerData.entry);
mark('worker: vitest runtime loaded');
const require = createRequire(workerData.base);

/** @typedef {{dir: string, require: string[], import: string[], vendor: string[]}} Packages */
/** @type {(Packages | null)[]} */
const queue = [];
let wake = () => {};
workerData.port.on('message', (m) => {
  if (m === 'save') {
    // The run is over (the pool stops this thread): the caches now hold what the checks compiled.
    for (const dir of dirs) vendorOf(dir).saveCache();
    workerData.port.postMessage('saved');
    workerData.port.close();
    return;
  }
  queue.push(m);
  wake();
});
/** A bundle's loader of its vendored packages (bin/vendor-load.cjs), the module its suites require. */
const vendorOf = (dir) => require(join(dir, 'node_modules/parity-vendor'));
/** The bundles whose vendored packages this thread loaded. */
const dirs = new Set();
for (;;) {
  if (queue.length === 0) await new Promise((resolve) => (wake = resolve));
  const packages = queue.shift();
  if (packages === null) break;
  if (!packages) continue;
  if (packages.vendor.length) dirs.add(packages.dir);
  const steps = [
    ...packages.vendor.map((p) => () => vendorOf(packages.dir)(p)),
    ...packages.require.map((p) => () => require(p)),
    ...packages.import.map((p) => () => import(p)),
  ];
  for (const step of steps) {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await step();
    } catch {
      // the suite that imports it says why
    }
  }
}
// The port stays open: the pool asks for the code caches at the run's end ('save').
