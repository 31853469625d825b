#!/usr/bin/env node
// Entry point: runs the CLI from an esbuild bundle of src/ (bin/bundle.js: built on first use,
// rebuilt whenever a source changes), so a start pays neither tsx nor a TypeScript transform.
// PARITY_TSX=1 runs the sources through tsx instead (as does a checkout whose cache folder
// cannot be written).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { cachedBundle, mark } from './bundle.js';

mark('bin: node started', performance.timeOrigin);
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
let entry;
if (process.env.PARITY_TSX !== '1') {
  try {
    const dir = await cachedBundle({
      name: 'cli',
      entryPoints: ['src/cli/main.ts'],
      sources: ['src', 'package.json'],
    });
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
