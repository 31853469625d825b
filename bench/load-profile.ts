// Where parity's load driver spends CPU that bare autocannon does not (not a timed test).
// Against a fresh lab, alternating parity and bare autocannon (bench/load-child.ts) at the
// same fixed rate, each process under `perf record` (Debian's linux-perf) sampling its CPU
// clock every 250 µs of CPU, kernel included, for the measured run only (the child switches
// the sampling on and off through perf's control fifos, after its warm-up). Node writes each
// piece of JIT code it makes, with the time, to a jitdump (--perf-prof), which `perf inject
// --jit` applies, so a JavaScript function is named by the code at that address at that time
// (a /tmp/perf-PID.map cannot: V8 reuses the addresses of code it has collected). Prints, per category and for the symbols that differ most, the CPU
// per request of each and the difference; the categories add up to the whole process.
//
//   node --import tsx bench/load-profile.ts              # 4 rounds x 10 s at 3,000 req/s, 50 connections
//   options: --rounds N --duration S --rate R --connections N --top N
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labUp } from '../src/lab/lab.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { cleanupOnStop } from './cleanup.js';
import { loadChildArgs } from './load-child-args.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = flag('--rounds', 4);
const SECONDS = flag('--duration', 10);
const RATE = flag('--rate', 3000);
const CONNECTIONS = flag('--connections', 50);
const TOP = flag('--top', 20);
/** perf's sampling period: one sample per 250 µs of the process's CPU (cpu-clock counts ns). */
const PERIOD_NS = 250_000;
const MODES = ['parity', 'bare'] as const;
type Mode = (typeof MODES)[number];

/** Samples per symbol ("dso|symbol") of one process, and the requests of its measured run. */
interface Profile {
  samples: Map<string, number>;
  requests: number;
  cpuUs: number;
}

async function profiled(mode: Mode, url: string, dir: string, round: number): Promise<Profile> {
  const ctl = join(dir, `ctl-${mode}-${round}`);
  const ack = join(dir, `ack-${mode}-${round}`);
  const data = join(dir, `${mode}-${round}.data`);
  await run('mkfifo', [ctl, ack]);
  const child = spawn(
    'perf',
    [
      ...perfDir,
      'record',
      '--quiet',
      '-k',
      'mono', // the clock of node's jitdump
      '-D',
      '-1', // start disabled: the child enables sampling for its measured run only
      `--control=fifo:${ctl},${ack}`,
      '-e',
      'cpu-clock',
      '-c',
      String(PERIOD_NS),
      '-o',
      data,
      '--',
      process.execPath,
      '--perf-prof',
      ...loadChildArgs({
        mode,
        url,
        connections: CONNECTIONS,
        seconds: SECONDS,
        warmup: 1,
        rate: RATE,
        perfCtl: [ctl, ack],
      }),
    ],
    // node writes jit-PID.dump into its working directory
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: dir },
  );

  let stdout = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b));
  const code = await new Promise<number | null>((r) => child.on('close', r).on('error', () => r(null)));
  if (code !== 0) throw new Error(`perf record (${mode}) exited ${code}`);
  const out = JSON.parse(stdout) as { requests: number; cpuUs: number };
  await run('perf', [...perfDir, 'inject', '--jit', '-i', data, '-o', `${data}.jit`], { cwd: dir });
  const report = await run(
    'perf',
    [...perfDir, 'report', '-i', `${data}.jit`, '--stdio', '-n', '--sort', 'dso,sym', '-t', '|'],
    { maxBuffer: 1 << 26 },
  );
  const samples = new Map<string, number>();
  for (const line of report.stdout.split('\n')) {
    const f = line.split('|');
    if (line.startsWith('#') || f.length < 4) continue;
    const key = normalize(f[2].trim(), f.slice(3).join('|').trim());
    samples.set(key, (samples.get(key) ?? 0) + Number(f[1]));
  }
  // perf inject wrote one jitted-PID-N.so per piece of code, next to the dump
  for (const f of readdirSync(dir))
    if (/^(jit-|jitted-|isolate-)/.test(f) || f.startsWith(`${mode}-${round}.data`))
      rmSync(join(dir, f), { force: true });
  return { samples, requests: out.requests, cpuUs: out.cpuUs };
}

/** One name for a symbol across processes: no thread ids, no tier marker (*, ^, ~, +). */
function normalize(dso: string, sym: string): string {
  const s = sym.replace(/^\[[.k]\] /, '').replace(/^JS:[*^~+]?\s*/, 'JS:');
  return `${/^jitted-|^\[JIT\]/.test(dso) ? '[JIT]' : dso}|${s.replace(PROJECT_ROOT, '')}`;
}

/** The category of a symbol, in the order tested. */
const CATEGORIES: [string, (dso: string, sym: string) => boolean][] = [
  ["parity's driver (src/)", (_, s) => s.startsWith('JS:') && /\/src\//.test(s)],
  ['hdr-histogram-js', (_, s) => s.includes('hdr-histogram-js')],
  ['autocannon (JS)', (_, s) => s.includes('node_modules/autocannon/')],
  ['http-parser-js', (_, s) => s.includes('node_modules/http-parser-js/')],
  ['node:events (emit)', (_, s) => s.startsWith('JS:') && s.includes('node:events')],
  ["node's own JS (streams, net)", (_, s) => s.startsWith('JS:') && s.includes('node:')],
  ['other JS', (d, s) => d === '[JIT]' || s.startsWith('JS:')],
  ['Math.pow/log2 (V8 ieee754)', (_, s) => s.includes('ieee754')],
  [
    'V8 garbage collector',
    (_, s) => /Scaveng|MarkCompact|ConcurrentMarking|Heap::|Sweeper|MemoryAllocator|Evacuat/.test(s),
  ],
  ['V8 compiler', (_, s) => /compiler::|Scanner|Parser|Maglev|maglev|baseline::/i.test(s)],
  ['V8 builtins (ICs, calls)', (_, s) => s.startsWith('Builtins_')],
  ['kernel', (d) => d === '[kernel.kallsyms]'],
  ['node, V8 runtime, libc', () => true],
];
const categoryOf = (key: string) => {
  const [dso, sym] = [key.slice(0, key.indexOf('|')), key.slice(key.indexOf('|') + 1)];
  return CATEGORIES.find(([, test]) => test(dso, sym))![0];
};

// Before any lab: without perf there is nothing to measure.
await run('perf', ['--version']).catch(() => {
  console.error('bench/load-profile.ts needs perf: apt-get install linux-perf');
  process.exit(2);
});
const dir = mkdtempSync(join(tmpdir(), 'parity-bench-profile-'));
/**
 * perf keeps a copy of every object it saw in its build-id cache, ~/.debug by default: with
 * one jitted-PID-N.so per piece of JIT code, gigabytes. It goes into the temp dir instead.
 */
const perfDir = ['--buildid-dir', join(dir, 'buildid')];
const cleanup = cleanupOnStop('the bench lab and temp folder', async () => {
  await labDown(join(dir, 'lab'));
  rmSync(dir, { recursive: true, force: true });
});
try {
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)}; ${ROUNDS} rounds x {parity, bare}, ` +
      `${RATE} req/s over ${CONNECTIONS} connections, ${SECONDS} s each, perf record -e cpu-clock -c ${PERIOD_NS}`,
  );
  const state = await labUp({ dir: join(dir, 'lab') });
  const url = `${state.environments.staging.url}/ping`;
  const profiles: Record<Mode, Profile[]> = { parity: [], bare: [] };
  for (let round = 0; round < ROUNDS; round++)
    for (const mode of round % 2 ? [...MODES].reverse() : MODES) {
      const p = await profiled(mode, url, dir, round);
      profiles[mode].push(p);
      const sampledUs = (sum(p.samples.values()) * PERIOD_NS) / 1000;
      console.log(
        `round ${round + 1} ${mode.padEnd(6)} ${p.requests} requests, CPU ${(p.cpuUs / p.requests).toFixed(1)} µs/req ` +
          `(sampled ${(sampledUs / p.requests).toFixed(1)})`,
      );
    }
  // µs of CPU per request of each key, over all rounds of a mode.
  const perRequest = (mode: Mode, group: (key: string) => string) => {
    const out = new Map<string, number>();
    const requests = sum(profiles[mode].map((p) => p.requests));
    for (const p of profiles[mode])
      for (const [key, n] of p.samples)
        out.set(group(key), (out.get(group(key)) ?? 0) + (n * PERIOD_NS) / 1000 / requests);
    return out;
  };
  const table = (title: string, group: (key: string) => string, limit: number) => {
    const [a, b] = [perRequest('parity', group), perRequest('bare', group)];
    const rows = [...new Set([...a.keys(), ...b.keys()])]
      .map((k) => ({ k, a: a.get(k) ?? 0, b: b.get(k) ?? 0 }))
      .sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b))
      .slice(0, limit);
    const line = (x: number, y: number, label: string) =>
      console.log(
        `${x.toFixed(2).padStart(8)} ${y.toFixed(2).padStart(7)} ${(x - y >= 0 ? '+' : '') + (x - y).toFixed(2).padStart(6)}  ${label}`,
      );
    console.log(`\n${title}\n  parity    bare    diff  (µs of CPU per request)`);
    for (const r of rows) line(r.a, r.b, r.k);
    line(sum(a.values()), sum(b.values()), 'in all');
  };
  table('by category (largest difference first):', categoryOf, CATEGORIES.length);
  table(`the ${TOP} symbols that differ most:`, (k) => k.replace('|', '  '), TOP);
  // Inside the native categories, where no one symbol stands out above.
  for (const category of ['V8 builtins (ICs, calls)', 'node, V8 runtime, libc', 'kernel', 'V8 compiler'])
    table(
      `${category}: its 6 symbols that differ most`,
      (k) => (categoryOf(k) === category ? k.replace('|', '  ') : '(other categories)'),
      7,
    );
} finally {
  await cleanup();
}

function sum(xs: Iterable<number>): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
