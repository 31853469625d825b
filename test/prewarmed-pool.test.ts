// The early test thread of a run (src/run/prewarmed-pool.mjs) writes the code caches of the
// packages it compiled without one when the pool stops it at the run's end, not once they are
// loaded: a cache written then also holds the functions the checks compiled. Against a small
// vendored package in a temp project; no lab.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './helpers/until.js';
import { cachedBundle } from '../bin/bundle.js';
import { expectedExecArgv, prewarmedPool } from '../src/run/prewarmed-pool.mjs';

const base = mkdtempSync(join(tmpdir(), 'parity-prewarm-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A project with one vendored package, `fast`, and its bundle; the cache file the thread would write. */
async function vendoredProject(name: string) {
  const root = join(base, name);
  const pkg = join(root, 'node_modules', 'fast');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'fast', version: '1.0.0', main: 'index.js' }),
  );
  writeFileSync(join(pkg, 'index.js'), 'exports.answer = () => 42;\n');
  writeFileSync(join(root, 'node_modules', '.package-lock.json'), '{"lockfileVersion": 3, "packages": {}}\n');
  mkdirSync(join(root, 'src/cli'), { recursive: true });
  writeFileSync(join(root, 'src/cli/main.ts'), "import { answer } from 'fast';\nconsole.log(answer());\n");
  const dir = await cachedBundle({
    name: 'cli',
    entryPoints: ['src/cli/main.ts'],
    sources: ['src'],
    root,
    vendor: true,
  });
  return {
    dir,
    cache: join(dir, 'vendor', `fast.cjs.${process.version}-${process.arch}.v8cache`),
    trace: join(root, 'trace.log'),
  };
}

/** A pool whose early thread traces into `trace` (it shares this process's environment), with `fast` loaded. */
async function poolWithFast(dir: string, trace: string) {
  const before = process.env.PARITY_TIMING;
  process.env.PARITY_TIMING = trace;
  const pool = prewarmedPool();
  const restore = () => {
    if (before === undefined) delete process.env.PARITY_TIMING;
    else process.env.PARITY_TIMING = before;
  };
  pool.preload({ dir, require: [], import: [], vendor: ['fast'] });
  const loaded = () => existsSync(trace) && readFileSync(trace, 'utf8').includes('vendor: fast compiled');
  const ok = await until(loaded, 30_000, 20);
  return { pool, ok, restore };
}

/** vitest adopting the early thread (its options are the expected ones). */
const adopt = (pool: ReturnType<typeof prewarmedPool>) =>
  pool.createPoolWorker({
    env: {},
    execArgv: expectedExecArgv(),
    distPath: dirname(fileURLToPath(import.meta.resolve('vitest'))),
    project: { vitest: { logger: { outputStream: new PassThrough(), errorStream: new PassThrough() } } },
  });

describe('prewarmedPool', () => {
  it("writes the early thread's code caches when vitest stops it, not when it has loaded them", async () => {
    const { dir, cache, trace } = await vendoredProject('stop');
    const { pool, ok, restore } = await poolWithFast(dir, trace);
    try {
      expect(ok).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(cache)).toBe(false);
      const worker = adopt(pool);
      await worker.start();
      expect(existsSync(cache)).toBe(false);
      await worker.stop();
      expect(existsSync(cache)).toBe(true);
    } finally {
      await pool.close();
      restore();
    }
  });

  it('saveCaches(), which the vitest process awaits before it exits: written with the thread running; at once if vitest never adopted it', async () => {
    const { dir, cache, trace } = await vendoredProject('wait');
    const unadopted = await poolWithFast(dir, trace);
    try {
      expect(unadopted.ok).toBe(true);
      const t0 = Date.now();
      await unadopted.pool.saveCaches();
      expect(Date.now() - t0).toBeLessThan(500); // not the 2 s bound: nothing to wait for
      expect(existsSync(cache)).toBe(false);
    } finally {
      await unadopted.pool.close();
      unadopted.restore();
    }
    rmSync(trace, { force: true });
    const { pool, ok, restore } = await poolWithFast(dir, trace);
    try {
      expect(ok).toBe(true);
      const worker = adopt(pool);
      await worker.start();
      await pool.saveCaches();
      expect(existsSync(cache)).toBe(true);
      await worker.stop();
    } finally {
      await pool.close();
      restore();
    }
  });
});
