// Issue 26: `parity watch` proves what users saw during a rolling deploy of the lab: a drained
// deploy costs nothing, a deploy in place (--no-drain) is named with its errors, instance and
// seconds, a CMD that fails fails the watch, and a signal stops CMD's whole process group and still writes
// the partial report.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WatchEvidence } from '../src/contract/evidence.js';
import { waitFor } from '../src/lab/processes.js';
import { parse, stringify } from 'yaml';
import { BIN, runCli } from './helpers/cli.js';
import { recordingProxy } from './helpers/recorders.js';
import { useLab, type LabHandle } from './helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'parity-watch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Results {
  checks: { id: string; status: string; diagnosis: string; evidence: WatchEvidence }[];
}
const watchOf = (stdout: string) => (JSON.parse(stdout) as Results).checks[0];

/** `parity watch --json ... -- CMD` against the lab; CMD reaches the same lab (PARITY_LAB_DIR). */
function watch(lab: LabHandle, args: string[], cmd: string[], timeoutMs = 240_000) {
  return runCli(
    ['watch', '--config', lab.state.config!, '--out', join(work, 'reports'), '--json', ...args, '--', ...cmd],
    { env: { PARITY_LAB_DIR: lab.dir }, cwd: work, timeoutMs },
  );
}

describe('a drained rolling deploy', () => {
  const lab = useLab();
  it('costs users nothing: exit 0, 0 errors, every session kept, versions in order, the mixed window measured; smoke --expect-version passes after', async () => {
    const r = await watch(lab, [], ['parity', 'lab', 'deploy', '--version', '1.5.0']);
    expect(r.code, r.stderr).toBe(0);
    const c = watchOf(r.stdout);
    expect(c).toMatchObject({ id: 'deploy.watch', status: 'pass' });
    const ev = c.evidence;
    expect(ev.errorCount).toBe(0);
    expect(ev.sessions.tracked).toBe(10);
    expect(ev.sessions.lost).toEqual([]);
    expect(ev.perUser.filter((u) => u.flipFlop)).toEqual([]);
    for (const u of ev.perUser) expect(u.versions.map((v) => v.version)).toEqual(['1.4.2', '1.5.0']);
    expect(ev.mixedWindow).toMatchObject({ versions: ['1.4.2', '1.5.0'] });
    expect(ev.moves.every((m) => m.fromWasOut)).toBe(true);
    expect(ev.command).toMatchObject({ exitCode: 0, signal: null });
    // The lab's journey (uploads on shared storage) by 2 journey users (the default), every
    // loop passed although the deploy moved them.
    expect(ev.journeys).toMatchObject({ users: 2, failureCount: 0 });
    expect(ev.journeys!.loops).toBeGreaterThan(2);
    expect(ev.journeys!.perUser.every((u) => u.instances.length > 1)).toBe(true);
    // Each instance stopped answering once, and answered again on the new version.
    for (const i of ev.instances)
      expect(i.outages.map((o) => [o.versionBefore, o.versionAfter])).toContainEqual(['1.4.2', '1.5.0']);
    expect(c.diagnosis).toMatch(
      /^0 errors in \d+ requests from 10 users .*sessions kept 10\/10.*versions 1\.4\.2 → 1\.5\.0, both answering for/,
    );

    const smoke = await runCli(
      ['smoke', '--config', lab.state.config!, '--out', join(work, 'reports'), '--expect-version', '1.5.0'],
      { cwd: work, timeoutMs: 120_000 },
    );
    expect(smoke.code, smoke.stdout + smoke.stderr).toBe(0);
  }, 300_000);
});

describe('a deploy in place (--no-drain)', () => {
  const lab = useLab();
  it('exits 1 naming the errors, the instance and the seconds', async () => {
    const r = await watch(lab, [], ['parity', 'lab', 'deploy', '--version', '1.5.0', '--no-drain']);
    expect(r.code, r.stderr).toBe(1);
    const c = watchOf(r.stdout);
    expect(c.status).toBe('fail');
    expect(c.diagnosis).toMatch(
      /^\d+ user-visible errors of \d+ requests: .*i-0a57a91e0000000a1 HTTP 503×\d+ [\d:–]+ \(s \d+/,
    );
    expect(c.diagnosis).toMatch(/i-0a57a91e0000000b2 (reset×\d+, )?HTTP 503×\d+/);
    expect(c.evidence.errors.some((e) => e.instance === 'i-0a57a91e0000000a1' && e.count > 0)).toBe(true);
  }, 300_000);

  it('on role: production: only body-less GETs, at most 20 req/s; a higher --rate is refused before anything is sent', async () => {
    const proxy = await recordingProxy(lab.state.environments.production.url);
    try {
      const config = parse(readFileSync(lab.state.config!, 'utf8'));
      config.environments.production.url = proxy.url;
      const file = join(work, 'prod-through-proxy.yaml');
      writeFileSync(file, stringify(config));
      const refused = await runCli(['watch', '--config', file, '--env', 'production', '--rate', '50'], {
        cwd: work,
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/--rate: must be .* at most 20 on a role: production environment .*\(got 50\)/),
      ]);
      const badUsers = await runCli(['watch', '--config', file, '--journey-users', '2.5'], { cwd: work });
      expect(badUsers.code).toBe(2);
      expect(badUsers.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/--journey-users: must be a whole number from 0 to 20 \(got 2\.5\)/),
      ]);
      expect(proxy.requests).toEqual([]);
      const t0 = Date.now();
      const r = await runCli(
        [
          'watch',
          '--config',
          file,
          '--env',
          'production',
          '--duration',
          '4',
          // Journeys write: ignored on production whatever the flag says (the proxy would see a POST).
          '--journey-users',
          '3',
          '--out',
          join(work, 'reports'),
          '--json',
        ],
        { cwd: work, timeoutMs: 60_000 },
      );
      const seconds = (Date.now() - t0) / 1000;
      expect(r.code, r.stderr).toBe(0);
      expect(watchOf(r.stdout).evidence).toMatchObject({ role: 'production', writes: false, rate: 20 });
      expect(watchOf(r.stdout).evidence.journeys).toBeUndefined();
      expect(r.stderr).toMatch(/--journey-users ignored on production \(production\): journeys write/);
      expect(proxy.requests.length).toBeGreaterThan(20);
      expect(proxy.requests.length).toBeLessThanOrEqual(20 * seconds);
      expect(proxy.requests.every((q) => q.method === 'GET' && q.body === '')).toBe(true);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a command that exits 5 fails the watch, named', async () => {
    const r = await watch(lab, ['--duration', '60'], ['sh', '-c', 'sleep 1; exit 5'], 60_000);
    expect(r.code, r.stderr).toBe(1);
    const c = watchOf(r.stdout);
    expect(c.diagnosis).toMatch(/^the command "sh -c sleep 1; exit 5" exited 5 after \d+\.\d s/);
    expect(c.evidence.command).toMatchObject({ exitCode: 5, argv: ['sh', '-c', 'sleep 1; exit 5'] });
  }, 90_000);

  it("a signal stops the command's whole process group, leaves no process and writes the partial report", async () => {
    const out = join(work, 'signal');
    const pidFile = join(work, 'grandchild.pid');
    const child = spawn(
      process.execPath,
      [
        BIN,
        ...['watch', '--config', lab.state.config!, '--out', out, '--', 'sh', '-c'],
        // A grandchild of parity's: only a stop of the whole group reaches it.
        `sleep 300 & echo $$ $! > ${pidFile}; wait`,
      ],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await waitFor(
      'the command to start',
      async () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
      30_000,
    );
    const [shell, grandchild] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    await new Promise((r) => setTimeout(r, 1500)); // some traffic first
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(143);
    for (const pid of [shell, grandchild]) expect(() => process.kill(pid, 0), `pid ${pid}`).toThrow(); // gone
    const results = JSON.parse(readFileSync(join(out, 'latest', 'results.json'), 'utf8')) as Results;
    const c = results.checks[0];
    expect(c.status).toBe('fail');
    expect(c.evidence.interrupted).toBe('SIGTERM');
    expect(c.evidence.requests).toBeGreaterThan(0);
    expect(c.evidence.command).toMatchObject({ signal: 'SIGTERM' });
    expect(c.diagnosis).toMatch(/^interrupted by SIGTERM after \d+\.\d s \(partial\)/);
  }, 90_000);
});

describe("uploads on each instance's own disk (fault local-uploads)", () => {
  const lab = useLab({ faults: ['local-uploads'] });
  // Why this is deterministic enough: the rolling deploy takes both instances out in turn, each
  // for longer than a journey user's pause between two requests (1 s), so every journey user
  // is moved at least once (a user on the first instance twice). A move costs the user its
  // upload unless it falls between the send of the loop's last step (the ~0.7 s chat) and the
  // next loop's upload: about 0.8 s of a ~4 s loop. With 6 users all 6+ moves miss with a
  // chance of about 0.2^6 (< 1 in 10 000); a watch without journey users could never fail here.
  it('fails the watch naming a journey user whose work did not survive its move to another instance', async () => {
    const r = await watch(lab, ['--journey-users', '6'], ['parity', 'lab', 'deploy', '--version', '1.5.0']);
    expect(r.code, r.stderr).toBe(1);
    const c = watchOf(r.stdout);
    expect(c.status).toBe('fail');
    // Sessions are in Redis (shared) and the deploy drains: the users' reads saw nothing wrong.
    expect(c.evidence.errorCount).toBe(0);
    expect(c.diagnosis).toMatch(
      /^journey user \d+'s work did not survive its move to another instance: "upload-analyze" loop \d+, step "(analyze|files|chat)" failed at [\d:]+ \(s \d+\) on (i-\w+) after "upload" on (?!\2)i-\w+(, "\w+" on i-\w+)*: answered (404|200 without)/,
    );
    const j = c.evidence.journeys!;
    expect(j.users).toBe(6);
    const lost = j.failures.filter((f) => f.workLost);
    expect(lost.length).toBeGreaterThan(0);
    for (const f of lost) {
      expect(f.movedFrom).not.toContain(f.instance);
      expect(f.earlier[0]).toMatchObject({ step: 'upload' });
    }
    // Every loop ran its teardown (the app's delete endpoint answers on any instance).
    expect(j.teardownFailed).toBe(0);
  }, 300_000);
});

// The deploy faults (restart-no-drain, flip-flop, memory-sessions) are watched the same way by
// the self-test (test/selftest.test.ts), each failing deploy.watch naming the user and the cause.
