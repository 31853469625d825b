// Benchmark: wall time of `parity smoke` (the whole CLI: node start, its bundle, config, vitest,
// the nine checks, results.json) against a warm lab. Median of 5 runs after one warm-up.
// Target: < 1.5 s (issue 15). Run: node --import tsx bench/smoke.ts (bench/startup.ts adds --help
// and a breakdown of where the time goes).
// Uses the lab running in $PARITY_LAB_DIR (or .parity/lab) if there is one, else starts one
// in a temp folder and stops it at the end.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism as cpuCount, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labStatus, labUp } from '../src/lab/lab.js';
import { defaultLabDir, PROJECT_ROOT } from '../src/paths.js';
import { median } from './stats.js';
import { cleanupOnStop } from './cleanup.js';

const RUNS = 5;
const work = mkdtempSync(join(tmpdir(), 'parity-bench-'));
const running = labStatus(defaultLabDir());
let startedDir: string | undefined;
const cleanup = cleanupOnStop('the bench lab and temp folder', async () => {
  if (startedDir) await labDown(startedDir);
  rmSync(work, { recursive: true, force: true });
});
let config = running.running ? running.state?.config : undefined;
if (!config) {
  startedDir = join(work, 'lab');
  config = (await labUp({ dir: startedDir })).config!;
}

// /usr/bin/time reports the CPU the run used (all its processes): a figure that, unlike
// the wall time, does not depend much on what else this shared machine is doing.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function once(): { ms: number; cpuS?: number } {
  const cmd = [
    process.execPath,
    join(PROJECT_ROOT, 'bin/parity.js'),
    'smoke',
    '--config',
    config!,
    '--out',
    join(work, 'reports'),
  ];
  const [bin, ...args] = TIME ? [TIME, '-f', 'cpu %U %S', ...cmd] : cmd;
  const t0 = performance.now();
  const r = spawnSync(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`parity smoke exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  const cpu = /^cpu ([\d.]+) ([\d.]+)$/m.exec(r.stderr);
  return { ms, cpuS: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined };
}

try {
  once(); // warm-up: file-system caches, vite's transform of the suites
  const runs: { ms: number; cpuS?: number }[] = [];
  const loads: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    loads.push(loadavg()[0]);
    runs.push(once());
  }
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const wall = median(runs.map((r) => r.ms));
  process.stdout.write(
    `parity smoke against a warm lab, ${RUNS} runs: ${runs.map((r) => s(r.ms)).join(' ')} s\n`,
  );
  process.stdout.write(`median wall time ${s(wall)} s (target < 1.5 s)\n`);
  const cpus = runs.map((r) => r.cpuS).filter((c): c is number => c !== undefined);
  if (cpus.length === RUNS)
    process.stdout.write(`median CPU time (user+sys, all processes) ${median(cpus).toFixed(2)} s\n`);
  process.stdout.write(
    `1-min load average during the runs: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (${cpuCount()} cores)\n`,
  );
} finally {
  await cleanup();
}
