// Runs live suite files through vitest's programmatic API (createVitest) in a child process
// (src/run/vitest-child.mjs), quietly: the collector is the only reporter, the target reaches
// the test workers through the environment (suites/support.ts currentTarget reads it), and
// the child is killed if it outlives the run's deadline.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CannotRunError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
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
}

const CHILD = join(PROJECT_ROOT, 'src/run/vitest-child.mjs');
const COLLECTOR = join(PROJECT_ROOT, 'src/report/collector.ts');

export async function runSuites(run: SuiteRun): Promise<CheckResult[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'parity-run-'));
  const out = join(tmp, 'checks.json');
  const input = { ...run, root: PROJECT_ROOT, collector: COLLECTOR, out };
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CHILD, JSON.stringify(input)], {
        cwd: PROJECT_ROOT,
        // No tsx loader for this process (see vitest-child.mjs); the workers inherit the env.
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), run.killAfterMs);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    let text: string;
    try {
      text = readFileSync(out, 'utf8');
    } catch {
      const why = code === null ? `killed after ${run.killAfterMs} ms` : `exited ${code}`;
      const last = stderr.trim().split('\n').pop() ?? '';
      throw new CannotRunError(`the suites did not run (vitest ${why})${last ? `: ${last}` : ''}`);
    }
    return JSON.parse(text) as CheckResult[];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
