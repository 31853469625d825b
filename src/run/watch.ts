// `parity watch [-- CMD ARGS...]`: while CMD runs (or for --duration seconds), steady users
// through the ALB record what they see; check deploy.watch judges it (src/checks/watch-judge.ts).
// CMD runs in its own process group; a signal stops that whole group and the traffic, and the
// report of what was seen so far is still written (then the signal's exit code, 130/143).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { targetContext, type TargetProvider } from '../contract/target.js';
import { UsageError } from '../errors.js';
import { onStop } from '../process/lifecycle.js';
import type { CheckResult } from '../contract/result.js';
import type { WatchEvidence } from '../contract/evidence.js';
import { summarize, type RunResults } from '../report/model.js';
import type { WrittenRun } from '../report/results-json.js';

export interface WatchOptions {
  target: TargetProvider;
  env: string;
  out: string;
  /** Seconds to watch without CMD; with CMD, the longest it may run. */
  durationSeconds?: number;
  rate?: number;
  users?: number;
  /** Journey users (default: 2 on staging when the config has journeys; never on production). */
  journeyUsers?: number;
  command?: string[];
  log: (line: string) => void;
  /** CMD's output (it goes to stderr: stdout is the report's, with --json). */
  commandOutput?: (chunk: Buffer) => void;
}

/** Without CMD; and the bound of a CMD's run. */
const DEFAULT_WATCH_SECONDS = 60;
const MAX_WATCH_SECONDS = 3600;
/** The default and the ceiling on role: production (read-only GETs, bounded). */
const PRODUCTION_MAX_RATE = 20;
const MAX_RATE = 200;
const DEFAULT_USERS = 10;
const DEFAULT_JOURNEY_USERS = 2;
const MAX_JOURNEY_USERS = 20;
/** A CMD told to stop (its group got SIGTERM) has this long before SIGKILL. */
const CMD_GRACE_MS = 5000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** After CMD ends, users go on this long: what they see once the deploy is done counts too. */
const AFTER_CMD_MS = 3000;

export function checkWatchOptions(o: {
  rate?: number;
  durationSeconds?: number;
  journeyUsers?: number;
  role: string;
}): void {
  const j = o.journeyUsers;
  if (j !== undefined && !(Number.isInteger(j) && j >= 0 && j <= MAX_JOURNEY_USERS)) {
    throw new UsageError(`--journey-users: must be a whole number from 0 to ${MAX_JOURNEY_USERS} (got ${j})`);
  }
  const max = o.role === 'production' ? PRODUCTION_MAX_RATE : MAX_RATE;
  if (o.rate !== undefined && !(Number.isFinite(o.rate) && o.rate > 0 && o.rate <= max)) {
    throw new UsageError(
      `--rate: must be a number of requests per second above 0 and at most ${max}${o.role === 'production' ? ' on a role: production environment (read-only, bounded)' : ''} (got ${o.rate})`,
    );
  }
  const d = o.durationSeconds;
  if (d !== undefined && !(Number.isFinite(d) && d >= 1 && d <= MAX_WATCH_SECONDS)) {
    throw new UsageError(`--duration: must be a number of seconds from 1 to ${MAX_WATCH_SECONDS} (got ${d})`);
  }
}

export async function runWatch(opts: WatchOptions): Promise<WrittenRun> {
  const target = await opts.target();
  try {
    const config = target.config;
    const ctx = targetContext(config, opts.env); // unknown --env: a usage error before anything runs
    const role = ctx.env.role;
    checkWatchOptions({
      rate: opts.rate,
      durationSeconds: opts.durationSeconds,
      journeyUsers: opts.journeyUsers,
      role,
    });
    const rate = opts.rate ?? PRODUCTION_MAX_RATE;
    const users = opts.users ?? DEFAULT_USERS;
    const writes = role === 'staging';
    // Journeys write: only ever on staging, whatever the flags say.
    const journeyUsers = writes && config.journeys.length ? (opts.journeyUsers ?? DEFAULT_JOURNEY_USERS) : 0;
    if (!writes && opts.journeyUsers)
      opts.log(`watch: --journey-users ignored on ${opts.env} (${role}): journeys write`);
    const maxMs = (opts.durationSeconds ?? (opts.command ? MAX_WATCH_SECONDS : DEFAULT_WATCH_SECONDS)) * 1000;
    // Requests must not outlive the watch's bound (timeoutFor reads the deadline).
    ctx.deadline = Date.now() + maxMs + 30_000;
    const [{ watchTraffic }, { judgeWatch }, { watchJourneys }] = await Promise.all([
      import('../checks/watch-users.js'),
      import('../checks/watch-judge.js'),
      import('../checks/watch-journeys.js'),
    ]);

    const started = new Date();
    const t0 = performance.now();
    const since = () => Math.round(performance.now() - t0);
    const stop = new AbortController();
    let interrupted: string | null = null;
    const traffic = watchTraffic(ctx, { users, rate, writes, signal: stop.signal, maxMs });
    const journeyTraffic = watchJourneys(ctx, {
      users: journeyUsers,
      journeys: config.journeys,
      signal: stop.signal,
      maxMs,
      t0,
    });
    opts.log(
      `watch: ${users} sticky users + 1 new user${journeyUsers ? ` + ${journeyUsers} journey users` : ''} at ${rate} req/s through ${ctx.env.url} (${opts.env}, ${role}${writes ? '' : ', read-only GETs'})${opts.command ? `, while "${opts.command.join(' ')}" runs` : `, for ${maxMs / 1000} s`}`,
    );

    let command: WatchEvidence['command'] = null;
    let child: ChildProcess | undefined;
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((done) => {
      if (!opts.command) {
        timer = setTimeout(done, maxMs);
        stop.signal.addEventListener('abort', () => done(), { once: true });
        return;
      }
      // "parity" is this parity (its bin), so `parity watch -- parity lab deploy ...` works
      // wherever parity runs, on PATH or not.
      const [file, ...args] =
        opts.command[0] === 'parity'
          ? [process.execPath, join(PROJECT_ROOT, 'bin', 'parity.js'), ...opts.command.slice(1)]
          : opts.command;
      command = { argv: opts.command, exitCode: null, signal: null, startMs: since(), endMs: null };
      const cmd = command;
      child = spawn(file, args, {
        detached: true, // its own process group: a stop reaches everything it started
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...labEnv(target) },
      });
      const out = opts.commandOutput ?? ((c: Buffer) => process.stderr.write(c));
      child.stdout?.on('data', out);
      child.stderr?.on('data', out);
      child.on('error', (err) => {
        cmd.error = err.message;
        cmd.endMs = since();
        done();
      });
      child.on('exit', (code, signal) => {
        cmd.exitCode = code;
        cmd.signal = signal;
        cmd.endMs = since();
        done();
      });
      // Bounded like everything else: a CMD that never ends is stopped at the watch's bound.
      timer = setTimeout(() => void killGroup(child!), maxMs);
    });

    const write = async (): Promise<WrittenRun> => {
      await ended;
      clearTimeout(timer);
      if (command && !stop.signal.aborted) await abortableSleep(AFTER_CMD_MS, stop.signal);
      stop.abort();
      const [samples, loops] = await Promise.all([traffic, journeyTraffic]);
      const durationMs = since();
      const verdict = judgeWatch(
        samples,
        {
          startedAt: started,
          durationMs,
          role,
          rate,
          users,
          writes,
          command,
          interrupted,
          journeyUsers,
        },
        loops,
      );
      const check: CheckResult = {
        id: 'deploy.watch',
        env: opts.env,
        status: verdict.status,
        diagnosis: verdict.diagnosis,
        durationMs,
        evidence: verdict.evidence as unknown as Record<string, unknown>,
      };
      const { newRunId, writeRun } = await import('../report/results-json.js');
      const results: RunResults = {
        schemaVersion: 1,
        runId: newRunId('watch', started),
        mode: 'watch',
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        environments: { [opts.env]: { url: ctx.env.url, role } },
        checks: [check],
        criteria: [],
        summary: summarize([check]),
      };
      return writeRun(opts.out, results);
    };
    const finish = write();
    // A signal: stop CMD's whole group and the traffic, then still write what was seen (the
    // stop waits for it, so the exit code 130/143 comes after the report).
    const seen = (sig: NodeJS.Signals) => (interrupted ??= sig);
    for (const sig of SIGNALS) process.once(sig, seen);
    const unregister = onStop('the watch (its command and traffic)', async () => {
      interrupted ??= 'a stop (the parent process exited)';
      stop.abort();
      if (child) await killGroup(child);
      await finish.catch(() => {});
    });
    try {
      return await finish;
    } finally {
      unregister();
      for (const sig of SIGNALS) process.off(sig, seen);
    }
  } finally {
    await target.release();
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), done()), { once: true });
  });
}

/** Where a lab command run as CMD finds the lab this watch runs against. */
function labEnv(target: { source: string; configFile: string }): Record<string, string> {
  return target.source === 'config' ? {} : { PARITY_LAB_DIR: dirname(target.configFile) };
}

/** SIGTERM to CMD's process group, SIGKILL after the grace; resolves once the group is gone. */
async function killGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + CMD_GRACE_MS;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) signal('SIGKILL');
  const hard = Date.now() + 2000;
  while (alive() && Date.now() < hard) await new Promise((r) => setTimeout(r, 50));
}
