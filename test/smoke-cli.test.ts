// `parity smoke` end to end: the CLI runs the live suites through vitest against a lab,
// prints the table, writes reports/<run-id>/results.json (+ latest) per the contract,
// and exits 0 / 1 / 2 as documented (README "Exit codes").
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { labFault } from '../src/lab/lab.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { runSuites } from '../src/run/vitest-runner.js';
import { runCli as parity } from './helpers/cli.js';
import { processesMentioning } from './helpers/procs.js';
import { useLab } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const SMOKE_IDS = [
  'health.alb',
  'targets.reachable',
  'targets.registered',
  'network.alb-only',
  'instances.same-build',
  'sticky.cookie',
  'sticky.pinning',
  'sticky.spread',
  'sessions.shared-http',
  'sessions.shared-redis',
  'journey.upload-analyze',
  'deploy.consistency',
];

// results.json (docs/reports.md).
const ResultsJson = z
  .object({
    schemaVersion: z.literal(1),
    runId: z.string().min(1),
    mode: z.literal('smoke'),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    environments: z.record(z.string(), z.object({ url: z.string(), role: z.string() }).strict()),
    checks: z.array(
      z
        .object({
          id: z.string(),
          env: z.string(),
          status: z.enum(['pass', 'fail', 'error', 'skip']),
          durationMs: z.number().int().min(0),
          diagnosis: z.string().min(1),
          evidence: z.record(z.string(), z.unknown()),
        })
        .strict(),
    ),
    criteria: z.array(z.object({ id: z.number(), status: z.string() }).passthrough()),
    summary: z
      .object({ passed: z.number(), failed: z.number(), errored: z.number(), skipped: z.number() })
      .strict(),
    tool: z
      .object({ name: z.literal('parity'), version: z.string(), commit: z.string().optional() })
      .optional(),
  })
  .strict();

const lab = useLab({ topology: stagingOnly() });
const work = mkdtempSync(join(tmpdir(), 'parity-smoke-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('parity smoke', () => {
  it('without a config file uses the running lab: exit 0, results.json per the contract, latest, --json', async () => {
    const cwd = mkdtempSync(join(work, 'cwd-'));
    const pem = join(cwd, 'extra.pem'); // empty: node loads it without a warning
    writeFileSync(pem, '');
    const trace = join(cwd, 'trace.log');
    const run = await parity(['smoke', '--json'], {
      cwd,
      env: { PARITY_LAB_DIR: lab.dir, NODE_EXTRA_CA_CERTS: pem, PARITY_TIMING: trace },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`using the embedded lab already running in ${lab.dir}`);
    // A lab run: its vitest process ran without the extra certificates, and was not replaced.
    const traced = readFileSync(trace, 'utf8');
    expect(traced).toContain('vitest child: node started');
    expect(traced).not.toContain('with NODE_EXTRA_CA_CERTS');
    const out = join(cwd, 'reports');
    const file = join(out, 'latest', 'results.json');
    const results = ResultsJson.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(JSON.parse(run.stdout)).toEqual(results);
    expect(readlinkSync(join(out, 'latest'))).toBe(results.runId);
    expect(results.environments).toEqual({
      staging: { url: lab.state.environments.staging.url, role: 'staging' },
    });
    expect(results.checks.map((c) => c.id)).toEqual(SMOKE_IDS);
    expect(results.checks.every((c) => c.env === 'staging')).toBe(true);
    const byId = Object.fromEntries(results.checks.map((c) => [c.id, c.status]));
    // targets.registered reads the lab's ELBv2 API
    expect(byId).toEqual(Object.fromEntries(SMOKE_IDS.map((id) => [id, 'pass'])));
    expect(results.summary).toEqual({ passed: SMOKE_IDS.length, failed: 0, errored: 0, skipped: 0 });
    // The tool that ran, with the checkout's commit (asked of git while the checks ran).
    const head = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect(results.tool?.commit).toBe(head.status === 0 ? head.stdout.trim() : undefined);
    // smoke covers criteria 1-4 and 6 (6 needs every check of the run); 5 also needs fingerprint.diff
    expect(Object.fromEntries(results.criteria.map((c) => [c.id, c.status]))).toEqual({
      1: 'pass',
      2: 'not-verified',
      3: 'pass',
      4: 'pass',
      5: 'not-verified',
      6: 'pass',
    });
    // with --json the table goes to stderr; no cookie or session values anywhere in the report
    expect(run.stderr).toMatch(/^health\.alb\s+staging\s+PASS\s/m);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/AWSALB=|chatmrpt_session=|[0-9a-f]{32}/);
    // The lab journey captured a value for a later path, streamed, and cleared its data, and
    // the session probe cleared its upload: the lab's data folder holds no upload of the run.
    const journey = results.checks.find((c) => c.id === 'journey.upload-analyze')!;
    const ev = journey.evidence as {
      variants: {
        hopping: { steps: { step: string; captured?: string[]; stream?: { incremental: boolean } }[] };
      };
      teardown: { ok: boolean }[];
    };
    const steps = ev.variants.hopping.steps;
    expect(steps.find((x) => x.step === 'upload')?.captured).toEqual(['session_id']);
    expect(steps.find((x) => x.step === 'chat')?.stream?.incremental).toBe(true);
    expect(ev.teardown.map((t) => t.ok)).toEqual([true, true]);
    const uploads = join(lab.dir, 'staging', 'data', 'instance', 'uploads');
    const left = existsSync(uploads)
      ? readdirSync(uploads, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
      : [];
    expect(left.map((d) => d.name)).toEqual([]);
  });

  it("a smoke leaves a code cache for every package it compiled: the next one compiles none (the test thread's are written before the vitest process exits)", async () => {
    const traced = async () => {
      const trace = join(mkdtempSync(join(work, 'cache-')), 'trace.log');
      const run = await parity(
        ['smoke', '--config', lab.state.config!, '--out', join(work, 'cache-reports')],
        {
          env: { PARITY_TIMING: trace },
        },
      );
      expect(run.code, run.stderr).toBe(0);
      return [...readFileSync(trace, 'utf8').matchAll(/ vendor: (.*)$/gm)].map((m) => m[1]);
    };
    await traced(); // writes what this bundle had no cache for yet, if anything
    const second = await traced();
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((line) => !line.endsWith(' from cache'))).toEqual([]);
  });

  it('usage errors exit 2 with one line', async () => {
    const missing = await parity(['smoke', '--config', join(work, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `parity: config error: config file ${join(work, 'nope.yaml')}: file not found\n`,
    );
    const env = await parity(['smoke', '--config', lab.state.config!, '--env', 'qa']);
    expect(env.code).toBe(2);
    expect(env.stderr).toBe('parity: config error: environments.qa: no such environment (known: staging)\n');
  });

  it('exits 1 naming the cause when the lab is broken (health-degraded)', async () => {
    await labFault('health-degraded', { dir: lab.dir, topology: stagingOnly() });
    const out = join(work, 'broken');
    const run = await parity(['smoke', '--config', lab.state.config!, '--out', out]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(
      /^health\.alb\s+staging\s+FAIL\s+.*i-0a57a91e0000000b2: \/overall is "degraded"/m,
    );
    expect(run.stdout).toMatch(/^sessions\.shared-redis\s+staging\s+PASS\s/m);
    const results = ResultsJson.parse(JSON.parse(readFileSync(join(out, 'latest', 'results.json'), 'utf8')));
    expect(results.summary.failed).toBe(1);
  });
});

describe('parity smoke with no config and no lab running', () => {
  it('starts the embedded lab in a temp folder, runs, stops it, and says so', async () => {
    const cwd = mkdtempSync(join(work, 'fresh-'));
    const run = await parity(['smoke'], { cwd, env: { PARITY_LAB_DIR: join(cwd, 'no-lab-here') } });
    expect(run.code, run.stderr).toBe(0);
    const started = /starting the embedded lab in (\S+) \(stopped after the run\)/.exec(run.stderr);
    expect(started, run.stderr).not.toBeNull();
    expect(run.stderr).toContain('embedded lab stopped');
    expect(processesMentioning(started![1])).toEqual([]);
    expect(existsSync(started![1])).toBe(false);
  });
});

describe('the collector', () => {
  it('reports user tests and suites that fail to load, in file order, without a CheckResult of their own', async () => {
    const dir = join(PROJECT_ROOT, 'test/fixtures/user-suites');
    const checks = await runSuites({
      files: [join(dir, 'broken.suite.ts'), join(dir, 'plain.suite.ts')],
      env: {},
      envName: 'staging',
      testTimeoutMs: 10_000,
      killAfterMs: 60_000,
    });
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['suite:test/fixtures/user-suites/broken.suite.ts', 'error'],
      ['user.passes', 'pass'],
      ['user.fails', 'fail'],
      ['user.throws', 'error'],
      ['user.skipped', 'skip'],
    ]);
    expect(checks[0].diagnosis).toMatch(/no-such-module/);
    expect(checks[2].diagnosis).toMatch(/^one is two/);
    expect(checks[3].diagnosis).toBe('could not reach the thing');
    expect(checks.every((c) => c.env === 'staging')).toBe(true);
  });
});
