'use strict';
// The loader of a bundle's vendored packages (bin/bundle.js copies it in as
// node_modules/parity-vendor; the bundle requires a package as `require('parity-vendor')(name)`).
// Each package is one CommonJS file under the bundle's vendor/ (vendor.json names them),
// compiled with a V8 code cache kept beside it: most of what a package costs at start is
// compiling it, and node 20 caches no compiled code itself. A file compiled without a usable
// cache (none yet, or one V8 rejects: another node version or V8 flags) gets one written,
// atomically, at the process's exit or at saveCache(), once the functions its use compiled
// are in it too; one that cannot be written (a read-only install) is not. A package that has
// no file (esbuild could not bundle it) is required as installed.
const { appendFileSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const DIR = join(__dirname, '..', '..', 'vendor');
/**
 * What a vendored file calls instead of import() (bin/bundle.js rewrites them): node 20 runs no
 * native import() in code compiled from a code cache. Specifiers resolve from here: an absolute
 * path or URL as anywhere, a bare one from the project's node_modules (up from the bundle), as
 * from the vendored file. Relative ones are not left to resolve: esbuild bundles those.
 */
const DYNAMIC_IMPORT = '__parityImport';
const dynamicImport = (specifier, options) => import(specifier, options);
const WRAPPER = `(function (exports, require, module, __filename, __dirname, ${DYNAMIC_IMPORT}) {`;
let manifest;
const cacheOf = (file) => `${file}.${process.version}-${process.arch}.v8cache`;
const loaded = new Map();
/** Compiled without a usable cache: [cache file, script], to save one from. */
const unsaved = [];

/** A trace line for bench/ when PARITY_TIMING names a file (the format of src/timing.ts). */
function mark(label) {
  const file = process.env.PARITY_TIMING;
  if (file)
    appendFileSync(
      file,
      `${(performance.timeOrigin + performance.now()).toFixed(1)} ${process.pid} ${label}\n`,
    );
}

function load(name) {
  if (!has(name)) return Module.createRequire(join(manifest.root, 'package.json'))(name);
  const file = join(DIR, manifest.files[name]);
  const source = readFileSync(file, 'utf8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheOf(file));
  } catch {
    // no cache yet
  }
  const script = new vm.Script(`${WRAPPER}${source}\n})`, { filename: file, cachedData });
  const how = !cachedData
    ? 'compiled'
    : script.cachedDataRejected
      ? 'cache rejected, compiled'
      : 'from cache';
  if (how !== 'from cache') {
    if (unsaved.length === 0) process.once('exit', saveCache);
    unsaved.push([cacheOf(file), script]);
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, DIR, dynamicImport);
  mark(`vendor: ${name} ${how}`);
  return module.exports;
}

/** Whether process `pid` is running. */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Write the code caches this process compiled without. */
function saveCache() {
  if (unsaved.length === 0) return;
  // A thread stopped mid-write (its process exited) leaves its temp file: remove those first.
  try {
    for (const f of readdirSync(DIR)) {
      const pid = Number(/\.v8cache\.tmp-(\d+)-/.exec(f)?.[1]);
      if (pid && pid !== process.pid && !isAlive(pid)) rmSync(join(DIR, f), { force: true });
    }
  } catch {
    // not ours to clean, or gone already
  }
  for (const [cache, script] of unsaved.splice(0)) {
    const tmp = `${cache}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cache);
    } catch {
      rmSync(tmp, { force: true });
    }
  }
}

/** The package `name` (a specifier the bundle imports), loaded on its first use. */
function vendor(name) {
  if (!loaded.has(name)) loaded.set(name, load(name));
  return loaded.get(name);
}
/** Whether the bundle has its own file of package `name` (else `vendor(name)` requires it as installed). */
function has(name) {
  manifest ??= JSON.parse(readFileSync(join(DIR, 'vendor.json'), 'utf8'));
  return Boolean(manifest.files[name]);
}
module.exports = Object.assign(vendor, { saveCache, has, DYNAMIC_IMPORT });
