// Runs live suite files through vitest's programmatic API (createVitest) in a child process
// (src/run/vitest-child.mjs), quietly: the collector is the only reporter, the target reaches
// the test workers through the environment (src/suite.ts currentTarget reads it), and
// the child is killed if it outlives the run's deadline.
//
// The child is started first (startSuiteRunner) and told what to run later (run): loading
// vitest, most of its start-up, then overlaps the caller's own work (config, target).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CannotRunError } from '../errors.js';
import { isStopping, onStop } from '../process/lifecycle.js';
import { PROJECT_ROOT } from '../paths.js';
import { mark } from '../timing.js';
import type { CheckResult } from '../contract/result.js';

export interface SuiteRun {
  files: string[];
  /** Variables for the test workers: PARITY_CONFIG, PARITY_ENV, PARITY_DEADLINE, ... */
  env: Record<string, string>;
  envName: string;
  /** Per-test timeout; the run's deadline bounds the checks themselves. */
  testTimeoutMs: number;
  /** The vitest process is killed after this long. */
  killAfterMs: number;
  /**
   * Every connection of the run is plaintext to this machine (the embedded lab, parity's own
   * suites): its vitest process may run without NODE_EXTRA_CA_CERTS (bin/parity.js).
   */
  labOnly?: boolean;
  /** Called once the child starts the tests (vitest is up): the caller may load what it needs after them. */
  onStarted?: () => void;
}

export interface SuiteRunner {
  /** Run the suites (once); the results in suite order. */
  run(run: SuiteRun): Promise<CheckResult[]>;
  /** Stop the child if `run` was never called (the run failed before its suites). Safe to call twice. */
  cancel(): void;
}

const CHILD = join(PROJECT_ROOT, 'src/run/vitest-child.mjs');

/** The bundle cache's build folders of process `pid` (bin/bundle.js names them `<dir>.tmp-<pid>-…`). */
function removeBuildsOf(pid: number | undefined): void {
  if (pid === undefined) return;
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache', 'parity');
  try {
    for (const d of readdirSync(cache))
      if (d.includes(`.tmp-${pid}-`)) rmSync(join(cache, d), { recursive: true, force: true });
  } catch {
    // no cache folder: nothing was built
  }
}

const EARLY = Symbol.for('parity.vitest-child');

/** What bin/parity.js started: the child, its arguments, and whether it left NODE_EXTRA_CA_CERTS out of its env. */
interface Early {
  child: ChildProcess;
  args: string[];
  withoutExtraCa: boolean;
}

/** The child bin/parity.js started before anything else (same command and options), once. */
function earlyChild(): Early | undefined {
  const g = globalThis as { [EARLY]?: Early };
  const early = g[EARLY];
  delete g[EARLY];
  if (!early) return undefined;
  // bin/parity.js unref'd it so that an early exit did not wait on it; now it is the run's.
  for (const handle of [early.child, ...early.child.stdio]) (handle as { ref?: () => void } | null)?.ref?.();
  return early;
}

/**
 * The vitest child: stdin its input, stderr why it failed, fd 3 its progress (a word a line:
 * `started`, then `done`, vitest-child.mjs), apart from stdout, where a suite may write anything.
 */
const spawnChild = (args: string[]) =>
  spawn(process.execPath, [CHILD, ...args], {
    cwd: PROJECT_ROOT,
    // No loader hooks (tsx) for this process even if the CLI has them; the workers inherit the env.
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
  });

/** The line on a failed child's stderr that says why: its error, not node's closing version line. */
function whyOf(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.filter((l) => !/^Node\.js v/.test(l)).pop() ?? '';
}

/** Start the vitest child now (or adopt the one bin/parity.js started); it waits (loading vitest) for `run`. */
export function startSuiteRunner(): SuiteRunner {
  if (isStopping()) throw new CannotRunError('stopping: the suites were not started');
  const early = earlyChild();
  let child = early?.child ?? spawnChild([]);
  /** Every child this run started (one, or two when the first was replaced): a stop ends them all. */
  const children = [child];
  let stderr = '';
  let exited!: Promise<{ code: number | null; error?: Error }>;
  let onLine = (_line: string) => {};
  const attach = (c: ChildProcess) => {
    stderr = '';
    let text = '';
    (c.stdio[3] as Readable).setEncoding('utf8').on('data', (d: string) => {
      text += d;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        if (c === child) onLine(text.slice(0, nl));
        text = text.slice(nl + 1);
      }
    });
    c.stderr!.on('data', (d: Buffer) => {
      if (c === child) stderr = (stderr + d.toString()).slice(-4000);
    });
    // The child may exit before it is given its input (cancel); a write then must not throw.
    c.stdin!.on('error', () => {});
    exited = new Promise((resolve) => {
      // It may have died already (adopted from bin/parity.js): its exit is not emitted again.
      if (c.exitCode !== null || c.signalCode !== null) resolve({ code: c.exitCode });
      c.on('error', (error) => resolve({ code: null, error }));
      c.on('exit', (code) => resolve({ code }));
    });
  };
  attach(child);
  let started = false;
  let tmp: string | undefined;
  const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  // A stop (signal, orphaned) at any time: the vitest processes (their workers are threads), the
  // run's temp folder and a bundle build a child had under way go. Kept until the run's end.
  const unregister = onStop('the suites (vitest)', async () => {
    await Promise.all(
      children.filter(running).map((c) => {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        return gone;
      }),
    );
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    for (const c of children) removeBuildsOf(c.pid);
  });
  child.once('exit', () => {
    if (tmp === undefined) unregister(); // cancelled, or died before its input: nothing to remove
  });
  return {
    cancel() {
      if (!started) child.stdin!.end(); // the child exits on end of input
      started = true;
    },
    async run(run) {
      if (started) throw new Error('startSuiteRunner: run() called twice or after cancel()');
      started = true;
      if (isStopping()) throw new CannotRunError('stopping: the suites were not run');
      const dir = (tmp = mkdtempSync(join(tmpdir(), 'parity-run-')));
      if (early?.withoutExtraCa && !run.labOnly) {
        // Started for a lab run without the certificates the user added; this run may check
        // one: a child with the whole environment instead. The first has nothing of the run.
        const first = child;
        first.once('exit', () => removeBuildsOf(first.pid));
        if (running(first)) first.kill('SIGKILL');
        children.push((child = spawnChild(early.args)));
        attach(child);
        mark('run: vitest child replaced (with NODE_EXTRA_CA_CERTS)');
      }
      const out = join(dir, 'checks.json');
      const timer = setTimeout(() => child.kill('SIGKILL'), run.killAfterMs);
      // Read as soon as the child says the results are written: it exits meanwhile.
      const done = new Promise<void>((resolve) => {
        onLine = (line) => {
          if (line === 'started') run.onStarted?.();
          else if (line === 'done') resolve();
        };
      });
      try {
        child.stdin!.end(JSON.stringify({ ...run, out }) + '\n');
        const said = await Promise.race([done.then(() => true), exited.then(() => false)]);
        let ended = said ? undefined : await exited;
        if (ended?.error) throw ended.error;
        const results = () => {
          try {
            return readFileSync(out, 'utf8');
          } catch {
            return undefined;
          }
        };
        let text = results();
        if (text === undefined && said) {
          // Said done, yet no results (it should not be): what its exit leaves.
          ended = await exited;
          text = results();
        }
        if (text === undefined) {
          const code = ended?.code ?? null;
          const why = code === null ? `killed after ${run.killAfterMs} ms` : `exited ${code}`;
          const last = whyOf(stderr);
          throw new CannotRunError(`the suites did not run (vitest ${why})${last ? `: ${last}` : ''}`);
        }
        return JSON.parse(text) as CheckResult[];
      } finally {
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
        unregister();
      }
    },
  };
}

export function runSuites(run: SuiteRun): Promise<CheckResult[]> {
  return startSuiteRunner().run(run);
}
