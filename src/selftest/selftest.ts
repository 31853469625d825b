// The suite proves itself: for each fault of the catalog, bring the lab up with it, run the
// full mode against staging, and check that exactly the declared checks fail, each with a
// diagnosis naming the cause; then clean runs that must all pass.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckResult } from '../contract/result.js';
import { runMode } from '../run/run.js';
import { runWatch } from '../run/watch.js';
import { configFileTarget } from '../run/target.js';
import type { RunMode } from '../run/modes.js';
import { loadFaults, type Fault } from '../lab/faults.js';
import { labDown, labUp } from '../lab/lab.js';
import type { LabState } from '../lab/state.js';

export interface FaultOutcome {
  fault: string;
  /** Check id → status in the run with the fault on. */
  statuses: Record<string, CheckResult['status']>;
  /** Problems: a declared check that did not fail, a diagnosis not naming the cause, another check failing. */
  problems: string[];
}

/** Judge one run against the fault's declaration. Pure. */
export function judgeFault(fault: Fault, checks: CheckResult[]): FaultOutcome {
  const statuses = Object.fromEntries(checks.map((c) => [c.id, c.status]));
  const problems: string[] = [];
  for (const id of fault.fails) {
    const c = checks.find((x) => x.id === id);
    if (!c) problems.push(`${id} did not run`);
    else if (c.status !== 'fail') problems.push(`${id} should fail but is ${c.status}: ${c.diagnosis}`);
    else {
      const cause = fault.causes?.[id];
      if (cause && !new RegExp(cause, 'i').test(c.diagnosis)) {
        problems.push(`${id} failed without naming the cause /${cause}/: ${c.diagnosis}`);
      }
    }
  }
  for (const c of checks) {
    if (fault.fails.includes(c.id) || fault.mayFail.includes(c.id)) continue;
    if (c.status !== 'pass' && c.status !== 'skip') {
      problems.push(`${c.id} is ${c.status} but the fault does not declare it: ${c.diagnosis}`);
    }
  }
  return { fault: fault.name, statuses, problems };
}

/** Run fn against a lab of its own in a temp folder; the lab is stopped and removed whatever happens. */
async function inTempLab<T>(
  prefix: string,
  faults: string[],
  fn: (state: LabState, dir: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `parity-selftest-${prefix}-`));
  try {
    return await fn(await labUp({ dir, faults }), dir);
  } finally {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The version a deploy fault's self-test rolls out (the lab runs 1.4.2). */
const WATCHED_VERSION = '1.5.0';

/** One fault: a lab of its own, the full mode against its environment, judged. */
export function selftestFault(
  fault: Fault,
  opts: { mode?: RunMode; loadDuration?: string; log?: (line: string) => void } = {},
): Promise<FaultOutcome> {
  return inTempLab(fault.name, [fault.name], async (state, dir) => {
    if (fault.run === 'watch') {
      const { results } = await runWatch({
        target: async () => ({ ...configFileTarget(state.config!), source: 'running-lab' as const }),
        env: fault.env,
        out: join(dir, 'reports'),
        command: ['parity', 'lab', 'deploy', '--version', WATCHED_VERSION],
        log: opts.log ?? (() => {}),
        commandOutput: () => {},
      });
      return judgeFault(fault, results.checks);
    }
    const { results } = await runMode({
      mode: opts.mode ?? 'nightly',
      target: async () =>
        configFileTarget(
          opts.loadDuration
            ? withLoadSettings(state.config!, { duration: opts.loadDuration })
            : state.config!,
        ),
      env: fault.env,
      out: join(dir, 'reports'),
      allowProductionWrites: false,
      // A lab of its own: the failover drill runs too (a config target needs it said).
      disruptive: true,
      log: opts.log ?? (() => {}),
    });
    return judgeFault(fault, results.checks);
  });
}

/** A copy of a config file (beside it) with other load settings: a quicker run. */
export function withLoadSettings(file: string, load: { duration?: string; connections?: number }): string {
  const config = parse(readFileSync(file, 'utf8'));
  config.load = { ...config.load, ...load };
  const tag = Object.entries(load)
    .map(([k, v]) => `${k}-${v}`)
    .join('.');
  const out = file.replace(/\.ya?ml$/, '') + `.${tag}.yaml`;
  writeFileSync(out, stringify(config));
  return out;
}

/** Consecutive smoke runs against one clean lab: every check must pass every time. */
export function cleanRuns(n: number, log: (line: string) => void = () => {}): Promise<CheckResult[][]> {
  return inTempLab('clean', [], async (state, dir) => {
    const runs: CheckResult[][] = [];
    for (let i = 0; i < n; i++) {
      const { results } = await runMode({
        mode: 'smoke',
        target: async () => configFileTarget(state.config!),
        env: 'staging',
        out: join(dir, 'reports'),
        allowProductionWrites: false,
        log,
      });
      runs.push(results.checks);
    }
    return runs;
  });
}

/** The fault × check matrix: "FAIL" where declared and failed, "fail!" where undeclared, "miss" where it should have failed. */
export function formatMatrix(outcomes: FaultOutcome[], catalog: Fault[] = loadFaults()): string {
  const ids = [...new Set(outcomes.flatMap((o) => Object.keys(o.statuses)))];
  const cell = (o: FaultOutcome, id: string) => {
    const declared = catalog.find((f) => f.name === o.fault)?.fails.includes(id) ?? false;
    const s = o.statuses[id];
    if (declared) return s === 'fail' ? 'FAIL' : 'miss';
    if (s === 'pass') return '.';
    if (s === 'skip') return 'skip';
    return s === undefined ? '' : `${s}!`;
  };
  const width = Math.max(...outcomes.map((o) => o.fault.length), 5);
  const head = ['fault'.padEnd(width), ...ids.map((id) => id.padEnd(Math.max(id.length, 5)))].join('  ');
  const rows = outcomes.map((o) =>
    [o.fault.padEnd(width), ...ids.map((id) => cell(o, id).padEnd(Math.max(id.length, 5)))]
      .join('  ')
      .trimEnd(),
  );
  return [head.trimEnd(), ...rows].join('\n') + '\n';
}
