// Issue 24 items 3-5: the failover drill's safety machinery against real labs. Two drills at
// once never take staging to zero healthy targets (the second refuses in one line); a drill
// that finds another target leaving (just before, or just after its DeregisterTargets) takes
// nothing out or puts X back at once; a refused DeregisterTargets (nothing taken out) is told
// from an uncertain one (put back); kill -9 of the CLI restores (the vitest process does it),
// kill -9 of both leaves a record that doctor and smoke name and `drill --restore` puts back.
//
// The only stand-in: an HTTP proxy in front of the lab's ELBv2 endpoint, for what the lab
// cannot do on its own (AccessDenied, a 500 after the change was applied, a second drill on
// another machine slipping in between). Everything behind it is the lab's real endpoint on
// HAProxy, called by the real SDK client.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, describe, expect, it } from 'vitest';
import { gatedSend } from '../src/aws/call.js';
import { elbv2, type Elbv2 } from '../src/aws/client.js';
import { drillTargetGroups, targetStates } from '../src/aws/drill.js';
import { failoverSticky, type DrillObservation } from '../src/checks/failover.js';
import { drillUser } from '../src/checks/failover-user.js';
import { loadConfigFile } from '../src/config/load.js';
import type { ParityConfig } from '../src/config/schema.js';
import { targetContext, type TargetContext, type TargetHealthRow } from '../src/contract/target.js';
import { closeHttp } from '../src/http/client.js';
import { waitFor } from '../src/lab/processes.js';
import { serverStats } from '../src/lab/runtime-api.js';
import { loadTopology } from '../src/lab/topology.js';
import { BIN, runCli } from './helpers/cli.js';
import { useLab, type LabHandle } from './helpers/lab.js';

const work = mkdtempSync(join(tmpdir(), 'parity-drill-safety-'));
afterAll(async () => {
  await closeHttp();
  rmSync(work, { recursive: true, force: true });
});
const STATE = process.env.PARITY_STATE_DIR!;
const pendingFiles = () => {
  try {
    return readdirSync(join(STATE, 'pending-restore')).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
};

const configOf = (lab: LabHandle) => loadConfigFile(lab.state.config!);
const ctxOf = (config: ParityConfig): TargetContext =>
  targetContext(config, 'staging', { deadline: Date.now() + 90_000, disruptive: true });

/** The lab's config with staging's ELBv2 endpoint replaced (the proxy). */
function viaProxy(config: ParityConfig, endpoint: string): ParityConfig {
  const staging = config.environments.staging;
  return {
    ...config,
    environments: { ...config.environments, staging: { ...staging, aws: { ...staging.aws!, endpoint } } },
  };
}

async function withElbv2<T>(config: ParityConfig, fn: (e: Elbv2) => Promise<T>): Promise<T> {
  const e = elbv2(ctxOf(config));
  try {
    return await fn(e);
  } finally {
    e.client.destroy();
  }
}

async function rows(lab: LabHandle): Promise<TargetHealthRow[]> {
  return withElbv2(configOf(lab), async (e) => {
    const [group] = await drillTargetGroups(e);
    return targetStates(e, group.arn);
  });
}

/** Bounded: until both targets read healthy in DescribeTargetHealth and HAProxy has both UP. */
async function twoHealthy(lab: LabHandle): Promise<void> {
  await waitFor(
    'two healthy targets',
    async () => {
      const r = await rows(lab);
      const stats = await serverStats(lab.state.environments.staging.socketPath);
      return r.length === 2 && r.every((t) => t.state === 'healthy') && stats.every((s) => s.status === 'UP');
    },
    30_000,
    200,
  );
}

/** Put a target back by hand (a test's cleanup), straight to the lab. */
async function register(lab: LabHandle, id: string): Promise<void> {
  await withElbv2(configOf(lab), async (e) => {
    const [group] = await drillTargetGroups(e);
    const port =
      group.targets.find((t) => t.id === id)?.port ?? lab.state.environments.staging.instances[0].port;
    await gatedSend(
      e,
      new RegisterTargetsCommand({ TargetGroupArn: group.arn, Targets: [{ Id: id, Port: port }] }),
    );
  });
}

type Mode = 'pass' | 'deny' | 'fail-after' | 'slip';

/**
 * A proxy in front of the lab's ELBv2 endpoint: every request is forwarded as it is, except the
 * action set to another mode: deny (403 AccessDenied, nothing forwarded), fail-after (forwarded,
 * then answered 500: applied, but the caller cannot know), slip (a DeregisterTargets of the
 * other target is sent first, as a second drill on another machine would).
 */
async function elbv2Proxy(lab: LabHandle) {
  const upstream = configOf(lab).environments.staging.aws!.endpoint!;
  const ids = lab.state.environments.staging.instances.map((i) => i.id);
  const modes: Record<string, Mode> = {};
  const seen: string[] = [];
  const forward = async (body: string, type: string) =>
    fetch(upstream, { method: 'POST', body, headers: { 'content-type': type } });
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      void (async () => {
        const form = new URLSearchParams(body);
        const action = form.get('Action') ?? '';
        seen.push(`${action}${form.get('Targets.member.1.Id') ? ` ${form.get('Targets.member.1.Id')}` : ''}`);
        const mode = modes[action] ?? 'pass';
        const type = req.headers['content-type'] ?? 'application/x-www-form-urlencoded';
        if (mode === 'deny') {
          res.writeHead(403, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::111111111111:user/ci is not authorized to perform: elasticloadbalancing:${action}</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
          );
          return;
        }
        if (mode === 'slip') {
          const other = ids.find((i) => i !== form.get('Targets.member.1.Id'))!;
          const slipped = new URLSearchParams(form);
          slipped.set('Targets.member.1.Id', other);
          await forward(slipped.toString(), type);
        }
        const answer = await forward(body, type);
        const text = await answer.text();
        if (mode === 'fail-after') {
          res.writeHead(500, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>internal failure</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
          );
          return;
        }
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
        res.end(text);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    modes,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('two concurrent drills on the lab', () => {
  // A 1 s deregistration delay (5 s in the default topology) keeps each round short; nothing
  // here depends on the delay's length.
  const topology = loadTopology();
  topology.environments.staging.targetGroup.deregistrationDelaySeconds = 1;
  const lab = useLab({ topology });

  it('10 rounds: never zero healthy targets, the second refuses in one line', async () => {
    const cwd = mkdtempSync(join(work, 'concurrent-'));
    const env = { PARITY_LAB_DIR: lab.dir };
    for (let round = 1; round <= 10; round++) {
      let sampling = true;
      const samples: { healthy: number; up: number }[] = [];
      const sampler = (async () => {
        const end = Date.now() + 120_000;
        while (sampling && Date.now() < end) {
          const [r, stats] = await Promise.all([
            rows(lab),
            serverStats(lab.state.environments.staging.socketPath),
          ]);
          samples.push({
            healthy: r.filter((t) => t.state === 'healthy').length,
            up: stats.filter((s) => s.status === 'UP').length,
          });
          await new Promise((res) => setTimeout(res, 50));
        }
      })();
      const [a, b] = await Promise.all(
        [0, 1].map(() => runCli(['drill', '--json'], { env, cwd, timeoutMs: 120_000 })),
      ).finally(() => (sampling = false));
      await sampler;
      const results = [a, b].map((r) => ({
        code: r.code,
        check: (JSON.parse(r.stdout) as { checks: { status: string; diagnosis: string }[] }).checks[0],
        stderr: r.stderr,
      }));
      const passed = results.filter((r) => r.code === 0);
      const refused = results.filter((r) => r.code !== 0);
      expect(passed.length, JSON.stringify(results)).toBe(1);
      expect(passed[0].check.status).toBe('pass');
      expect(refused[0].code).toBe(3);
      expect(refused[0].check.status).toBe('error');
      expect(refused[0].check.diagnosis).toMatch(
        /^refused: another failover drill \(pid \d+\) is running on this load balancer \(lock .*drill\.lock\); nothing was taken out$/,
      );
      expect(samples.length, `round ${round}`).toBeGreaterThan(20);
      expect(
        Math.min(...samples.map((s) => s.healthy)),
        `round ${round}: DescribeTargetHealth`,
      ).toBeGreaterThanOrEqual(1);
      expect(Math.min(...samples.map((s) => s.up)), `round ${round}: HAProxy`).toBeGreaterThanOrEqual(1);
      // A drill ran in every round: a target really was out meanwhile.
      expect(Math.min(...samples.map((s) => s.healthy)), `round ${round}`).toBe(1);
      await twoHealthy(lab);
    }
    expect(pendingFiles()).toEqual([]);
  }, 600_000);
});

describe('the drill when another drill or a deploy takes a target out meanwhile', () => {
  const lab = useLab();

  it('another target leaves between the first look and DeregisterTargets: refused, nothing taken out', async () => {
    const config = configOf(lab);
    const ctx = ctxOf(config);
    let other = '';
    const r = await failoverSticky(ctx, {
      // The first part of the user's work runs after the first look: another drill takes the
      // other target out there.
      user: async (c) => {
        const u = await drillUser(c);
        return {
          ...u,
          before: async () => {
            const steps = await u.before();
            other = lab.state.environments.staging.instances.map((i) => i.id).find((i) => i !== u.pinnedTo)!;
            await withElbv2(config, async (e) => {
              const [group] = await drillTargetGroups(e);
              await gatedSend(
                e,
                new DeregisterTargetsCommand({ TargetGroupArn: group.arn, Targets: [{ Id: other }] }),
              );
            });
            return steps;
          },
        };
      },
    });
    try {
      const ev = r.evidence as unknown as DrillObservation;
      expect(r.status, r.diagnosis).toBe('error');
      expect(r.diagnosis).toMatch(
        new RegExp(
          `^refused just before DeregisterTargets: ${other} is draining in .*another drill or a deploy is running; nothing was taken out$`,
        ),
      );
      expect(ev.restore).toBeNull();
      // X was never taken out: it is healthy, the other one draining.
      const now = await rows(lab);
      expect(now.find((t) => t.id === ev.from)?.state).toBe('healthy');
    } finally {
      await register(lab, other);
      await twoHealthy(lab);
    }
  }, 120_000);

  it('another target leaves just as X does: X is registered again at once, and the drill fails saying so', async () => {
    const proxy = await elbv2Proxy(lab);
    proxy.modes.DeregisterTargets = 'slip';
    const r = await failoverSticky(ctxOf(viaProxy(configOf(lab), proxy.url))).finally(() => proxy.close());
    const ev = r.evidence as unknown as DrillObservation;
    const other = lab.state.environments.staging.instances.map((i) => i.id).find((i) => i !== ev.from)!;
    try {
      expect(r.status, r.diagnosis).toBe('fail');
      expect(r.diagnosis).toMatch(
        new RegExp(
          `^another drill or a deploy is running: after DeregisterTargets of ${ev.from} no other target of .* was healthy \\(.*${other} draining.*\\); ${ev.from} was registered again at once$`,
        ),
      );
      expect(ev.restore).toMatchObject({ registered: true });
      // At once: the user's requests were not tried for the re-pin bound.
      expect(ev.rePinTries).toBeLessThan(20);
      expect(proxy.seen.filter((s) => s.startsWith('RegisterTargets'))).toEqual([
        `RegisterTargets ${ev.from}`,
      ]);
    } finally {
      await register(lab, other);
      await twoHealthy(lab);
    }
  }, 120_000);
});

describe('a failed DeregisterTargets: refused (nothing out) or uncertain (put back)', () => {
  const lab = useLab();

  it('AccessDenied: nothing was taken out, no RegisterTargets, no NOT RESTORED', async () => {
    const proxy = await elbv2Proxy(lab);
    proxy.modes.DeregisterTargets = 'deny';
    const alarms: string[] = [];
    const pending = join(mkdtempSync(join(work, 'deny-')), 'pending.json');
    const r = await failoverSticky(ctxOf(viaProxy(configOf(lab), proxy.url)), {
      pendingFile: pending,
      alarm: (l) => alarms.push(l),
    }).finally(() => proxy.close());
    expect(r.status, r.diagnosis).toBe('error');
    expect(r.diagnosis).toMatch(
      /^DeregisterTargets was refused \(.*access denied to elasticloadbalancing:DeregisterTargets \(AccessDenied\).*\): nothing was taken out$/,
    );
    expect(r.diagnosis).not.toMatch(/NOT RESTORED|by hand/);
    expect(alarms).toEqual([]);
    expect(proxy.seen.filter((s) => /^(De)?[Rr]egisterTargets/.test(s))).toEqual([
      `DeregisterTargets ${(r.evidence as unknown as DrillObservation).from}`,
    ]);
    expect((r.evidence as unknown as DrillObservation).restore).toBeNull();
    expect(readdirSync(join(pending, '..'))).toEqual([]);
    await twoHealthy(lab);
  }, 120_000);

  it('a 500 after it was applied: X may be out, so it is registered again', async () => {
    const proxy = await elbv2Proxy(lab);
    proxy.modes.DeregisterTargets = 'fail-after';
    const r = await failoverSticky(ctxOf(viaProxy(configOf(lab), proxy.url))).finally(() => proxy.close());
    const ev = r.evidence as unknown as DrillObservation;
    expect(r.status, r.diagnosis).toBe('fail');
    expect(r.diagnosis).toMatch(
      new RegExp(
        `^DeregisterTargets failed \\(.*\\): ${ev.from} may have been taken out, so it was registered again$`,
      ),
    );
    expect(ev.restore).toMatchObject({ registered: true, answered: true });
    expect(proxy.seen).toContain(`RegisterTargets ${ev.from}`);
    await twoHealthy(lab);
  }, 120_000);
});

/** A `parity drill` as a user starts it, in its own process group (so kill -9 can take both processes). */
function startDrill(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const child = spawn(process.execPath, [BIN, 'drill', ...args], {
    cwd,
    // Its scratch folders in the test's own folder: a CLI killed with -9 cannot remove them.
    env: { ...process.env, TMPDIR: work, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, exit, stderr: () => stderr };
}

/** Until the drill's record is written and its target reads draining (X is out). */
async function untilOut(lab: LabHandle, stderr: () => string): Promise<{ file: string; id: string }> {
  let found: { file: string; id: string } | undefined;
  await waitFor(
    'the drill to take its target out',
    async () => {
      const [file] = pendingFiles();
      if (!file) return false;
      const rec = JSON.parse(readFileSync(join(STATE, 'pending-restore', file), 'utf8')) as {
        target: { id: string };
      };
      const r = await rows(lab);
      found = { file, id: rec.target.id };
      return r.find((t) => t.id === rec.target.id)?.state === 'draining';
    },
    90_000,
    50,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; its stderr: ${stderr()}`);
  });
  return found!;
}

const gone = (pid: number) =>
  waitFor(
    `pid ${pid} to exit`,
    async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    30_000,
  );

describe('kill -9 mid-drill', () => {
  const lab = useLab();

  it('kill -9 of the CLI: its vitest process puts X back before it exits', async () => {
    const cwd = mkdtempSync(join(work, 'kill-cli-'));
    const run = startDrill([], { PARITY_LAB_DIR: lab.dir }, cwd);
    const out = await untilOut(lab, run.stderr);
    const record = JSON.parse(readFileSync(join(STATE, 'pending-restore', out.file), 'utf8')) as {
      pid: number;
    };
    run.child.kill('SIGKILL');
    await run.exit;
    await gone(record.pid); // the vitest process, once it restored
    expect(pendingFiles()).toEqual([]);
    const state = (await rows(lab)).find((t) => t.id === out.id)?.state;
    expect(['initial', 'healthy']).toContain(state);
    await twoHealthy(lab);
  }, 180_000);

  it('kill -9 of both processes: doctor and smoke name X and the command, drill --restore puts it back', async () => {
    const cwd = mkdtempSync(join(work, 'kill-both-'));
    const env = { PARITY_LAB_DIR: lab.dir };
    const run = startDrill([], env, cwd);
    const out = await untilOut(lab, run.stderr);
    process.kill(-run.child.pid!, 'SIGKILL'); // the whole group: the CLI and its vitest process
    await run.exit;
    const record = JSON.parse(readFileSync(join(STATE, 'pending-restore', out.file), 'utf8')) as {
      pid: number;
    };
    await gone(record.pid);
    try {
      expect(pendingFiles()).toEqual([out.file]);
      const loud = [
        `parity: !!! ${out.id} was left out of its target group by a failover drill that did not finish`,
        'parity: !!!   put it back: parity drill --restore --env staging',
      ];
      const doctor = await runCli(['doctor', '--env', 'staging'], { env, cwd, timeoutMs: 60_000 });
      expect(doctor.stderr.split('\n')[0], doctor.stderr).toContain(loud[0]);
      expect(doctor.stderr.split('\n')[1]).toBe(loud[1]);
      expect(doctor.stdout).toContain(
        `FAIL staging: ${out.id} was left out of its target group by a failover drill that did not finish`,
      );
      expect(doctor.stdout).toContain('→ parity drill --restore --env staging');
      expect(doctor.code).toBe(3);
      const smoke = await runCli(['smoke', '--out', 'reports'], { env, cwd, timeoutMs: 120_000 });
      // First thing after the line naming the target: before any check ran.
      const lines = smoke.stderr.split('\n');
      expect(lines[1], smoke.stderr).toContain(loud[0]);
      expect(lines[2]).toBe(loud[1]);
      expect(lines[3]).toMatch(/^parity: !!! {3}\(or by hand: aws elbv2 register-targets .*--targets Id=/);

      const restore = await runCli(['drill', '--restore', '--env', 'staging'], {
        env,
        cwd,
        timeoutMs: 60_000,
      });
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stderr).toContain(`parity: registered ${out.id} again in arn:aws:elasticloadbalancing:`);
      expect(pendingFiles()).toEqual([]);
      expect(['initial', 'healthy']).toContain((await rows(lab)).find((t) => t.id === out.id)?.state);
      const again = await runCli(['drill', '--restore'], { env, cwd, timeoutMs: 60_000 });
      expect(again.code).toBe(0);
      expect(again.stderr).toContain(
        'parity: nothing to restore: no failover drill left a target of staging out',
      );
    } finally {
      for (const f of pendingFiles()) rmSync(join(STATE, 'pending-restore', f), { force: true });
      await register(lab, out.id).catch(() => {});
      await twoHealthy(lab);
    }
  }, 300_000);

  it('kill -9 of both processes, then the next drill: it puts X back first, then drills', async () => {
    const cwd = mkdtempSync(join(work, 'kill-next-'));
    const env = { PARITY_LAB_DIR: lab.dir };
    const run = startDrill([], env, cwd);
    const out = await untilOut(lab, run.stderr);
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.exit;
    const record = JSON.parse(readFileSync(join(STATE, 'pending-restore', out.file), 'utf8')) as {
      pid: number;
    };
    await gone(record.pid);
    try {
      // Back to two healthy targets only through the next drill's restore, which waits for X
      // to rise: the drill's own precondition (every target healthy) must hold when it looks.
      const next = await runCli(['drill', '--json'], { env, cwd, timeoutMs: 180_000 });
      const lines = next.stderr.split('\n');
      expect(lines[1], next.stderr).toBe(
        `parity: ${out.id} was left out by a failover drill that did not finish; putting it back first`,
      );
      expect(lines[2]).toMatch(
        new RegExp(`^parity: registered ${out.id} again in arn:aws:elasticloadbalancing:`),
      );
      expect(pendingFiles()).toEqual([]);
      expect(lines[2]).toMatch(/; healthy$/);
      // X rose before the drill looked: the drill ran (every target healthy), and passed.
      const check = (JSON.parse(next.stdout) as { checks: { status: string; diagnosis: string }[] })
        .checks[0];
      expect(check.status, check.diagnosis).toBe('pass');
      expect(next.code).toBe(0);
    } finally {
      for (const f of pendingFiles()) rmSync(join(STATE, 'pending-restore', f), { force: true });
      await register(lab, out.id).catch(() => {});
      await twoHealthy(lab);
    }
  }, 300_000);

  it('a signal when X cannot be put back: NOT RESTORED with the command, and the last line never says restored', async () => {
    const proxy = await elbv2Proxy(lab);
    const dir = mkdtempSync(join(work, 'sigterm-'));
    const file = join(dir, 'parity.config.yaml');
    const text = readFileSync(lab.state.config!, 'utf8');
    const upstream = configOf(lab).environments.staging.aws!.endpoint!;
    // Staging's ELBv2 through the proxy (production's as it is).
    writeFileSync(file, text.replace(`endpoint: ${upstream}`, `endpoint: ${proxy.url}`));
    let out: { file: string; id: string } | undefined;
    try {
      proxy.modes.RegisterTargets = 'deny';
      const run = startDrill(['--config', file, '--disruptive'], {}, dir);
      out = await untilOut(lab, run.stderr);
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(143);
      const lines = run.stderr().trimEnd().split('\n');
      expect(run.stderr()).toContain(`parity: !!! ${out.id} NOT RESTORED (`);
      expect(run.stderr()).toMatch(/put it back by hand: aws elbv2 register-targets .*--targets Id=/);
      expect(lines.at(-1)).toMatch(/^parity: SIGTERM: stopped /);
      expect(lines.at(-1)).toContain('the failover drill (TARGET NOT RESTORED, see above)');
      expect(run.stderr()).not.toMatch(/target restored|nothing left out/);
      // The record stays (its vitest process could not put X back either); once RegisterTargets
      // is allowed, drill --restore puts X back.
      const record = JSON.parse(readFileSync(join(STATE, 'pending-restore', out.file), 'utf8')) as {
        pid: number;
      };
      await gone(record.pid);
      expect(pendingFiles()).toEqual([out.file]);
      proxy.modes.RegisterTargets = 'pass';
      const restore = await runCli(['drill', '--restore', '--config', file], { cwd: dir, timeoutMs: 60_000 });
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stderr).toContain(`parity: registered ${out.id} again`);
      expect(pendingFiles()).toEqual([]);
    } finally {
      await proxy.close();
      for (const f of pendingFiles()) rmSync(join(STATE, 'pending-restore', f), { force: true });
      if (out) await register(lab, out.id).catch(() => {});
      await twoHealthy(lab);
    }
  }, 300_000);
});
