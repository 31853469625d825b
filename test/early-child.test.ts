// bin/parity.js starts a run's vitest process before anything else (issue 15). A run that ends
// before its suites (a usage error) must still exit at once with its own code, and leave that
// process (and its early worker thread) not running. No lab: nothing reaches a target.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './helpers/until.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'parity-early-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running: /proc has it, and not as a zombie (whoever reaps orphans here may be slow to). */
const running = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const childPid = (trace: string): number | undefined => {
  if (!existsSync(trace)) return undefined;
  const line = readFileSync(trace, 'utf8')
    .split('\n')
    .find((l) => l.endsWith(' vitest child: node started'));
  return line ? Number(line.split(' ')[1]) : undefined;
};

describe('the vitest child started by bin/parity.js', () => {
  it('a run that fails before its suites exits 2 with one line, and the early child exits too', async () => {
    const trace = join(dir, 'trace.log');
    const r = await runCli(['smoke', '--deadline', '0'], {
      env: { PARITY_TIMING: trace },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'parity: --deadline: must be a number of seconds from 1 to 3600 (got "0")',
    ]);
    // The child was started (it traces its start), and it goes once its input is closed.
    expect(await until(() => childPid(trace) !== undefined, 30_000)).toBe(true);
    const pid = childPid(trace)!;
    expect(await until(() => !running(pid), 30_000)).toBe(true);
  });

  it("leaves NODE_EXTRA_CA_CERTS out of a lab run's child (nothing there checks a certificate), not out of any other run's", async () => {
    const pem = join(dir, 'extra.pem'); // empty: node loads it without a warning
    writeFileSync(pem, '');
    const started = async (args: string[], name: string) => {
      const trace = join(dir, `${name}.log`);
      const r = await runCli(['smoke', '--deadline', '0', ...args], {
        cwd: dir, // no parity.config.yaml here
        env: { PARITY_TIMING: trace, NODE_EXTRA_CA_CERTS: pem },
        timeoutMs: 60_000,
      });
      expect(r.code).toBe(2);
      expect(await until(() => childPid(trace) !== undefined, 30_000)).toBe(true);
      await until(() => !running(childPid(trace)!), 30_000);
      return readFileSync(trace, 'utf8').includes('vitest child: with NODE_EXTRA_CA_CERTS');
    };
    expect(await started([], 'lab')).toBe(false);
    expect(await started(['--config', join(dir, 'some.yaml')], 'config')).toBe(true);
    expect(await started(['--suites', dir], 'suites')).toBe(true);
    writeFileSync(join(dir, 'parity.config.yaml'), '');
    try {
      expect(await started([], 'found-config')).toBe(true);
    } finally {
      rmSync(join(dir, 'parity.config.yaml'));
    }
  });

  it('is not started for help', async () => {
    const trace = join(dir, 'help.log');
    const r = await runCli(['smoke', '--help'], { env: { PARITY_TIMING: trace } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--expect-version');
    expect(readFileSync(trace, 'utf8')).not.toContain('vitest child');
  });
});
