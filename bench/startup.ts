// Benchmark (not a timed test): how fast parity starts, run as the package's bin is run.
//   1. `node bin/parity.js --help`            5 runs (after one warm-up that builds the bundle)
//   2. `node bin/parity.js smoke` (warm lab)   5 runs (after one warm-up)
// Prints each median wall time and CPU time, and where the time goes: the processes of a run
// append trace lines when PARITY_TIMING names a file (src/timing.ts), and the bench prints the
// median time of each phase.
//
//   node --import tsx bench/startup.ts [--runs 5] [--bin PATH/bin/parity.js] [--against PATH/bin/parity.js [--pairs 15]]
// --bin measures another checkout (e.g. the commit before issue 15, unpacked with
// `git archive <commit> | tar -x -C DIR` and its node_modules linked); it prints totals only
// if that checkout writes no trace lines. --config FILE: the smoke's config (default: none, as
// a user runs it against the lab; an older checkout may need a copy of the lab's config without
// keys it does not know, e.g. load.rate). Uses the lab running in $PARITY_LAB_DIR (or
// .parity/lab) if there is one, else starts one in a temp folder and stops it at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labDown, labStatus, labUp } from '../src/lab/lab.js';
import { defaultLabDir, PROJECT_ROOT } from '../src/paths.js';
import { median } from './stats.js';
import { cleanupOnStop } from './cleanup.js';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const RUNS = Number(opt('--runs') ?? 5);
const BIN = resolve(opt('--bin') ?? join(PROJECT_ROOT, 'bin/parity.js'));
/** --against PATH/bin/parity.js: also smoke runs taken in turn with that checkout (--pairs N, default 15). */
const AGAINST = opt('--against') ? resolve(opt('--against')!) : undefined;
const PAIRS = Number(opt('--pairs') ?? 15);

const work = mkdtempSync(join(tmpdir(), 'parity-bench-startup-'));
const running = labStatus(defaultLabDir());
let startedDir: string | undefined;
const cleanup = cleanupOnStop('the bench lab and temp folder', async () => {
  if (startedDir) await labDown(startedDir);
  rmSync(work, { recursive: true, force: true });
});
if (!running.running) {
  startedDir = join(work, 'lab');
  await labUp({ dir: startedDir });
}
// As a user runs it: no config, so the CLI finds the running lab (in PARITY_LAB_DIR).
const labDir = startedDir ?? running.dir;
const explicitConfig = opt('--config');
/** The smoke as both series run it. */
const SMOKE = [
  'smoke',
  ...(explicitConfig ? ['--config', explicitConfig] : []),
  '--out',
  join(work, 'reports'),
];

interface Run {
  ms: number;
  cpuS: number;
  /** Trace lines: [ms since the run started, pid, label]. */
  trace: [number, number, string][];
}

let n = 0;
function once(argv: string[], bin = BIN): Run {
  const traceFile = join(work, `trace-${n++}.log`);
  const t0 = performance.timeOrigin + performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, bin, ...argv], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, PARITY_TIMING: traceFile, PARITY_LAB_DIR: labDir },
  });
  const ms = performance.timeOrigin + performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`parity ${argv[0]} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  const cpu = /^cpu ([\d.]+) ([\d.]+)$/m.exec(r.stderr);
  let trace: Run['trace'] = [];
  try {
    trace = readFileSync(traceFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [at, pid, ...label] = l.split(' ');
        return [Number(at) - t0, Number(pid), label.join(' ')] as [number, number, string];
      });
  } catch {
    // a checkout without traces
  }
  return { ms, cpuS: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN, trace };
}

/** When a trace point was reached; `a|b`: the first of these labels the run has (older checkouts). */
const at = (r: Run, label: string) => {
  for (const l of label.split('|')) {
    const t = r.trace.find((x) => x[2] === l)?.[0];
    if (t !== undefined) return t;
  }
  return undefined;
};

/** Phase = the time between two trace points (or the run's end), median over the runs. */
function phases(runs: Run[], points: [string, string | undefined, string][]): string[] {
  return points.flatMap(([from, to, what]) => {
    const d = runs.map((r) => {
      const a = from === 'start' ? 0 : at(r, from);
      const b = to === undefined ? r.ms : at(r, to);
      return a === undefined || b === undefined ? NaN : b - a;
    });
    return d.some(Number.isNaN) ? [] : [`  ${median(d).toFixed(0).padStart(6)} ms  ${what}`];
  });
}

/** The checks' own time (first check start to last check end, gaps between suites apart). */
function checkTime(r: Run) {
  const checks = r.trace.filter((t) => t[2].startsWith('check: '));
  let inChecks = 0;
  for (let i = 0; i + 1 < checks.length; i += 2) inChecks += checks[i + 1][0] - checks[i][0];
  const span = checks.length ? checks.at(-1)![0] - checks[0][0] : NaN;
  return { inChecks, between: span - inChecks };
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const loads: number[] = [];
function series(name: string, argv: string[], target: number): Run[] {
  once(argv); // warm-up: builds the bundles if the sources changed, fills the file-system cache
  const runs: Run[] = [];
  const mine: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    mine.push(loadavg()[0]);
    runs.push(once(argv));
  }
  loads.push(...mine);
  console.log(`\n${name}, ${RUNS} runs: ${runs.map((r) => s(r.ms)).join(' ')} s`);
  console.log(
    `median wall ${s(median(runs.map((r) => r.ms)))} s (target < ${target} s), ` +
      `median CPU (user+sys, all processes) ${median(runs.map((r) => r.cpuS)).toFixed(2)} s; ` +
      `1-min load average ${Math.min(...mine).toFixed(1)}-${Math.max(...mine).toFixed(1)}`,
  );
  return runs;
}

try {
  console.log(`bin: ${BIN}`);
  console.log(`machine: ${availableParallelism()} cores; load average at start ${loadavg()[0].toFixed(1)}`);

  const help = series('parity --help', ['--help'], 0.3);
  const helpPhases = phases(help, [
    ['start', 'bin: node started', 'spawn until node runs bin/parity.js (node start-up)'],
    ['bin: node started', 'bin: bundle ready', 'source hash check (bundle cached)'],
    ['bin: bundle ready', 'cli: modules loaded', 'load the CLI bundle (commander)'],
    ['cli: modules loaded', 'cli: commands loaded', 'register every command family'],
    ['cli: commands loaded', undefined, 'print help, exit'],
  ]);
  if (helpPhases.length) console.log('where the time goes (medians):\n' + helpPhases.join('\n'));

  const smoke = series('parity smoke against a warm lab', SMOKE, 1.5);
  const smokePhases = phases(smoke, [
    ['start', 'bin: node started', 'CLI: node start-up'],
    ['bin: node started', 'vitest child: node started', 'CLI start until the vitest child runs'],
    ['bin: node started', 'cli: commands loaded', 'CLI: hash check, load the bundle, commands'],
    [
      'cli: commands loaded',
      'run: target resolved',
      '  (meanwhile) CLI: load the run engine, config, target',
    ],
    [
      'vitest child: node started',
      'vitest child: vitest loaded',
      'child: load vitest + check the suite bundle (the worker thread starts meanwhile)',
    ],
    ['vitest child: node started', 'vitest child: input', '  child: input received (the CLI has the target)'],
    ['vitest child: createVitest|vitest child: input', 'vitest child: vitest created', 'child: createVitest'],
    ['vitest child: vitest created', 'check: health.alb start', 'child: worker start, first suite imported'],
    [
      'vitest child: node started',
      'vitest child: worker spawned',
      '  worker thread spawned (child start-up)',
    ],
    ['vitest child: worker spawned', 'worker: thread started', '  worker: node starts in the thread'],
    ['worker: thread started', 'worker: vitest runtime loaded', "  worker: load vitest's test runtime"],
    [
      'worker: vitest runtime loaded',
      'check: health.alb start',
      '  worker: packages (code cache), first suite, until the first check',
    ],
    ['check: deploy.consistency end', 'vitest child: tests done', 'child: run end'],
    ['vitest child: tests done', 'run: suites done', 'child exit, results read'],
    ['run: suites done', 'run: reports written', 'CLI: write results.json, junit, md, html'],
    ['run: reports written', undefined, 'CLI: table, exit'],
  ]);
  if (smokePhases.length) {
    const ct = smoke.map(checkTime);
    console.log('where the time goes (medians; the child and the CLI overlap until the input is sent):');
    console.log(smokePhases.join('\n'));
    console.log(
      `  ${median(ct.map((c) => c.inChecks))
        .toFixed(0)
        .padStart(
          6,
        )} ms  the checks themselves (${smoke[0].trace.filter((t) => t[2].startsWith('check: ') && t[2].endsWith(' start')).length} in this smoke)`,
    );
    console.log(
      `  ${median(ct.map((c) => c.between))
        .toFixed(0)
        .padStart(6)} ms  between checks (importing each next suite: AWS SDK, ioredis, ...)`,
    );
  }
  console.log(
    `\n1-min load average during the runs: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (${availableParallelism()} cores)`,
  );
  if (AGAINST) {
    // This machine's speed drifts by a quarter within an hour: series run one after the other
    // compare less well than runs taken in turn, each against its neighbour.
    once(SMOKE, AGAINST); // its warm-up
    const pairs: [number, number][] = [];
    for (let i = 0; i < PAIRS; i++) pairs.push([once(SMOKE, AGAINST).ms, once(SMOKE).ms]);
    const [them, us] = [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
    console.log(`\nsmoke in turn with ${AGAINST}, ${PAIRS} runs each:`);
    console.log(`  ${AGAINST}: ${them.map(s).join(' ')} s, median ${s(median(them))} s`);
    console.log(`  ${BIN}: ${us.map(s).join(' ')} s, median ${s(median(us))} s`);
    console.log(
      `  median of the paired differences (this - that): ${s(median(pairs.map(([a, b]) => b - a)))} s`,
    );
  }
} finally {
  await cleanup();
}
