// One load for bench/load.ts, in its own process so each measurement starts alike:
//   node --import tsx bench/load-child.ts parity|bare|bare-capped URL CONNECTIONS SECONDS [--warmup S] [--rate R] [--socket PATH] [--serve]
// parity: our driver (src/load/driver.ts: attribution, HDR histograms, drain);
// bare:   autocannon's programmatic API with no attribution at all.
// --warmup: an unmeasured run first, so the JIT is warm in both modes (wrk has none to warm).
// --rate:   a fixed total rate, the same work for both modes (to compare their CPU).
// --socket: HAProxy's stats socket; parity mode then reports its per-server request deltas
//           over the measured run, to compare with its own per-instance counts.
// --serve:  stay up after the warm-up, and make one measured run for each line read on stdin,
//           printing its JSON line (bench/load.ts alternates two warm processes this way).
// --perf-ctl CTL,ACK: perf record's control fifos (bench/load-profile.ts): the samples are
//           enabled for the measured run only.
// Prints one JSON line; cpuUs is this process's user+system CPU over the measured run only.
import { openSync, readSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { serverStats } from '../src/lab/runtime-api.js';
import { runLoad } from '../src/load/driver.js';

const [mode, url, connections, seconds, ...rest] = process.argv.slice(2);
const opt = (name: string) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const warmup = Number(opt('--warmup') ?? 0);
const overallRate = Number(opt('--rate')) || undefined;
const socket = opt('--socket');
const perfCtl = opt('--perf-ctl')?.split(',');
const serve = rest.includes('--serve');
if (mode !== 'parity' && mode !== 'bare' && mode !== 'bare-capped')
  throw new Error(`mode must be parity, bare or bare-capped, got ${mode}`);

async function once(durationSeconds: number): Promise<Record<string, unknown> & { requests: number }> {
  if (mode === 'parity') {
    const r = await runLoad({
      url,
      connections: Number(connections),
      durationSeconds,
      identityHeader: 'x-instance-id',
      overallRate,
    });
    return {
      requests: r.responses,
      durationSeconds: r.durationSeconds,
      rps: r.rps,
      instances: Object.fromEntries(Object.entries(r.instances).map(([id, i]) => [id, i.count])),
    };
  }
  if (mode === 'bare-capped') return capped(durationSeconds);
  const r = await autocannon({
    url,
    connections: Number(connections),
    duration: durationSeconds,
    ...(overallRate ? { overallRate, ignoreCoordinatedOmission: true } : {}),
  });
  return { requests: r.requests.total, durationSeconds: r.duration, rps: r.requests.total / r.duration };
}

/**
 * bare-capped: autocannon alone, but started and ended the way the driver does it
 * (src/load/driver.ts): a longer duration, and at D each connection is capped at the requests it
 * has made, so it stops once its last one is answered. No attribution, no listener of parity's.
 */
function capped(
  durationSeconds: number,
): Promise<{ requests: number; durationSeconds: number; rps: number }> {
  // autocannon's Client, as far as this uses it (its typings do not carry these fields).
  type Capped = {
    destroyed: boolean;
    reqsMade: number;
    responseMax?: number;
    on(e: string, f: () => void): void;
  };
  const clients: Capped[] = [];
  let responses = 0;
  return new Promise((resolve) => {
    const instance = autocannon(
      {
        url,
        connections: Number(connections),
        duration: durationSeconds + 13,
        ...(overallRate ? { overallRate, ignoreCoordinatedOmission: true } : {}),
        setupClient: (c) => void clients.push(c as unknown as Capped),
      },
      () => resolve({ requests: responses, durationSeconds, rps: responses / durationSeconds }),
    );
    instance.on('response', () => responses++);
    let done = 0;
    for (const c of clients) c.on('done', () => ++done === clients.length && instance.stop());
    setTimeout(() => {
      for (const c of clients) if (!c.destroyed) c.responseMax = Math.max(1, c.reqsMade);
    }, durationSeconds * 1000);
  });
}

const counters = async () =>
  socket ? Object.fromEntries((await serverStats(socket)).map((s) => [s.name, s.requests])) : {};

if (warmup > 0) {
  await once(warmup);
  await new Promise((r) => setTimeout(r, 1100)); // autocannon's last 1 s tick, before measuring
}
/** Tells perf record to enable or disable its events, and waits for its ack (synchronously, outside the measurement). */
const perf = perfCtl && { ctl: openSync(perfCtl[0], 'w'), ack: openSync(perfCtl[1], 'r') };
const tellPerf = (command: 'enable' | 'disable') => {
  if (!perf) return;
  writeSync(perf.ctl, command + '\n');
  readSync(perf.ack, Buffer.alloc(16));
};
/** One measured run: its figures, this process's CPU over it, HAProxy's counts over it. */
async function measured() {
  const before = await counters();
  tellPerf('enable');
  const cpu0 = process.cpuUsage();
  const out = await once(Number(seconds));
  const cpu = process.cpuUsage(cpu0);
  tellPerf('disable');
  const after = await counters();
  const haproxy = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
  return JSON.stringify({ ...out, cpuUs: cpu.user + cpu.system, ...(socket ? { haproxy } : {}) }) + '\n';
}

// The bench that reads this is gone (stopped, or killed): nobody to answer, nothing to say.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});
if (!serve) process.stdout.write(await measured());
else {
  // One measured run per line read, each answered with its JSON line, until stdin closes.
  process.stdout.write('ready\n');
  for await (const _line of createInterface({ input: process.stdin })) {
    process.stdout.write(await measured());
    await new Promise((r) => setTimeout(r, 1100)); // autocannon's last tick, before the next
  }
}
