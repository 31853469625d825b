// Benchmark (not a timed test): what loading vitest/node costs the vitest process
// (src/run/vitest-child.mjs), from the suites bundle's vendored file with its code cache against
// as installed, and then createVitest for a one-test project. Fresh node processes, alternating,
// without NODE_EXTRA_CA_CERTS (node's own start-up apart). Prints CPU medians.
//
//   node bench/vitest-load.mjs [--runs 5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../bin/base.js';
import { suitesBundle } from '../bin/bundle.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const dir = await suitesBundle();
const project = mkdtempSync(join(tmpdir(), 'parity-bench-vitest-'));
writeFileSync(join(project, 'a.test.mjs'), "import { test } from 'vitest';\ntest('one', () => {});\n");

// One process: load vitest/node (vendored or installed), then createVitest; CPU ms of each.
const script = (how) => `
const c0 = process.cpuUsage();
const v = ${how === 'vendored' ? `require(${JSON.stringify(join(dir, 'node_modules/parity-vendor'))})('vitest/node')` : `await import('vitest/node')`};
const c1 = process.cpuUsage(c0);
const vitest = await v.createVitest('test', { config: false, root: ${JSON.stringify(project)}, include: ['a.test.mjs'], watch: false, reporters: [] }, { logLevel: 'silent', server: { watch: null } });
const c2 = process.cpuUsage(c0);
process.stdout.write(JSON.stringify([(c1.user + c1.system) / 1000, (c2.user + c2.system) / 1000]));
process.exit(0);`;
const once = (how) => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module'; const require = createRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)});${script(how)}`,
    ],
    { cwd: ROOT, env, encoding: 'utf8' },
  );
  return JSON.parse(out);
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
try {
  once('vendored'); // writes the code cache if this bundle has none yet
  const got = { vendored: [], installed: [] };
  for (let i = 0; i < runs; i++) for (const how of ['vendored', 'installed']) got[how].push(once(how));
  for (const [how, xs] of Object.entries(got))
    console.log(
      `vitest/node ${how.padEnd(9)} load ${median(xs.map((x) => x[0])).toFixed(0)} ms CPU, with createVitest ${median(xs.map((x) => x[1])).toFixed(0)} ms (median of ${runs}; load ${xs.map((x) => x[0].toFixed(0)).join(' ')})`,
    );
} finally {
  rmSync(project, { recursive: true, force: true });
}
