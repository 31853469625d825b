// Cached esbuild bundles of the TypeScript sources, so the CLI (and the suites it runs) start
// under bare node instead of paying tsx's loader on every run. Plain JavaScript: it runs
// before any TypeScript can.
//
// A bundle is a folder node_modules/.cache/parity/<name>-<hash>/ (packages stay external and
// resolve from the project's node_modules). The hash covers every source file that could go
// into it, so an edited source is rebuilt before it runs: the CLI never runs stale code.
// Builds are atomic: written to a private temp folder, then renamed into place; of two
// processes racing to build the same hash, the first rename wins and the other uses it.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT } from './base.js';

const SELF = fileURLToPath(import.meta.url);
const VENDOR_LOADER = fileURLToPath(new URL('./vendor-load.cjs', import.meta.url));
/** The name a vendored file calls for import() (bin/vendor-load.cjs passes it in). */
const { DYNAMIC_IMPORT } = createRequire(import.meta.url)('./vendor-load.cjs');
const ESBUILD_PKG = join(ROOT, 'node_modules', 'esbuild', 'package.json');
const SOURCE = /\.(ts|mts|mjs|js|json)$/;
/** Old bundles are removed after this long unused (a running command may still load its chunks). */
const PRUNE_AFTER_MS = 24 * 3600_000;

/** Every source file under `paths` (folders or files, relative to `root`), sorted. */
function sourceFiles(root, paths) {
  const out = [];
  for (const p of paths) {
    const abs = resolve(root, p);
    if (!existsSync(abs)) continue;
    if (!statSync(abs).isDirectory()) out.push(abs);
    else
      for (const f of readdirSync(abs, { recursive: true, withFileTypes: true }))
        if (f.isFile() && SOURCE.test(f.name)) out.push(join(f.parentPath ?? f.path, f.name));
  }
  return out.sort();
}

/** Hash of the sources' names and contents, the build options, this file and esbuild's version. */
function sourceHash(sources, options, root = ROOT, installed = '') {
  const h = createHash('sha256');
  h.update(JSON.stringify(options)).update('\0').update(installed).update('\0');
  const files = sourceFiles(root, [...sources, SELF, VENDOR_LOADER, ESBUILD_PKG]);
  for (const f of files) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

// Each source module keeps its own import.meta.url, so paths computed from it (the project
// root, schema files, entry points of lab processes) are what they are when run from source.
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.[mc]?ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: 'ts',
    }));
  },
};

// A CommonJS package that an ES module imports costs node far more than the same package
// required: the import first compiles the whole file to detect its format, then lexes it for
// its export names, then compiles it again to run it (the EC2 client is one 2 MB file: ~2x the
// CPU of a require). So an import of a package whose entry, as `import` resolves it, is
// CommonJS (and the very file `require` resolves) becomes a require in the bundle, which is
// what node would load anyway; ES-module packages (vitest, zod) stay imports.
//
// With `vendor`, the bundle's packages go further: each of them (but vitest's own, which must
// be the runner's instance, and NOT_VENDORED) is bundled with its whole dependency tree into one
// CommonJS file, vendor/<name>.cjs, that the bundle loads through bin/vendor-load.cjs with a V8
// code cache (most of a package's load is compiling it; node 20 has no compile cache of its own).
const BUILTINS = new Set(builtinModules);
/** Packages that must stay as installed: autocannon finds its worker and help files beside itself. */
const NOT_VENDORED = new Set(['autocannon', 'esbuild', 'vite', 'vitest', 'tsx']);
const VENDOR_MODULE = 'parity-vendor';
function isCommonJsFile(file) {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) return JSON.parse(readFileSync(pkg, 'utf8')).type !== 'module';
  }
  return true;
}
const packageName = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
function packageImports(root, vendored) {
  const req = createRequire(join(root, 'package.json'));
  const memo = new Map();
  const viaRequire = (spec) => {
    if (!memo.has(spec)) {
      let yes = false;
      try {
        // import.meta.resolve resolves from this file, i.e. from the project's node_modules.
        const esm = fileURLToPath(import.meta.resolve(spec));
        yes = root === ROOT && esm === req.resolve(spec) && isCommonJsFile(esm);
      } catch {
        // not resolvable here: leave it to node at run time
      }
      memo.set(spec, yes);
    }
    return memo.get(spec);
  };
  const vendorable = (spec) => {
    const name = packageName(spec);
    if (!vendored || NOT_VENDORED.has(name) || name.startsWith('@vitest/')) return false;
    try {
      req.resolve(spec); // the vendor bundle requires it
      return true;
    } catch {
      return false;
    }
  };
  return {
    name: 'package-imports',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || BUILTINS.has(args.path)) return undefined;
        if (args.path === VENDOR_MODULE) return { path: args.path, external: true };
        if (args.namespace !== 'vendor' && vendorable(args.path)) {
          vendored.add(args.path);
          return { path: args.path, namespace: 'vendor' };
        }
        if (args.kind === 'require-call') return { path: args.path, external: true };
        if (args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
        return viaRequire(args.path) ? { path: args.path, namespace: 'cjs-package' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'cjs-package' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
        resolveDir: root,
      }));
      b.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(VENDOR_MODULE)})(${JSON.stringify(args.path)});`,
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}

/**
 * What is installed, for the hash of a bundle that copies packages in: npm's record of the
 * installed tree (node_modules/.package-lock.json) nearest `root`, else the name and version of
 * every package under the nearest node_modules folders (another package manager).
 */
function installedTree(root) {
  const lines = [];
  for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
    const modules = join(dir, 'node_modules');
    if (!existsSync(modules)) continue;
    const hidden = join(modules, '.package-lock.json');
    if (existsSync(hidden)) return readFileSync(hidden, 'utf8');
    for (const entry of readdirSync(modules)) {
      const names = entry.startsWith('@')
        ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`)
        : [entry];
      for (const n of names) {
        try {
          lines.push(
            `${modules} ${n} ${JSON.parse(readFileSync(join(modules, n, 'package.json'), 'utf8')).version}`,
          );
        } catch {
          // not a package
        }
      }
    }
  }
  return lines.join('\n');
}

const META = '__parityImportMeta';
/** Gives each ES module that reads import.meta its own: url, filename and dirname as they are installed. */
const importMeta = {
  name: 'import-meta',
  setup(b) {
    b.onLoad({ filter: /\.([mc]?[jt]s|[jt]sx)$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      const ext = args.path.split('.').pop();
      const loader = ext.endsWith('x') ? ext : ext.endsWith('ts') ? 'ts' : 'js';
      const meta = {
        url: pathToFileURL(args.path).href,
        filename: args.path,
        dirname: dirname(args.path),
      };
      const hashbang = /^#![^\n]*\n/.exec(source)?.[0] ?? '';
      const contents = `${hashbang}var ${META} = ${JSON.stringify(meta)};\n${source.slice(hashbang.length)}`;
      return { contents, loader };
    });
  },
};
/** Packages that find their own files beside them: required where they are installed, even from a vendored package. */
const STAY_INSTALLED = new Set(['autocannon', 'esbuild', 'tsx']);
/**
 * In a vendored package: an import that does not resolve (an optional peer that is not
 * installed) fails when it runs, as it would have; one of STAY_INSTALLED is required as installed.
 */
const optionalImports = {
  name: 'optional-imports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      // The package being vendored itself must resolve (<stdin>: the entry).
      if (args.pluginData?.optional || args.importer === '<stdin>') return undefined;
      if (STAY_INSTALLED.has(packageName(args.path))) return { path: args.path, external: true };
      const found = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { optional: true },
      });
      return found.errors.length ? { path: args.path, external: true } : undefined;
    });
  },
};

/** The imports es-module-lexer finds in `source` (static, dynamic, import.meta), with their positions. */
async function importsOf(source) {
  const { init, parse } = await import('es-module-lexer');
  await init;
  return parse(source)[0];
}

/**
 * Node 20 runs no native import() in code compiled from a V8 code cache
 * (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so each import() left in a vendored file (of a
 * package not bundled, or a computed path: vitest's reporters) calls the loader's instead. The
 * lexer finds the real ones, not those in strings or comments.
 */
async function routeDynamicImports(file) {
  const source = readFileSync(file, 'utf8');
  if (!source.includes('import')) return;
  let out = '';
  let at = 0;
  for (const i of await importsOf(source)) {
    if (i.d < 0) continue; // a static import or import.meta: none is left in a CommonJS bundle
    out += source.slice(at, i.ss) + DYNAMIC_IMPORT;
    at = i.ss + 'import'.length;
  }
  if (at > 0) writeFileSync(file, out + source.slice(at));
}

/**
 * The names the bundle's code imports from each of the `vendored` packages, as esbuild sees
 * them once types and unused imports are gone (`options`: the bundle's build), so that a
 * vendored file holds only those (an AWS client is a few commands of hundreds): a Set, or null
 * where a package is used whole (a namespace, a default, a require, a dynamic import).
 */
async function importedNames(build, options, vendored) {
  const { outputFiles } = await build({
    ...options,
    write: false,
    sourcemap: false,
    metafile: false,
    plugins: [ownUrl],
  });
  const names = new Map();
  for (const { path, text } of outputFiles) {
    if (!path.endsWith('.mjs')) continue;
    for (const i of await importsOf(text)) {
      if (!vendored.has(i.n) || names.get(i.n) === null) continue;
      const list =
        i.d === -1 ? /^(?:import|export)\s*\{([^}]*)\}\s*from\s*["']/.exec(text.slice(i.ss, i.se)) : null;
      const found = list?.[1]
        .split(',')
        .map((part) => part.trim().split(/\s+as\s+/)[0])
        .filter(Boolean);
      if (!found || found.includes('default')) names.set(i.n, null);
      else names.set(i.n, new Set([...(names.get(i.n) ?? []), ...found]));
    }
    for (const p of vendored) if (text.includes(`require(${JSON.stringify(p)})`)) names.set(p, null);
  }
  return names;
}

/**
 * The AWS SDK's schemas (one file per client: 1 MB of them for EC2) key their objects by
 * constants (`{ [_xN]: ... }`), which esbuild must assume have side effects, so it keeps every
 * schema. Each `[_name]` of a top-level string constant of that file becomes the string itself,
 * the same key, and the schemas no command uses are left out.
 */
const literalSchemaKeys = {
  name: 'literal-schema-keys',
  setup(b) {
    b.onLoad({ filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const strings = new Map();
      for (const m of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) strings.set(m[1], m[2]);
      const contents = source.replace(/\[(_\w+)\]/g, (all, name) =>
        strings.has(name) ? `[${strings.get(name)}]` : all,
      );
      return { contents, loader: 'js' };
    });
  },
};

/**
 * undici builds its cookie helpers' brand check when it loads, and reading node's global
 * `Headers` there loads node's own copy of undici (~50 ms, compiled without a cache) in every
 * process that loads ours. The check is built on its first call instead: the same check, which
 * parity never calls (it does not use undici's getCookies and co.). A version of undici without
 * that line is bundled as it is.
 */
const lazyUndiciBrandCheck = {
  name: 'lazy-undici-brand-check',
  setup(b) {
    const eager =
      'const brandChecks = webidl.brandCheckMultiple([Headers, globalThis.Headers].filter(Boolean))';
    const lazy =
      'let brandChecks = (h) => (brandChecks = webidl.brandCheckMultiple([Headers, globalThis.Headers].filter(Boolean)))(h)';
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]web[\\/]cookies[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      return source.includes(eager) ? { contents: source.replace(eager, lazy), loader: 'js' } : undefined;
    });
  },
};

/**
 * The vendored `packages` (specifiers) of a bundle in `dir`: each bundled into one CommonJS file
 * of its own under vendor/ (a process compiles only what it uses), vendor/vendor.json naming
 * them, and the loader that the bundle requires as `parity-vendor` (bin/vendor-load.cjs). A
 * package esbuild cannot bundle gets no file: the loader requires it as installed.
 */
async function buildVendor(build, dir, packages, root, names) {
  const files = {};
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
    // An ES module's import.meta is its own even in one CommonJS file (vitest and vite locate
    // their files from it): each file that reads it gets its own object (meta), the only
    // binding of the name in that module, which esbuild keeps apart from the other modules'.
    define: { 'import.meta': META },
    plugins: [importMeta, optionalImports, literalSchemaKeys, lazyUndiciBrandCheck],
  };
  await Promise.all(
    [...packages].sort().map(async (p) => {
      const file = `${p.replaceAll('/', '+')}.cjs`;
      const outfile = join(dir, 'vendor', file);
      // A package that `require` does not resolve (ES modules only, like vitest/node): all of
      // its exports, as `import` resolves it.
      const spec = JSON.stringify(p);
      const used = names.get(p);
      const entries = [
        // Only the names the bundle imports, from the package's ES modules, which esbuild can shake.
        ...(used?.size ? [[`export { ${[...used].join(', ')} } from ${spec};\n`, ['module', 'main']]] : []),
        [`module.exports = require(${spec});\n`],
        [`export * from ${spec};\n`],
      ];
      files[p] = null;
      for (const [contents, mainFields] of entries) {
        try {
          await build({
            ...common,
            mainFields,
            stdin: { contents, resolveDir: root, loader: 'js' },
            outfile,
          });
          await routeDynamicImports(outfile);
          files[p] = file;
          break;
        } catch {
          // the next entry, else no file: the loader requires it as installed
        }
      }
    }),
  );
  mkdirSync(join(dir, 'vendor'), { recursive: true });
  writeFileSync(join(dir, 'vendor', 'vendor.json'), JSON.stringify({ root, files }) + '\n');
  const loader = join(dir, 'node_modules', VENDOR_MODULE);
  mkdirSync(loader, { recursive: true });
  writeFileSync(join(loader, 'package.json'), '{ "main": "index.cjs" }\n');
  copyFileSync(VENDOR_LOADER, join(loader, 'index.cjs'));
}

// esbuild's require shim in an ES module calls a `require` in scope: give each output file one.
const REQUIRE_BANNER =
  "import { createRequire as __parityCreateRequire } from 'node:module'; const require = __parityCreateRequire(import.meta.url);";

/**
 * The folder of the bundle `name` of `entryPoints` (relative to `root`, default the project), built if the sources
 * changed. `sources`: the folders/files whose contents decide the hash. Entry `src/a/b.ts`
 * becomes `<folder>/<relative to outbase>.mjs`; shared code is split into chunks so dynamic
 * imports stay lazy.
 */
export async function cachedBundle({
  name,
  entryPoints,
  sources,
  outbase = 'src',
  root = ROOT,
  vendor = false,
  alsoVendor = [],
}) {
  const options = { entryPoints, outbase, vendor, alsoVendor };
  const cache = join(root, 'node_modules', '.cache', 'parity');
  const dir = join(cache, `${name}-${sourceHash(sources, options, root, vendor ? installedTree(root) : '')}`);
  if (existsSync(dir)) return dir;
  const { build } = await import('esbuild');
  mkdirSync(cache, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  // A signal or an exit mid-build must not leave the half-written folder behind. Where the
  // process handles signals itself (the CLI's src/process/lifecycle.ts, once loaded), it exits
  // through process.exit and the 'exit' cleanup runs; before that, a signal exits here.
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (sig) => {
    cleanup();
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[sig] ?? 0));
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'].filter((sig) => process.listenerCount(sig) === 0);
  for (const sig of signals) process.on(sig, onSignal);
  process.on('exit', cleanup);
  const vendored = vendor ? new Set(alsoVendor) : null;
  try {
    const esbuildOptions = {
      entryPoints: entryPoints.map((e) => join(root, e)),
      outbase: join(root, outbase),
      outdir: tmp,
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      sourcemap: 'linked', // read only under --debug (bin/parity.js), so a normal start does not pay for it
      logLevel: 'silent',
      banner: { js: REQUIRE_BANNER },
    };
    const { metafile } = await build({
      ...esbuildOptions,
      plugins: [ownUrl, packageImports(root, vendored)],
      metafile: true,
    });
    if (vendored?.size)
      await buildVendor(build, tmp, vendored, root, await importedNames(build, esbuildOptions, vendored));
    writeFileSync(join(tmp, 'packages.json'), JSON.stringify(packagesOf(metafile, root)) + '\n');
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process renamed the same build into place first: use that one.
      if (!existsSync(dir)) throw err;
    }
  } finally {
    cleanup();
    for (const sig of signals) process.off(sig, onSignal);
    process.off('exit', cleanup);
  }
  prune(cache, name, dir);
  return dir;
}

/**
 * The packages each entry point of the bundle loads, its chunks and lazy imports included, as it
 * loads them (`require`: CommonJS, `import`: ES modules), keyed by the entry's source path
 * relative to `root`: packages.json beside the bundle. The vitest child preloads a run's
 * (src/run/prewarmed-pool.mjs).
 */
function packagesOf(metafile, root) {
  const outputs = metafile.outputs;
  const result = {};
  for (const o of Object.values(outputs)) {
    if (!o.entryPoint) continue;
    const req = new Set();
    const imp = new Set();
    const ven = new Set();
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file) || !outputs[file]) return;
      seen.add(file);
      for (const input of Object.keys(outputs[file].inputs))
        if (input.startsWith('vendor:')) ven.add(input.slice('vendor:'.length));
      for (const i of outputs[file].imports) {
        if (!i.external) visit(i.path);
        else if (!i.path.startsWith('node:') && !BUILTINS.has(i.path) && !i.path.startsWith('.'))
          if (i.path !== VENDOR_MODULE) (i.kind === 'require-call' ? req : imp).add(i.path);
      }
    };
    visit(Object.keys(outputs).find((k) => outputs[k] === o));
    result[relative(root, resolve(o.entryPoint))] = { require: [...req], import: [...imp], vendor: [...ven] }; // in import order
  }
  return result;
}

function prune(cache, name, keep) {
  const now = Date.now();
  for (const d of readdirSync(cache)) {
    const full = join(cache, d);
    if (full === keep || !d.startsWith(`${name}-`)) continue;
    try {
      if (now - statSync(full).mtimeMs > PRUNE_AFTER_MS) rmSync(full, { recursive: true, force: true });
    } catch {
      // a concurrent prune got it first
    }
  }
}

/** The CLI's bundle (bin/parity.js runs cli/main.mjs from it). */
export const cliBundle = () =>
  cachedBundle({
    name: 'cli',
    entryPoints: ['src/cli/main.ts'],
    sources: ['src', 'package.json'],
    vendor: true,
  });

/** The built-in suite files, relative to the project: suites/*.test.ts. */
export const builtinSuites = () =>
  readdirSync(join(ROOT, 'suites'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `suites/${f}`);

/** The built-in suites (`suites`, default builtinSuites()) and what the vitest process loads beside them. */
export function suitesBundle(suites = builtinSuites()) {
  return cachedBundle({
    name: 'suites',
    // drill-guard: the vitest process orphaned mid-drill restores the target (vitest-child.mjs).
    entryPoints: [...suites, 'src/report/collector.ts', 'src/run/modes.ts', 'src/run/drill-guard.ts'],
    sources: ['src', 'suites', 'package.json'],
    outbase: '.',
    vendor: true,
    // For the vitest process itself (src/run/vitest-child.mjs): half its start is compiling
    // vitest's and vite's ES modules, which node 20 cannot cache; one file with a code cache can.
    alsoVendor: ['vitest/node'],
  });
}
