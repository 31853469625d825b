// The cached bundles of bin/bundle.js (the CLI and the built-in suites run from them): an
// edited source is rebuilt before it runs, racing builders never see a torn bundle, and each
// module keeps its own import.meta.url. Against a small project in a temp folder.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedBundle } from '../bin/bundle.js';

const run = promisify(execFile);
const BUNDLE = pathToFileURL(join(import.meta.dirname, '../bin/bundle.js')).href;
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function project(value: string): string {
  const root = mkdtempSync(join(tmpdir(), 'parity-bundle-'));
  roots.push(root);
  mkdirSync(join(root, 'src/cli'), { recursive: true });
  writeFileSync(join(root, 'src/value.ts'), `export const value: string = ${JSON.stringify(value)};\n`);
  writeFileSync(
    join(root, 'src/cli/main.ts'),
    [
      "import { fileURLToPath } from 'node:url';",
      "const { value } = await import('../value.js');",
      'console.log(JSON.stringify({ value, self: fileURLToPath(import.meta.url) }));',
      '',
    ].join('\n'),
  );
  return root;
}

const spec = (root: string) => ({ name: 'cli', entryPoints: ['src/cli/main.ts'], sources: ['src'], root });

async function runEntry(dir: string): Promise<{ value: string; self: string }> {
  const { stdout } = await run(process.execPath, [join(dir, 'cli/main.mjs')]);
  return JSON.parse(stdout);
}

describe('cachedBundle', () => {
  it('runs the current sources: an edit gives a new bundle, an unchanged tree the same one', async () => {
    const root = project('one');
    const first = await cachedBundle(spec(root));
    expect(await runEntry(first)).toEqual({ value: 'one', self: join(root, 'src/cli/main.ts') });
    expect(await cachedBundle(spec(root))).toBe(first);

    writeFileSync(join(root, 'src/value.ts'), 'export const value: string = "two";\n');
    const second = await cachedBundle(spec(root));
    expect(second).not.toBe(first);
    expect((await runEntry(second)).value).toBe('two');
  });

  it('racing processes all get the same complete bundle, and leave no temp folder', async () => {
    const root = project('raced');
    const script = `const { cachedBundle } = await import(${JSON.stringify(BUNDLE)}); process.stdout.write(await cachedBundle(${JSON.stringify(spec(root))}));`;
    const dirs = await Promise.all(
      Array.from({ length: 4 }, () => run(process.execPath, ['--input-type=module', '-e', script])),
    );
    const unique = [...new Set(dirs.map((d) => d.stdout))];
    expect(unique).toHaveLength(1);
    expect((await runEntry(unique[0])).value).toBe('raced');
    expect(readdirSync(join(root, 'node_modules/.cache/parity'))).toEqual([unique[0].split('/').pop()]);
  });
});

// With `vendor`, the packages are bundled too, one CommonJS file each, and loaded with a V8 code
// cache (bin/vendor-load.cjs). Against a project with two packages of its own: `fast` bundles,
// `odd` loads a file type esbuild has no loader for (node reads it as JavaScript), so it stays
// as installed.
describe('cachedBundle with vendor', () => {
  /** A project in a temp folder: its packages (name → files; package.json defaults to a CommonJS one) and src/cli/main.ts. */
  function projectWith(packages: Record<string, Record<string, string>>, main: string): string {
    const root = mkdtempSync(join(tmpdir(), 'parity-vendor-'));
    roots.push(root);
    for (const [name, files] of Object.entries(packages)) {
      const dir = join(root, 'node_modules', name);
      mkdirSync(dir, { recursive: true });
      const all = { 'package.json': JSON.stringify({ name, version: '1.0.0', main: 'index.js' }), ...files };
      for (const [f, text] of Object.entries(all)) {
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        writeFileSync(join(dir, f), text);
      }
    }
    writeFileSync(
      join(root, 'node_modules', '.package-lock.json'),
      '{"lockfileVersion": 3, "packages": {}}\n',
    );
    mkdirSync(join(root, 'src/cli'), { recursive: true });
    writeFileSync(join(root, 'src/cli/main.ts'), main);
    return root;
  }
  const vendorProject = () =>
    projectWith(
      {
        fast: { 'index.js': 'exports.answer = 42; exports.where = __filename;\n' },
        odd: {
          'index.js': "module.exports = { answer: require('./data.custom'), where: __filename };\n",
          'data.custom': 'module.exports = 7;\n',
        },
      },
      "import { answer, where } from 'fast';\nimport odd from 'odd';\nconsole.log(JSON.stringify({ answer, where, odd: odd.answer, oddWhere: odd.where }));\n",
    );
  const vspec = (root: string) => ({ ...spec(root), vendor: true });

  async function runTraced(dir: string) {
    const trace = join(dir, '..', `trace-${Math.random().toString(36).slice(2)}.log`);
    const { stdout } = await run(process.execPath, [join(dir, 'cli/main.mjs')], {
      env: { ...process.env, PARITY_TIMING: trace },
    });
    const lines = existsSync(trace) ? readFileSync(trace, 'utf8') : '';
    rmSync(trace, { force: true });
    return { out: JSON.parse(stdout), vendor: [...lines.matchAll(/vendor: (.*)$/gm)].map((m) => m[1]) };
  }

  it('runs a bundled package from its own file, compiled once, then from the code cache; a package esbuild cannot bundle as installed', async () => {
    const root = vendorProject();
    const dir = await cachedBundle(vspec(root));
    const cache = join(dir, 'vendor', `fast.cjs.${process.version}-${process.arch}.v8cache`);

    const first = await runTraced(dir);
    expect(first.out.answer).toBe(42);
    expect(first.out.where).toBe(join(dir, 'vendor', 'fast.cjs'));
    expect(first.out.odd).toBe(7);
    expect(first.out.oddWhere).toBe(join(root, 'node_modules', 'odd', 'index.js'));
    expect(first.vendor).toEqual(['fast compiled']);
    expect(existsSync(cache)).toBe(true); // written at the exit of the process that compiled it

    const second = await runTraced(dir);
    expect(second.out.answer).toBe(42);
    expect(second.vendor).toEqual(['fast from cache']);

    // A cache V8 will not take (here: garbage) is compiled past and replaced; the temp file of
    // a process that died mid-write goes with it.
    writeFileSync(cache, 'not a code cache');
    const dead = (await run(process.execPath, ['-p', 'process.pid'])).stdout.trim();
    const leftover = `${cache}.tmp-${dead}-x`;
    writeFileSync(leftover, 'half a cache');
    const third = await runTraced(dir);
    expect(third.out.answer).toBe(42);
    expect(third.vendor).toEqual(['fast cache rejected, compiled']);
    expect(statSync(cache).size).not.toBe('not a code cache'.length);
    expect(existsSync(leftover)).toBe(false);
    expect((await runTraced(dir)).vendor).toEqual(['fast from cache']);
    expect(readdirSync(join(dir, 'vendor')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('an ES-module package: only the names the bundle imports, its own import.meta.url, and its import() from the code cache too', async () => {
    const root = projectWith(
      {
        esm: {
          'package.json': JSON.stringify({
            name: 'esm',
            version: '1.0.0',
            type: 'module',
            main: 'index.js',
            sideEffects: false,
          }),
          'index.js':
            "export { used } from './used.js';\nexport { unused } from './unused.js';\n" +
            // A computed specifier: esbuild leaves the import() in the vendored file.
            "export const load = () => import(new URL('./lazy.js', import.meta.url).href);\n" +
            // A method named import is not an import() (the rewrite must leave it).
            "export class Runner { import(id) { return 'method-' + id; } }\n",
          'used.js': "export const used = 'used-' + 'value';\n",
          'unused.js': "export const unused = 'UNUSED_MARKER';\n",
          'lazy.js': "export const lazy = 'lazy';\n",
        },
      },
      "import { used, load, Runner } from 'esm';\nconst { lazy } = await load();\nconsole.log(JSON.stringify({ used, lazy, method: new Runner().import('x') }));\n",
    );
    const dir = await cachedBundle(vspec(root));
    expect(readFileSync(join(dir, 'vendor', 'esm.cjs'), 'utf8')).not.toContain('UNUSED_MARKER');

    const first = await runTraced(dir);
    const out = { used: 'used-value', lazy: 'lazy', method: 'method-x' };
    expect(first).toEqual({ out, vendor: ['esm compiled'] });
    // Node 20 runs no native import() in code compiled from a code cache: the loader's runs it.
    const second = await runTraced(dir);
    expect(second).toEqual({ out, vendor: ['esm from cache'] });
  });

  it("the AWS SDK's schemas keyed by constants are shaken to those a command uses, the same values; a default import keeps a package whole", async () => {
    const schemas = [
      'const _a = "alpha";',
      'const _b = "beta";',
      'const n0 = "com.example";',
      'export var Used$ = [3, n0, _a, 0, [_a, _b], [[0, { [_a]: `A` }]], [_b]];',
      'export var Unused$ = [3, n0, _b, 0, [_b], [[0, { [_b]: `UNUSED_SCHEMA_MARKER` }]]];',
      '',
    ].join('\n');
    const root = projectWith(
      {
        '@aws-sdk/client-fake': {
          'package.json': JSON.stringify({
            name: '@aws-sdk/client-fake',
            version: '1.0.0',
            main: 'dist-cjs/index.js',
            module: 'dist-es/index.js',
            sideEffects: false,
          }),
          'dist-cjs/index.js': "exports.Used$ = 'cjs'; exports.Unused$ = 'UNUSED_SCHEMA_MARKER';\n",
          'dist-es/index.js': "export { Used$, Unused$ } from './schemas/schemas_0.js';\n",
          'dist-es/schemas/schemas_0.js': schemas,
        },
        whole: {
          'package.json': JSON.stringify({
            name: 'whole',
            version: '1.0.0',
            type: 'module',
            main: 'index.js',
          }),
          'index.js': "export default { x: 1 };\nexport const other = 'WHOLE_MARKER';\n",
        },
      },
      "import { Used$ } from '@aws-sdk/client-fake';\nimport whole from 'whole';\nconsole.log(JSON.stringify({ Used$, whole }));\n",
    );
    const dir = await cachedBundle(vspec(root));
    expect(readFileSync(join(dir, 'vendor', '@aws-sdk+client-fake.cjs'), 'utf8')).not.toContain(
      'UNUSED_SCHEMA_MARKER',
    );
    expect(readFileSync(join(dir, 'vendor', 'whole.cjs'), 'utf8')).toContain('WHOLE_MARKER');
    expect((await runTraced(dir)).out).toEqual({
      Used$: [3, 'com.example', 'alpha', 0, ['alpha', 'beta'], [[0, { alpha: 'A' }]], ['beta']],
      whole: { x: 1 },
    });
  });

  it("undici's cookie brand check is built on its first call, not at load: loading it reads no global Headers", async () => {
    // A stand-in with undici's own line; the global Headers getter counts the reads.
    const cookies = [
      "const { Headers } = require('../fetch/headers')",
      "const webidl = { brandCheckMultiple: (list) => (h) => list.some((C) => h instanceof C) || 'not headers' }",
      'const brandChecks = webidl.brandCheckMultiple([Headers, globalThis.Headers].filter(Boolean))',
      'exports.getCookies = (h) => brandChecks(h)',
      '',
    ].join('\n');
    const root = projectWith(
      {
        undici: {
          'index.js': "module.exports = require('./lib/web/cookies/index.js');\n",
          'lib/web/fetch/headers.js': 'exports.Headers = class Headers {};\n',
          'lib/web/cookies/index.js': cookies,
        },
      },
      [
        'let reads = 0;',
        'const real = globalThis.Headers;',
        "Object.defineProperty(globalThis, 'Headers', { configurable: true, get: () => (reads++, real) });",
        "const undici = await import('undici');",
        'const { getCookies } = undici.default ?? undici;',
        'const atLoad = reads;',
        'console.log(JSON.stringify({ atLoad, own: getCookies(new real()), other: getCookies({}), after: reads }));',
        '',
      ].join('\n'),
    );
    const dir = await cachedBundle(vspec(root));
    expect((await runTraced(dir)).out).toEqual({ atLoad: 0, own: true, other: 'not headers', after: 1 });
  });

  it("a change to what is installed gives a new bundle (npm's record of the tree, else the packages' versions)", async () => {
    const root = vendorProject();
    const first = await cachedBundle(vspec(root));
    expect(await cachedBundle(vspec(root))).toBe(first);
    writeFileSync(
      join(root, 'node_modules', '.package-lock.json'),
      '{"lockfileVersion": 3, "packages": {"x": {}}}\n',
    );
    const second = await cachedBundle(vspec(root));
    expect(second).not.toBe(first);

    rmSync(join(root, 'node_modules', '.package-lock.json'));
    const third = await cachedBundle(vspec(root));
    expect(await cachedBundle(vspec(root))).toBe(third);
    writeFileSync(
      join(root, 'node_modules', 'fast', 'package.json'),
      JSON.stringify({ name: 'fast', version: '1.0.1', main: 'index.js' }),
    );
    writeFileSync(
      join(root, 'node_modules', 'fast', 'index.js'),
      'exports.answer = 43; exports.where = __filename;\n',
    );
    const fourth = await cachedBundle(vspec(root));
    expect(fourth).not.toBe(third);
    expect((await runTraced(fourth)).out.answer).toBe(43);
  });
});
