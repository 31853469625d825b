// Benchmark: wall time of `labUp` (until everything answers) and of a fingerprint of staging.
// Alternates this tree with a baseline tree (e.g. the main branch, before the ELBv2 endpoint),
// so both see the same machine load; prints medians and the ratio.
// Usage: node --import tsx bench/fingerprint.ts [--runs N] [--baseline DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { targetContext } from '../src/contract/target.js';
import { loadConfigFile } from '../src/config/load.js';
import { collectFingerprint } from '../src/fingerprint/collect.js';
import { closeHttp } from '../src/http/client.js';
import { median } from './stats.js';
import { cleanupOnStop } from './cleanup.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const runs = Number(arg('runs', '5'));
const baseline = arg('baseline', '');

type LabModule = typeof import('../src/lab/lab.js');
const mine: LabModule = await import('../src/lab/lab.js');
const base: LabModule | null = baseline
  ? await import(pathToFileURL(resolve(baseline, 'src/lab/lab.ts')).href)
  : null;

const times: Record<string, number[]> = { mine: [], baseline: [], fingerprint: [] };

for (let i = 0; i < runs; i++) {
  for (const [name, lab] of [
    ['mine', mine],
    ['baseline', base],
  ] as const) {
    if (!lab) continue;
    const dir = mkdtempSync(join(tmpdir(), 'parity-bench-'));
    const cleanup = cleanupOnStop('the bench lab and temp folder', async () => {
      await lab.labDown(dir);
      rmSync(dir, { recursive: true, force: true });
    });
    const t0 = performance.now();
    const state = await lab.labUp({ dir });
    times[name].push(performance.now() - t0);
    if (name === 'mine') {
      const t1 = performance.now();
      await collectFingerprint(targetContext(loadConfigFile(state.config!), 'staging'));
      times.fingerprint.push(performance.now() - t1);
    }
    await cleanup();
  }
}
await closeHttp();
const fmt = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, n=${xs.length})`;
console.log(`lab up (this tree, with ELBv2 endpoint): ${fmt(times.mine)}`);
if (base) {
  console.log(`lab up (baseline ${baseline}):           ${fmt(times.baseline)}`);
  console.log(`ratio this/baseline: ${(median(times.mine) / median(times.baseline)).toFixed(2)}`);
}
console.log(`fingerprint of staging (2 samples):      ${fmt(times.fingerprint)}`);
