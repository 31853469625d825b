// What every plain-JavaScript entry of parity needs first, without loading the bundler
// (bin/bundle.js): the project root and the trace mark. A process that must start something
// early (src/run/vitest-child.mjs starts its test worker) can do so before anything else loads.
import { appendFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** A trace line for bench/ when PARITY_TIMING names a file (the format of src/timing.ts). */
export function mark(label, at = performance.timeOrigin + performance.now()) {
  const file = process.env.PARITY_TIMING;
  if (file) appendFileSync(file, `${at.toFixed(1)} ${process.pid} ${label}\n`);
}

/** The project root (where package.json is). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
