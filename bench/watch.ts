// Benchmark: parity watch's own traffic (src/checks/watch-users.ts) against the lab's staging:
// the rate it really sends against --rate, and parity's CPU (user + system, this process
// only: the lab runs in its own processes) per request. No deploy runs meanwhile: what is
// measured is the watch's cost, not the lab's.
// Run: node --import tsx bench/watch.ts [seconds per rate] [rates, comma-separated]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchTraffic } from '../src/checks/watch-users.js';
import { loadConfigFile } from '../src/config/load.js';
import { targetContext } from '../src/contract/target.js';
import { closeHttp } from '../src/http/client.js';
import { labDown, labUp } from '../src/lab/lab.js';
import { cleanupOnStop } from './cleanup.js';

const seconds = Number(process.argv[2] ?? 15);
const rates = (process.argv[3] ?? '10,20,50,100').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'parity-bench-watch-'));
const cleanup = cleanupOnStop('the bench lab and temp folder', async () => {
  await labDown(dir);
  rmSync(dir, { recursive: true, force: true });
});

try {
  const state = await labUp({ dir });
  const config = loadConfigFile(state.config!);
  console.log('rate (req/s)  sent (req/s)  requests  errors  CPU per request (µs)');
  for (const rate of rates) {
    const ctx = targetContext(config, 'staging', { deadline: Date.now() + seconds * 1000 + 30_000 });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), seconds * 1000);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const samples = await watchTraffic(ctx, {
      users: 10,
      rate,
      writes: true,
      signal: stop.signal,
      maxMs: seconds * 1000,
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const errors = samples.filter((s) => s.error || !s.status || s.status >= 300).length;
    const perReq = (cpu.user + cpu.system) / samples.length;
    console.log(
      `${String(rate).padStart(12)}  ${(samples.length / wall).toFixed(1).padStart(12)}  ${String(samples.length).padStart(8)}  ${String(errors).padStart(6)}  ${perReq.toFixed(0).padStart(20)}`,
    );
  }
} finally {
  await closeHttp();
  await cleanup();
}
