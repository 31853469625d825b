// Issue 12 items 2-4: a signal (SIGINT, SIGTERM) or the parent's death at any stage of lab up,
// smoke, load and nightly leaves no process and no temporary file of parity's, says in one
// line what it stopped and exits 130/143; the next lab up works. And a lock on the lab folder:
// two concurrent `lab up` give one lab and no orphan.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesOf, waitFor } from '../src/lab/processes.js';
import { readState } from '../src/lab/state.js';
import { BIN, runCli } from './helpers/cli.js';
import { processesMentioning } from './helpers/procs.js';

const work = mkdtempSync(join(tmpdir(), 'parity-signals-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const COMMANDS: Record<string, string[]> = {
  'lab up': ['lab', 'up'],
  smoke: ['smoke', '--out', 'reports'],
  // Long enough never to end by itself before the stop (the stop cuts it short).
  load: ['load', '--duration', '60', '--connections', '2'],
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

/** A bin folder whose haproxy waits 60 s before it starts (its sleep ends with it); redis-server as is. */
function slowHaproxy(root: string): string {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'haproxy'),
    '#!/bin/sh\ntrap \'kill $!; exit 143\' TERM INT\nsleep 60 &\nwait $!\nexec /usr/sbin/haproxy "$@"\n',
    { mode: 0o755 },
  );
  writeFileSync(join(bin, 'redis-server'), '#!/bin/sh\nexec /usr/bin/redis-server "$@"\n', { mode: 0o755 });
  return bin;
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

/** Every live descendant of pid (detached lab processes stay children of their starter). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function aliveOf(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) Z/.test(stat);
    } catch {
      return false;
    }
  });
}

/** What a stopped command left: any process it had started (or naming its folders), any temp file. */
function leftovers(s: ReturnType<typeof sandbox>, started: number[]): { pids: number[]; files: string[] } {
  const pids = [...new Set([...aliveOf(started), ...processesMentioning(s.root)])];
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
    const hows = ['SIGINT', 'SIGTERM', 'parent killed'] as const;
    for (const how of hows) {
      it(`${cmd} × ${how}`, async () => {
        const s = sandbox(`${cmd}-${how}`);
        mkdirSync(s.tmp, { recursive: true });
        // lab up: HAProxy starts only after a long pause (a wrapper), so the stop surely comes
        // mid-start (an orphan is noticed within a poll, not at once).
        const env: NodeJS.ProcessEnv = { ...process.env, ...s.env };
        if (cmd === 'lab up') env.PARITY_LAB_BIN_PATH = slowHaproxy(s.root);
        let pid: number;
        let stderr = '';
        let exit: Promise<number | null>;
        let parent: ReturnType<typeof spawn> | undefined;
        if (how === 'parent killed') {
          // A stand-in for npx: parity is its child (its stderr the wrapper's); the wrapper is
          // killed, parity is orphaned.
          const script = `const c=require('child_process').spawn(process.execPath,${JSON.stringify([BIN, ...args])},{stdio:['ignore','ignore','inherit']});console.log(c.pid);setInterval(()=>{},1000)`;
          parent = spawn(process.execPath, ['-e', script], {
            cwd: s.root,
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          parent.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
          // The pipe closes when its last writer, parity, is gone.
          exit = new Promise((r) => parent!.stderr!.once('close', () => r(null)));
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
        await waitFor(`${cmd} to reach its stage`, async () => stageReached(cmd, s), 120_000, 20).catch(
          (err: Error) => {
            parent?.kill('SIGKILL');
            throw new Error(`${err.message}; its stderr: ${stderr}`);
          },
        );
        const started = descendants(pid);
        if (parent) parent.kill('SIGKILL');
        else process.kill(pid, how);
        const code = await exit;
        const why = how === 'parent killed' ? `parent process ${parent!.pid} exited` : how;
        if (how !== 'parent killed') expect(code, stderr).toBe(how === 'SIGINT' ? 130 : 143);
        expect(stderr.trimEnd().split('\n').pop(), stderr).toMatch(new RegExp(`^parity: ${why}: stopped `));
        await gone(pid);
        await waitFor(
          'its processes to exit',
          async () => leftovers(s, started).pids.length === 0,
          30_000,
        ).catch(() => {});
        expect(leftovers(s, started)).toEqual({ pids: [], files: [] });
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

/** A stand-in process (sleeps) whose command line carries args, e.g. a lab process's `--lab-dir=`. */
function sleeper(...args: string[]) {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', ...args], {
    stdio: 'ignore',
  });
  return c;
}

function isAlive(pid: number): boolean {
  return aliveOf([pid]).length === 1;
}

describe('the lab folder is locked', () => {
  it('a lab up while another starter holds the lock refuses naming its pid and stops none of its processes', async () => {
    const s = sandbox('held');
    mkdirSync(s.lab, { recursive: true });
    // The first starter, half-way: its lock, its half-written state, one process it started.
    const holder = sleeper();
    const started = sleeper(`--lab-dir=${s.lab}`);
    try {
      writeFileSync(join(s.lab, 'lock'), `${holder.pid}\n`);
      writeFileSync(
        join(s.lab, 'state.json'),
        JSON.stringify({
          version: 1,
          dir: s.lab,
          startedAt: new Date().toISOString(),
          faults: [],
          environments: {},
          processes: [{ pid: started.pid, role: 'elbv2', name: 'elbv2' }],
          ready: false,
        }),
      );
      const r = await runCli(['lab', 'up'], { env: s.env, cwd: s.root, timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr.trimEnd().split('\n')).toEqual([
        `parity: lab up: another parity (pid ${holder.pid}) is starting the lab in ${s.lab}; wait for it, or run "parity lab down"`,
      ]);
      expect(isAlive(started.pid!)).toBe(true);

      // The holder dies (killed): its lock is stale, the next lab up takes over, and stops the
      // process the dead starter never recorded... here recorded, but found by its --lab-dir= too.
      holder.kill('SIGKILL');
      await gone(holder.pid!);
      const up = await runCli(['lab', 'up'], { env: s.env, cwd: s.root, timeoutMs: 120_000 });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toContain('cleaning up a stale lab');
      expect(isAlive(started.pid!)).toBe(false);
      const down = await runCli(['lab', 'down'], { env: s.env, cwd: s.root });
      expect(down.code).toBe(0);
      expect(processesMentioning(s.lab)).toEqual([]);
    } finally {
      holder.kill('SIGKILL');
      started.kill('SIGKILL');
    }
  }, 300_000);

  it('lab down stops a lab process whose pid never reached the state file (named by --lab-dir=)', async () => {
    const s = sandbox('unrecorded');
    mkdirSync(s.lab, { recursive: true });
    const orphan = sleeper(`--lab-dir=${s.lab}`);
    try {
      const down = await runCli(['lab', 'down'], { env: s.env, cwd: s.root });
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toContain('stopped 1 processes');
      await gone(orphan.pid!);
      expect(processesMentioning(s.lab)).toEqual([]);
    } finally {
      orphan.kill('SIGKILL');
    }
  }, 120_000);

  it('lab down while a lab up is starting stops the starter first: nothing is left', async () => {
    const s = sandbox('down-during-up');
    // HAProxy starts only after a long pause (a wrapper), so the lab up is surely still
    // starting when lab down comes: the race is made, not hoped for.
    const bin = slowHaproxy(s.root);
    const up = spawn(process.execPath, [BIN, 'lab', 'up'], {
      cwd: s.root,
      env: { ...process.env, ...s.env, PARITY_LAB_BIN_PATH: bin },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    up.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((r) => up.once('close', (code) => r(code)));
    await waitFor(
      'lab up to start processes',
      async () => (readState(s.lab)?.processes.length ?? 0) >= 2,
      120_000,
      20,
    );
    const down = await runCli(['lab', 'down'], { env: s.env, cwd: s.root, timeoutMs: 120_000 });
    expect(down.code, down.stderr).toBe(0);
    expect(await exit, stderr).toBe(143);
    expect(processesMentioning(s.lab)).toEqual([]);
    expect(existsSync(join(s.lab, 'lock'))).toBe(false);
    // And the next lab up works.
    const again = await runCli(['lab', 'up'], { env: s.env, cwd: s.root, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli(['lab', 'down'], { env: s.env, cwd: s.root })).code).toBe(0);
    expect(processesMentioning(s.lab)).toEqual([]);
  }, 300_000);

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
      expect(processesMentioning(s.lab).sort()).toEqual(state.processes.map((p) => p.pid).sort());
      const down = await runCli(['lab', 'down'], { env: s.env, cwd: s.root });
      expect(down.code).toBe(0);
      expect(processesMentioning(s.lab)).toEqual([]);
    }
  }, 900_000);
});
