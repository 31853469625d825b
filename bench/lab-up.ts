// Benchmark: `parity lab up` wall time on a warm machine (median of 5, after one warm-up run).
// Each run is the real CLI in a child process, followed by `lab down`. Target: <= 3 s.
// Run: node --import tsx bench/lab-up.ts [runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupOnStop } from './cleanup.js';

const bin = fileURLToPath(new URL('../bin/parity.js', import.meta.url));
const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'parity-bench-lab-'));
const env = { ...process.env, PARITY_LAB_DIR: dir };
const cleanup = cleanupOnStop('the bench lab and temp folder', () => {
  spawnSync(process.execPath, [bin, 'lab', 'down'], { env });
  rmSync(dir, { recursive: true, force: true });
});

function cli(...args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`parity ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return performance.now() - t0;
}

const times: number[] = [];
try {
  for (let i = 0; i <= runs; i++) {
    const ms = cli('lab', 'up');
    cli('lab', 'down');
    if (i > 0) times.push(ms); // the first run warms caches (tsx transforms, page cache)
  }
} finally {
  await cleanup();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`lab up runs (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`);
console.log(`lab up median of ${runs}: ${(median / 1000).toFixed(2)} s (target <= 3 s)`);
