import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { fixturePath, PROJECT_ROOT } from './paths.js';

/**
 * The reference app compiled to one plain ESM file, so each instance starts with bare node
 * instead of paying tsx's loader (~0.25 s of CPU per process, 4+ processes per lab up).
 * Named by content hash under node_modules/.cache, where node still resolves ioredis.
 */
let cached: Promise<string> | undefined;

export function appBundle(): Promise<string> {
  cached ??= buildBundle();
  return cached;
}

async function buildBundle(): Promise<string> {
  const out = await build({
    entryPoints: [fixturePath('app/server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(PROJECT_ROOT, 'node_modules', '.cache', 'parity');
  const file = join(dir, `app-${hash}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file + '.tmp', code); // rename: a concurrent lab never runs a torn file
    renameSync(file + '.tmp', file);
  }
  return file;
}
