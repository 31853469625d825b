// One load for bench/load.ts, in its own process so each measurement starts alike:
//   node --import tsx bench/load-child.ts parity|bare URL CONNECTIONS SECONDS  → one JSON line
// parity: our driver (src/load/driver.ts: attribution, HDR histograms, drain);
// bare:   autocannon's programmatic API with no attribution at all.
// cpuUs is this process's user+system CPU over the load only (startup excluded).
import autocannon from 'autocannon';
import { runLoad } from '../src/load/driver.js';

const [mode, url, connections, seconds] = process.argv.slice(2);
const cpu0 = process.cpuUsage();
let out: Record<string, unknown>;
if (mode === 'parity') {
  const r = await runLoad({
    url,
    connections: Number(connections),
    durationSeconds: Number(seconds),
    identityHeader: 'x-instance-id',
  });
  out = {
    requests: r.responses,
    durationSeconds: r.durationSeconds,
    rps: r.rps,
    instances: Object.fromEntries(Object.entries(r.instances).map(([id, i]) => [id, i.count])),
  };
} else if (mode === 'bare') {
  const r = await autocannon({ url, connections: Number(connections), duration: Number(seconds) });
  out = { requests: r.requests.total, durationSeconds: r.duration, rps: r.requests.total / r.duration };
} else throw new Error(`mode must be parity or bare, got ${mode}`);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ ...out, cpuUs: cpu.user + cpu.system }) + '\n');
