// Benchmark of `parity load` (not a timed test). In one run against a fresh lab, in rounds of
//   wrk     — /usr/bin/wrk -t1
//   parity  — our driver (attribution, µs HDR histograms, drain), bench/load-child.ts
//   bare    — autocannon's programmatic API, no attribution, bench/load-child.ts
// on the same URL, connections and duration; parity and bare swap places every round and are
// always next to each other, each one process kept warm for all rounds (--serve), so that the
// two compared runs see the same machine (the other tenants of a shared machine move its speed
// from one minute to the next). Prints medians, per-round ratios, the load
// generator's CPU per request, checks that every parity run's per-instance counts equal
// HAProxy's own per-server request counters (req_tot), and measures the peak RSS of the CLI
// (`parity load --json`) at 200 connections for 30 s.
//
// At a fixed rate, the CPU per request of parity, bare, and bare-capped: bare autocannon started
// and ended as the driver does it (bench/load-child.ts), to tell the driver's own cost apart.
//
// Then the fixed-rate mode as users run it: `parity load --rate 500 --duration 10 --json`
// (the CLI), and whether the achieved rate is within ± 2 % of 500.
//
//   node --import tsx bench/load.ts            # full: 9 rounds x 5 s at 50 connections, RSS 200 x 30 s
//   node --import tsx bench/load.ts --quick    # 1 round x 3 s, RSS 200 x 5 s
//   options: --rounds N --connections N --duration S --warmup S (node processes) --rss-duration S
//            --fixed-rate R --fixed-rounds N (the CPU comparison at a fixed rate)
//            --cli-rate R --cli-rate-duration S (the CLI's fixed-rate run, default 500 x 10 s)
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { labDown, labUp } from '../src/lab/lab.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { serverStats, type ServerStat } from '../src/lab/runtime-api.js';
import { rawHeader, Tally } from '../src/load/attribution.js';
import { median } from './stats.js';
import { cleanupOnStop } from './cleanup.js';
import { loadChildArgs, type LoadChildSpec } from './load-child-args.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = flag('--rounds', quick ? 1 : 9);
const CONNECTIONS = flag('--connections', 50);
const SECONDS = flag('--duration', quick ? 3 : 5);
const RSS_CONNECTIONS = 200;
const FIXED_RATE = flag('--fixed-rate', 3000);
const FIXED_ROUNDS = flag('--fixed-rounds', quick ? 2 : 6);
/** Unmeasured seconds each node process runs first, so its JIT is warm (wrk needs none). */
const WARMUP = flag('--warmup', 1);
const RSS_SECONDS = flag('--rss-duration', quick ? 5 : 30);
const CLI_RATE = flag('--cli-rate', 500);
const CLI_RATE_SECONDS = flag('--cli-rate-duration', quick ? 3 : 10);

interface Sample {
  rps: number;
  requests: number;
  /** Load generator CPU (user + system) per request, µs. */
  cpuUsPerRequest?: number;
  rssMb?: number;
  treeRssMb?: number;
  countsMatch?: boolean;
  detail?: string;
}

const load1 = () => loadavg()[0].toFixed(2);

function delta(before: ServerStat[], after: ServerStat[]): Record<string, number> {
  return Object.fromEntries(
    after.map((a) => [a.name, a.requests - (before.find((b) => b.name === a.name)?.requests ?? 0)]),
  );
}

function compareCounts(ours: Record<string, number>, lb: Record<string, number>) {
  const countsMatch =
    Object.keys(lb).length === Object.keys(ours).length &&
    Object.entries(lb).every(([id, n]) => ours[id] === n);
  return { countsMatch, detail: `parity ${JSON.stringify(ours)} haproxy ${JSON.stringify(lb)}` };
}

/** What one load child runs: bench/load-child.ts's mode, target and options. */
type ChildSpec = Pick<LoadChildSpec, 'mode' | 'url' | 'socket' | 'rate'>;

/** bench/load-child.ts's command line, CONNECTIONS x SECONDS after its warm-up. */
const childArgs = (spec: ChildSpec) =>
  loadChildArgs({ ...spec, connections: CONNECTIONS, seconds: SECONDS, warmup: WARMUP });

interface ChildOut {
  rps: number;
  requests: number;
  cpuUs: number;
  instances?: Record<string, number>;
  haproxy?: Record<string, number>;
}

/** A load child in a fresh process: one measured run. */
async function child(spec: ChildSpec): Promise<ChildOut> {
  const r = await run(process.execPath, childArgs(spec), { maxBuffer: 1 << 20 });
  return JSON.parse(r.stdout) as ChildOut;
}

/** A load child kept up (--serve): warmed once, then one measured run per run(). */
class Warm {
  private readonly proc: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;
  private constructor(proc: ChildProcessByStdio<Writable, Readable, null>) {
    this.proc = proc;
    this.lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  }
  static async start(spec: ChildSpec) {
    const proc = spawn(process.execPath, [...childArgs(spec), '--serve'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const warm = new Warm(proc);
    const ready = await warm.next().catch(() => undefined);
    if (ready !== 'ready') {
      warm.stop();
      throw new Error(`load child (${spec.mode}) did not start`);
    }
    return warm;
  }
  private async next(): Promise<string> {
    const r = await this.lines.next();
    if (r.done) throw new Error('load child exited');
    return r.value;
  }
  async run(): Promise<ChildOut> {
    this.proc.stdin.write('run\n');
    return JSON.parse(await this.next()) as ChildOut;
  }
  stop(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

/** Our driver (a warm process); its counts checked against HAProxy's over the same run. */
async function parity(warm: Warm): Promise<Sample> {
  const out = await warm.run();
  return {
    rps: out.rps,
    requests: out.requests,
    cpuUsPerRequest: out.cpuUs / out.requests,
    ...compareCounts(out.instances ?? {}, out.haproxy ?? {}),
  };
}

async function bare(warm: Warm): Promise<Sample> {
  const out = await warm.run();
  return { rps: out.rps, requests: out.requests, cpuUsPerRequest: out.cpuUs / out.requests };
}

async function wrk(url: string, connections: number, seconds: number): Promise<Sample> {
  const r = await run('/usr/bin/time', [
    '-v',
    '/usr/bin/wrk',
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    url,
  ]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  if (!rps) throw new Error(`wrk output not understood: ${r.stdout}`);
  const secs = (name: string) =>
    Number(new RegExp(`${name} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr)?.[1]);
  return { rps, requests, cpuUsPerRequest: ((secs('User') + secs('System')) * 1e6) / requests };
}

/** The CLI as users run it, under /usr/bin/time -v, with a preload reporting its own peak RSS. */
async function cli(config: string, socket: string, connections: number, seconds: number): Promise<Sample> {
  const before = await serverStats(socket);
  const probe = pathToFileURL(join(PROJECT_ROOT, 'bench/rss-probe.mjs')).href;
  const cmd = [
    process.execPath,
    '--import',
    probe,
    join(PROJECT_ROOT, 'bin/parity.js'),
    'load',
    '--config',
    config,
  ];
  const r = await run(
    '/usr/bin/time',
    ['-v', ...cmd, '--connections', String(connections), '--duration', String(seconds), '--json'],
    { env: { ...process.env, CI: '1' }, maxBuffer: 1 << 24 },
  ).catch((e: { stdout: string; stderr: string; code: number }) => {
    if (e.code === 1) return e; // a failed check (e.g. p99 under overload) still measured the run
    throw new Error(`parity load exited ${e.code}: ${e.stderr}`);
  });
  const after = await serverStats(socket);
  const out = JSON.parse(r.stdout) as {
    rps: number;
    requests: number;
    instances: Record<string, { count: number }>;
  };
  const ours = Object.fromEntries(Object.entries(out.instances).map(([id, i]) => [id, i.count]));
  // The node process's own peak; /usr/bin/time's figure is the largest of it and its
  // children (tsx's esbuild service), printed alongside.
  const rssKb = Number(/parity-bench-maxrss-kb (\d+)/.exec(r.stderr)?.[1]);
  const treeKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
  return {
    rps: out.rps,
    requests: out.requests,
    rssMb: rssKb / 1024,
    treeRssMb: treeKb / 1024,
    ...compareCounts(ours, delta(before, after)),
  };
}

/**
 * CPU of the attribution itself per response (header lookup + tally + µs histogram), in
 * isolation, so the figure does not depend on the machine's other load.
 */
function attributionCostUs(): number {
  // The headers of a lab response, as autocannon hands them over.
  const raw = (id: string) => [
    'x-instance-id',
    id,
    'x-app-version',
    '1.4.2',
    'content-type',
    'application/json',
    'content-length',
    '15',
    'date',
    'Sat, 28 Nov 2026 17:12:33 GMT',
    'keep-alive',
    'timeout=5',
    'set-cookie',
    `AWSALB=${id}|awsLh|awsLh; path=/; Max-Age=604800`,
    'set-cookie',
    `AWSALBCORS=${id}|awsLh|awsLh; Path=/; Max-Age=604800; SameSite=None; Secure`,
  ];
  const headers = [raw('i-0a57a91e0000000a1'), raw('i-0a57a91e0000000b2')];
  const N = 200_000;
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const tally = new Tally();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++)
      tally.record(rawHeader(headers[i & 1], 'x-instance-id'), 200, 1 + (i % 997) / 100);
    const c = process.cpuUsage(c0);
    runs.push((c.user + c.system) / N);
  }
  return median(runs.slice(2)); // the first runs warm the JIT up
}

const dir = mkdtempSync(join(tmpdir(), 'parity-bench-load-'));
const warm: Warm[] = [];
const cleanup = cleanupOnStop('the bench lab, its load processes and temp folder', async () => {
  for (const w of warm) w.stop();
  await labDown(dir);
  rmSync(dir, { recursive: true, force: true });
});
try {
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other work; load average ${load1()}`,
  );
  const attribution = attributionCostUs();
  console.log(
    `attribution CPU per response (header lookup + tally + HDR), in isolation: ${attribution.toFixed(2)} µs`,
  );
  const state = await labUp({ dir });
  const env = state.environments.staging;
  const url = `${env.url}/ping`;
  console.log(`lab up in ${dir}; target ${url} (HAProxy -> 2 app instances, all on this machine)`);
  console.log(
    `rounds: ${ROUNDS} x {wrk -t1, then parity and bare autocannon in turn}, ${CONNECTIONS} connections, ${SECONDS} s each ` +
      `(one process each for parity and bare, warmed up for ${WARMUP} s, unmeasured)\n`,
  );

  const warmParity = await Warm.start({ mode: 'parity', url, socket: env.socketPath });
  warm.push(warmParity);
  const warmBare = await Warm.start({ mode: 'bare', url });
  warm.push(warmBare);
  const tools = {
    parity: () => parity(warmParity),
    bare: () => bare(warmBare),
    wrk: () => wrk(url, CONNECTIONS, SECONDS),
  };
  const names = Object.keys(tools) as (keyof typeof tools)[];
  const samples: Record<string, Sample[]> = { parity: [], bare: [], wrk: [] };
  let mismatches = 0;
  // Short warm-up so the first round does not pay for cold app processes.
  await wrk(url, CONNECTIONS, 1);
  for (let round = 0; round < ROUNDS; round++) {
    // parity and bare next to each other, each first every other round.
    const order: (keyof typeof tools)[] = round % 2 ? ['wrk', 'bare', 'parity'] : ['wrk', 'parity', 'bare'];
    for (const name of order) {
      const s = await tools[name]();
      samples[name].push(s);
      if (s.countsMatch === false) mismatches++;
      console.log(
        `round ${round + 1} ${name.padEnd(6)} ${s.rps.toFixed(0).padStart(7)} req/s  ${String(s.requests).padStart(8)} requests` +
          `  CPU ${s.cpuUsPerRequest!.toFixed(1).padStart(5)} µs/req` +
          (s.countsMatch === undefined
            ? ''
            : `  counts ${s.countsMatch ? '== HAProxy' : '!= HAProxy'}: ${s.detail}`) +
          `  (load avg ${load1()})`,
      );
    }
  }
  const med = (name: string, f: (s: Sample) => number) => median(samples[name].map(f));
  const ratios = (other: string) => samples.parity.map((p, i) => p.rps / samples[other][i].rps);
  console.log(
    '\nmedian req/s:       ' + names.map((n) => `${n} ${med(n, (s) => s.rps).toFixed(0)}`).join(', '),
  );
  console.log(
    'median CPU µs/req:  ' +
      names.map((n) => `${n} ${med(n, (s) => s.cpuUsPerRequest!).toFixed(1)}`).join(', '),
  );
  for (const [other, target] of [
    ['bare', 0.97],
    ['wrk', 0.85],
  ] as const) {
    const perRound = ratios(other);
    console.log(
      `parity / ${other.padEnd(4)} req/s: ratio of medians ${(med('parity', (s) => s.rps) / med(other, (s) => s.rps)).toFixed(3)}, ` +
        `median of per-round ratios ${median(perRound).toFixed(3)} [${perRound.map((r) => r.toFixed(2)).join(' ')}] (target >= ${target})`,
    );
  }
  console.log(
    `attribution in isolation: ${attribution.toFixed(2)} µs/response = ${((100 * attribution) / med('bare', (s) => s.cpuUsPerRequest!)).toFixed(1)}% of bare autocannon's CPU per request`,
  );
  console.log(
    `per-instance counts equal to HAProxy's req_tot deltas: ${ROUNDS - mismatches}/${ROUNDS} parity runs`,
  );

  warmParity.stop();
  warmBare.stop();

  // The same work for both: a fixed total rate below capacity, so the generator's CPU per
  // request is not confounded with how fast the (shared) machine let the target answer.
  console.log(
    `\nCPU per request at a fixed ${FIXED_RATE} req/s, ${CONNECTIONS} connections, ${SECONDS} s, alternating:`,
  );
  // bare-capped: bare autocannon started and ended as the driver does it (bench/load-child.ts).
  // Fresh: a new process each run (1 s warm-up), as a CLI run pays for its JIT. Warm: one
  // process per mode for all rounds, so the JIT and V8's background work have settled.
  const modes = ['parity', 'bare', 'bare-capped'] as const;
  type FixedMode = (typeof modes)[number];
  const warmFixed = {} as Record<FixedMode, Warm>;
  for (const kind of ['fresh', 'warm'] as const) {
    // The warm ones start when their rounds do, not idle beside the fresh ones.
    if (kind === 'warm')
      for (const mode of modes) {
        warmFixed[mode] = await Warm.start({ mode, url, rate: FIXED_RATE });
        warm.push(warmFixed[mode]);
      }
    const fixed: Record<FixedMode, number[]> = { parity: [], bare: [], 'bare-capped': [] };
    for (let round = 0; round < FIXED_ROUNDS; round++) {
      // the order rotates every round
      for (const mode of modes.map((_, i) => modes[(i + round) % modes.length])) {
        const out =
          kind === 'fresh' ? await child({ mode, url, rate: FIXED_RATE }) : await warmFixed[mode].run();
        fixed[mode].push(out.cpuUs / out.requests);
      }
    }
    console.log(`  ${kind} processes:`);
    for (const mode of modes)
      console.log(
        `    ${mode.padEnd(11)} median ${median(fixed[mode]).toFixed(1)} µs/req [${fixed[mode].map((x) => x.toFixed(1)).join(' ')}]`,
      );
    console.log(
      `    parity - bare: ${(median(fixed.parity) - median(fixed.bare)).toFixed(1)} µs/req (attribution in isolation: ${attribution.toFixed(2)})`,
    );
  }
  for (const mode of modes) warmFixed[mode].stop();

  // The fixed-rate mode through the CLI, as a user runs it.
  const rated = await run(
    process.execPath,
    [
      join(PROJECT_ROOT, 'bin/parity.js'),
      'load',
      '--config',
      state.config!,
      '--rate',
      String(CLI_RATE),
      '--duration',
      String(CLI_RATE_SECONDS),
      '--json',
    ],
    { env: { ...process.env, CI: '1' }, maxBuffer: 1 << 24 },
  );
  const r = JSON.parse(rated.stdout) as {
    rps: number;
    requests: number;
    durationSeconds: number;
    pacing: { kind: string; perSecondMin: number; perSecondMax: number };
  };
  const off = r.rps / CLI_RATE - 1;
  console.log(
    `\nparity load --rate ${CLI_RATE} --duration ${CLI_RATE_SECONDS}: ${r.pacing.kind}, ${r.requests} responses in ` +
      `${r.durationSeconds} s = ${r.rps} req/s (${off >= 0 ? '+' : ''}${(off * 100).toFixed(2)}% of ${CLI_RATE}; ` +
      `${Math.abs(off) <= 0.02 ? 'within' : 'OUTSIDE'} ± 2 %), ${r.pacing.perSecondMin}-${r.pacing.perSecondMax} in each second`,
  );

  console.log(`\npeak RSS: parity load (CLI), ${RSS_CONNECTIONS} connections, ${RSS_SECONDS} s ...`);
  const big = await cli(state.config!, env.socketPath, RSS_CONNECTIONS, RSS_SECONDS);
  console.log(
    `peak RSS ${big.rssMb!.toFixed(1)} MB (target <= 200 MB; /usr/bin/time -v: ${big.treeRssMb!.toFixed(1)} MB); ` +
      `${big.requests} requests at ${big.rps.toFixed(0)} req/s; counts ${big.countsMatch ? '== HAProxy' : '!= HAProxy'}: ${big.detail}`,
  );
  if (mismatches || !big.countsMatch) process.exitCode = 1;
} finally {
  await cleanup();
}
