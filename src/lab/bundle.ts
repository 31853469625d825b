import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../paths.js';

// A TypeScript entry point compiled to one plain ESM file, so a lab process starts with bare
// node instead of paying tsx's loader. Packages stay external; the file lives under
// node_modules/.cache, where node still resolves them. Named by content hash.

const cache = new Map<string, Promise<string>>();

export function bundleEntry(entry: string, name: string): Promise<string> {
  let p = cache.get(entry);
  if (!p) {
    p = buildBundle(entry, name);
    cache.set(entry, p);
  }
  return p;
}

async function buildBundle(entry: string, name: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
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
  const file = join(dir, `${name}-${hash}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    // Our own temp name, then rename: a concurrent lab never runs a torn file, and two
    // builders never rename one temp file twice (the second rename would fail).
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  return file;
}
