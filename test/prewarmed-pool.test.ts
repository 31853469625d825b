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
import { cachedBundle } from '../bin/bundle.js';
import { expectedExecArgv, prewarmedPool } from '../src/run/prewarmed-pool.mjs';

const root = mkdtempSync(join(tmpdir(), 'parity-prewarm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Wait (bounded) until `ok()` holds; false if it never did. */
async function until(ok: () => boolean, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (ok()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return ok();
}

describe('prewarmedPool', () => {
  it("writes the early thread's code caches when vitest stops it, not when it has loaded them", async () => {
    const pkg = join(root, 'node_modules', 'fast');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'fast', version: '1.0.0', main: 'index.js' }),
    );
    writeFileSync(join(pkg, 'index.js'), 'exports.answer = () => 42;\n');
    writeFileSync(
      join(root, 'node_modules', '.package-lock.json'),
      '{"lockfileVersion": 3, "packages": {}}\n',
    );
    mkdirSync(join(root, 'src/cli'), { recursive: true });
    writeFileSync(join(root, 'src/cli/main.ts'), "import { answer } from 'fast';\nconsole.log(answer());\n");
    const dir = await cachedBundle({
      name: 'cli',
      entryPoints: ['src/cli/main.ts'],
      sources: ['src'],
      root,
      vendor: true,
    });
    const cache = join(dir, 'vendor', `fast.cjs.${process.version}-${process.arch}.v8cache`);
    const trace = join(root, 'trace.log');

    // The thread shares this process's environment: it traces into `trace`.
    const before = process.env.PARITY_TIMING;
    process.env.PARITY_TIMING = trace;
    const pool = prewarmedPool();
    try {
      pool.preload({ dir, require: [], import: [], vendor: ['fast'] });
      const loaded = () => existsSync(trace) && readFileSync(trace, 'utf8').includes('vendor: fast compiled');
      expect(await until(loaded, 30_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(cache)).toBe(false);

      // vitest adopts the thread (its options are the expected ones), runs, then stops it.
      const worker = pool.createPoolWorker({
        env: {},
        execArgv: expectedExecArgv(),
        distPath: dirname(fileURLToPath(import.meta.resolve('vitest'))),
        project: { vitest: { logger: { outputStream: new PassThrough(), errorStream: new PassThrough() } } },
      });
      await worker.start();
      expect(existsSync(cache)).toBe(false);
      await worker.stop();
      expect(existsSync(cache)).toBe(true);
    } finally {
      await pool.close();
      if (before === undefined) delete process.env.PARITY_TIMING;
      else process.env.PARITY_TIMING = before;
    }
  });
});
