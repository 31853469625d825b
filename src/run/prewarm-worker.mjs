// The entry of the early vitest worker thread (src/run/prewarmed-pool.mjs): vitest's own worker
// entry first (it listens for vitest's messages, which wait in the port's queue until then),
// then, once the run's files are known, the packages they use, one per turn of the event loop
// so that vitest's messages are handled between them. A package that fails to load here is
// left for the suite that imports it to report.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setImmediate } from 'node:timers';
import { workerData } from 'node:worker_threads';

await import(workerData.entry);
const require = createRequire(workerData.base);
/** @type {{dir: string, require: string[], import: string[], vendor: string[]} | null} */
const packages = await new Promise((resolve) => workerData.port.once('message', resolve));
workerData.port.close();
// The bundle's own vendor.cjs (bin/vendor-load.cjs), the module its suites require.
const vendor = () => require(join(packages.dir, 'node_modules/parity-vendor'));
const steps = packages
  ? [
      ...packages.vendor.map((p) => () => vendor()(p)),
      ...packages.require.map((p) => () => require(p)),
      ...packages.import.map((p) => () => import(p)),
    ]
  : [];
for (const step of steps) {
  await new Promise((resolve) => setImmediate(resolve));
  try {
    await step();
  } catch {
    // the suite that imports it says why
  }
}
if (packages?.vendor.length) vendor().saveCache();
