// Benchmark (not a timed test): the CPU each response costs on the load driver's hot path, in
// isolation from the network and the target, so the figure barely depends on the machine's
// other load. A real autocannon client (one connection, to a port nothing answers in time) is
// built; before it ever connects, `headers` + `response` events are emitted on it N times,
// synchronously, with the listener sets of:
//   bare     autocannon's own listener only (status map, whole-ms WASM histogram)
//   before   the driver before issue 15: its listeners (identity lookup, tally, µs HDR) AND autocannon's
//   after    the driver as of 2026-11-30: its listeners only (autocannon's `response` one unhooked)
// The listeners are rawHeader + Tally.record, as runLoad had them then. Since 2026-12-01 the
// driver reads headers in the parser's hook, not from a `headers` listener, and unhooks
// autocannon's `request` listener too; bench/load-profile.ts measures the driver as it is.
//
//   node --import tsx bench/load-hotpath.ts [--n 200000]
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import { rawHeader, Tally } from '../src/load/attribution.js';
import { median } from './stats.js';

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--n') + 1]) || 200_000;

// A port that accepts and never answers: the client connects (asynchronously, after the loop).
const server = createServer(() => {});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;

const headers = (id: string) => ({
  statusCode: 200,
  headers: [
    ...['X-Instance-Id', id, 'X-App-Version', '1.4.2', 'Content-Type', 'application/json'],
    ...['Content-Length', '15', 'Date', 'Tue, 01 Dec 2026 10:00:00 GMT', 'Keep-Alive', 'timeout=5'],
  ],
});
const infos = [headers('i-0a57a91e0000000a1'), headers('i-0a57a91e0000000b2')];

type Variant = 'bare' | 'before' | 'after';

function once(variant: Variant): number {
  let client: autocannon.Client | undefined;
  const tally = new Tally();
  const ours = new Set<unknown>();
  const instance = autocannon({
    url: `http://127.0.0.1:${port}/ping`,
    connections: 1,
    duration: 30,
    skipAggregateResult: true,
    setupClient: (c) => {
      client = c;
      if (variant === 'bare') return;
      let id: string | undefined;
      c.on(
        'headers',
        ((info: { headers: string[] }) => (id = rawHeader(info.headers, 'x-instance-id'))) as never,
      );
      const onResponse = (status: number, _b: number, ms: number) => {
        tally.record(id, status, ms);
        id = undefined;
      };
      ours.add(onResponse);
      c.on('response', onResponse);
    },
  } as autocannon.Options);
  if (variant === 'after')
    for (const l of client!.listeners('response'))
      if (!ours.has(l)) client!.removeListener('response', l as (...a: unknown[]) => void);
  const c = client!;
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    c.emit('headers', infos[i & 1]);
    c.emit('response', 200, 180, 0.5 + (i % 997) / 100, undefined);
  }
  const t = process.cpuUsage(t0);
  (instance as unknown as autocannon.Instance).stop();
  return (t.user + t.system) / N;
}

const results: Record<Variant, number[]> = { bare: [], before: [], after: [] };
for (let round = 0; round < 7; round++)
  for (const v of ['bare', 'before', 'after'] as const) results[v].push(once(v));
server.close();
const m = Object.fromEntries(
  Object.entries(results).map(([k, xs]) => [k, median(xs.slice(2))]), // the first rounds warm the JIT
) as Record<Variant, number>;
console.log(`CPU per response on the driver's hot path (${N} synthetic responses, median of 5 rounds):`);
console.log(`  bare autocannon (its listener only):        ${m.bare.toFixed(3)} µs`);
console.log(
  `  driver before (ours + autocannon's):         ${m.before.toFixed(3)} µs  (+${(m.before - m.bare).toFixed(3)})`,
);
console.log(
  `  driver now (ours only, autocannon's unhooked): ${m.after.toFixed(3)} µs  (${m.after - m.bare >= 0 ? '+' : ''}${(m.after - m.bare).toFixed(3)})`,
);
process.exit(0);
