import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { labDown } from '../src/lab/lab.js';
import { readState } from '../src/lab/state.js';
import { waitFor } from '../src/lab/processes.js';
import { BIN, runCli } from './helpers/cli.js';
import { processesMentioning } from './helpers/procs.js';

const dirs: string[] = [];
function labDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parity-labcli-'));
  dirs.push(dir);
  return dir;
}

// Whatever a test did, its labs are stopped by pid and their folders removed.
afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('parity lab up | status | down', () => {
  it('prints the contract JSON, reports status, and leaves no process after down', async () => {
    const dir = labDir();
    const env = { PARITY_LAB_DIR: dir };
    const up = await runCli(['lab', 'up', '--json'], { env });
    expect(up.code, up.stderr).toBe(0);
    const json = JSON.parse(up.stdout);
    expect(Object.keys(json.environments).sort()).toEqual(['production', 'staging']);
    for (const e of Object.values(json.environments) as Record<string, unknown>[]) {
      expect(e.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(e.redis).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(e.instances).toEqual([
        { id: expect.any(String), url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) },
        { id: expect.any(String), url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) },
      ]);
    }
    expect(json.config).toBe(join(dir, 'parity.config.yaml'));
    expect(processesMentioning(dir).length).toBeGreaterThanOrEqual(8);

    const status = await runCli(['lab', 'status', '--json'], { env });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: 'running',
      running: true,
      environments: json.environments,
    });

    const down = await runCli(['lab', 'down'], { env });
    expect(down.code).toBe(0);
    expect(processesMentioning(dir)).toEqual([]);
    // The lab's own config pointed at ports now closed: it is gone with the lab.
    expect(existsSync(json.config)).toBe(false);
    const after = await runCli(['lab', 'status'], { env });
    expect(after.code).toBe(0);
    expect(after.stderr).toContain('not running');
  });

  it('cleans up after a lab up that was killed half-way', async () => {
    const dir = labDir();
    const child = spawn(process.execPath, [BIN, 'lab', 'up'], {
      env: { ...process.env, PARITY_LAB_DIR: dir },
      stdio: 'ignore',
    });
    // Kill the CLI as soon as it has started some processes, before the lab is ready.
    await waitFor(
      'lab up to start processes',
      async () => (readState(dir)?.processes.length ?? 0) >= 2,
      20_000,
      5,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    expect(readState(dir)?.ready).toBe(false);
    expect(processesMentioning(dir).length).toBeGreaterThan(0);

    const status = await runCli(['lab', 'status', '--json'], { env: { PARITY_LAB_DIR: dir } });
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'stale', running: false });
    const down = await runCli(['lab', 'down'], { env: { PARITY_LAB_DIR: dir } });
    expect(down.code).toBe(0);
    expect(processesMentioning(dir)).toEqual([]);
  });

  it('detects a stale lab (a process died) and starts afresh on the next up', async () => {
    const dir = labDir();
    const env = { PARITY_LAB_DIR: dir };
    expect((await runCli(['lab', 'up'], { env })).code).toBe(0);
    const victim = readState(dir)!.processes.find((p) => p.role === 'haproxy')!;
    process.kill(victim.pid, 'SIGKILL');
    await waitFor('the process to die', async () => !processesMentioning(dir).includes(victim.pid), 5000);

    const status = await runCli(['lab', 'status'], { env });
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('stale');

    const again = await runCli(['lab', 'up', '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('stale');
    const state = readState(dir)!;
    expect(state.ready).toBe(true);
    expect(state.processes.map((p) => p.pid)).not.toContain(victim.pid);
    expect(processesMentioning(dir).sort()).toEqual(state.processes.map((p) => p.pid).sort());
  });

  it('names the missing packages and how to install them, with exit 3 and no stack trace', async () => {
    const dir = labDir();
    const r = await runCli(['lab', 'up'], {
      // refused: as root the lab would otherwise install them (test/binaries.test.ts)
      env: { PARITY_LAB_DIR: dir, PARITY_LAB_BIN_PATH: '/nonexistent', PARITY_NO_INSTALL: '1' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /haproxy and redis-server not installed .*apt-get install -y haproxy redis-server.*PARITY_NO_INSTALL/,
    );
    expect(processesMentioning(dir)).toEqual([]);
  });

  it('rejects an unknown fault with exit 2', async () => {
    const r = await runCli(['lab', 'up', '--fault', 'nope'], { env: { PARITY_LAB_DIR: labDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^parity: unknown fault "nope"; known: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
