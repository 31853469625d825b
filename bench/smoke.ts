// Benchmark: wall time of `parity smoke` (the whole CLI: node + tsx start, config, vitest,
// the nine checks, results.json) against a warm lab. Median of 5 runs after one warm-up.
// Target: <= 3 s. Run: node --import tsx bench/smoke.ts
// Uses the lab running in $PARITY_LAB_DIR (or .parity/lab) if there is one, else starts one
// in a temp folder and stops it at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labStatus, labUp } from '../src/lab/lab.js';
import { defaultLabDir, PROJECT_ROOT } from '../src/lab/paths.js';

const RUNS = 5;
const work = mkdtempSync(join(tmpdir(), 'parity-bench-'));
const running = labStatus(defaultLabDir());
let startedDir: string | undefined;
let config = running.running ? running.state?.config : undefined;
if (!config) {
  startedDir = join(work, 'lab');
  config = (await labUp({ dir: startedDir })).config!;
}

function once(): number {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, 'bin/parity.js'), 'smoke', '--config', config!, '--out', join(work, 'reports')],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`parity smoke exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  return ms;
}

try {
  once(); // warm-up: file-system caches, vite's transform of the suites
  const times: number[] = [];
  const loads: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    loads.push(loadavg()[0]);
    times.push(once());
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(RUNS / 2)];
  const s = (ms: number) => (ms / 1000).toFixed(2);
  process.stdout.write(`parity smoke against a warm lab, ${RUNS} runs: ${times.map(s).join(' ')} s\n`);
  process.stdout.write(
    `median ${s(median)} s (target <= 3 s); 1-min load average during the runs ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} on this machine\n`,
  );
} finally {
  if (startedDir) await labDown(startedDir);
  rmSync(work, { recursive: true, force: true });
}
