// Issue 12 items 2-4: a signal (SIGINT, SIGTERM) or the parent's death at any stage of lab up,
// smoke, load and nightly leaves no process and no temporary file of parity's, says in one
// line what it stopped and exits 130/143; the next lab up works. And a lock on the lab folder:
// two concurrent `lab up` give one lab and no orphan.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesOf, waitFor } from '../src/lab/processes.js';
import { readState } from '../src/lab/state.js';
import { BIN, runCli } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'parity-signals-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const COMMANDS: Record<string, string[]> = {
  'lab up': ['lab', 'up'],
  smoke: ['smoke', '--out', 'reports'],
  load: ['load', '--duration', '2', '--connections', '2'],
  nightly: ['nightly', '--out', 'reports'],
};

/** Per case: its own working folder, lab folder and TMPDIR, so what it leaves is its own. */
function sandbox(name: string) {
  const root = mkdtempSync(join(work, `${name.replace(/\W+/g, '-')}-`));
  const tmp = join(root, 'tmp');
  const lab = join(root, 'lab');
  rmSync(tmp, { force: true, recursive: true });
  mkdtempSync(join(root, 'x-'));
  return { root, tmp, lab, env: { PARITY_LAB_DIR: lab, TMPDIR: tmp } };
}

/** The stage at which the command is interrupted: processes started, and (runs) the suites started. */
function stageReached(cmd: string, s: ReturnType<typeof sandbox>): boolean {
  if (cmd === 'lab up') return (readState(s.lab)?.processes.length ?? 0) >= 2;
  if (!existsSync(s.tmp)) return false;
  const entries = readdirSync(s.tmp);
  if (cmd === 'load') {
    const lab = entries.find((e) => e.startsWith('parity-lab-'));
    return lab !== undefined && readState(join(s.tmp, lab))?.ready === true;
  }
  return entries.some((e) => e.startsWith('parity-run-'));
}

function leftovers(s: ReturnType<typeof sandbox>): { pids: number[]; files: string[] } {
  const pids = [...processesOf(s.lab), ...processesOf(s.tmp), ...processesOf(s.root)];
  const files = existsSync(s.tmp) ? readdirSync(s.tmp).filter((f) => f.startsWith('parity-')) : [];
  return { pids, files };
}

async function gone(pid: number): Promise<void> {
  await waitFor(
    `pid ${pid} to exit`,
    async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    60_000,
  );
}

describe.concurrent('a stop at any stage leaves nothing behind', { timeout: 180_000 }, () => {
  for (const [cmd, args] of Object.entries(COMMANDS)) {
    // Parent killed × smoke/load/nightly does not reach its stage in this harness yet (see docs/hardening.md).
    const hows =
      cmd === 'lab up' ? (['SIGINT', 'SIGTERM', 'parent killed'] as const) : (['SIGINT', 'SIGTERM'] as const);
    for (const how of hows) {
      it(`${cmd} × ${how}`, async () => {
        const s = sandbox(`${cmd}-${how}`);
        const { mkdirSync } = await import('node:fs');
        mkdirSync(s.tmp, { recursive: true });
        const env = { ...process.env, ...s.env };
        let pid: number;
        let stderr = '';
        let exit: Promise<number | null> | undefined;
        let parent: ReturnType<typeof spawn> | undefined;
        if (how === 'parent killed') {
          // A stand-in for npx: parity is its child; the parent is killed, parity is orphaned.
          const script = `const c=require('child_process').spawn(process.execPath,${JSON.stringify([BIN, ...args])},{stdio:'ignore'});console.log(c.pid);setInterval(()=>{},1000)`;
          parent = spawn(process.execPath, ['-e', script], {
            cwd: s.root,
            env,
            stdio: ['ignore', 'pipe', 'ignore'],
          });
          pid = await new Promise<number>((r) =>
            parent!.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))),
          );
        } else {
          const child = spawn(process.execPath, [BIN, ...args], {
            cwd: s.root,
            env,
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
          exit = new Promise((r) => child.once('close', (code) => r(code)));
          pid = child.pid!;
        }
        await waitFor(`${cmd} to reach its stage`, async () => stageReached(cmd, s), 120_000, 20);
        if (parent) parent.kill('SIGKILL');
        else process.kill(pid, how);
        if (exit) {
          const code = await exit;
          expect(code, stderr).toBe(how === 'SIGINT' ? 130 : 143);
          expect(stderr.trimEnd().split('\n').pop()).toMatch(new RegExp(`^parity: ${how}: stopped `));
        }
        await gone(pid);
        expect(leftovers(s)).toEqual({ pids: [], files: [] });
        if (cmd === 'lab up') {
          // The next lab up in the same folder works.
          const again = await runCli(['lab', 'up', '--json'], {
            env: s.env,
            cwd: s.root,
            timeoutMs: 120_000,
          });
          expect(again.code, again.stderr).toBe(0);
          const down = await runCli(['lab', 'down'], { env: s.env, cwd: s.root });
          expect(down.code).toBe(0);
          expect(processesOf(s.lab)).toEqual([]);
        }
      });
    }
  }
});

describe('the lab folder is locked', () => {
  it('two concurrent lab up, 10 rounds: one lab, no orphan, a one-line answer for the other', async () => {
    const s = sandbox('lock');
    for (let round = 1; round <= 10; round++) {
      const [a, b] = await Promise.all([
        runCli(['lab', 'up', '--json'], { env: s.env, cwd: s.root, timeoutMs: 120_000 }),
        runCli(['lab', 'up', '--json'], { env: s.env, cwd: s.root, timeoutMs: 120_000 }),
      ]);
      const ok = [a, b].filter((r) => r.code === 0);
      expect(ok.length, `${a.stderr}\n${b.stderr}`).toBeGreaterThanOrEqual(1);
      for (const r of [a, b].filter((x) => x.code !== 0)) {
        expect(r.code).toBe(3);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^parity: lab up: another parity \(pid \d+\) is starting the lab in /);
      }
      // One lab: every process of the folder is a recorded one, all alive.
      const state = readState(s.lab)!;
      expect(state.ready).toBe(true);
      expect(processesOf(s.lab).sort()).toEqual(state.processes.map((p) => p.pid).sort());
      const down = await runCli(['lab', 'down'], { env: s.env, cwd: s.root });
      expect(down.code).toBe(0);
      expect(processesOf(s.lab)).toEqual([]);
    }
  }, 900_000);
});
