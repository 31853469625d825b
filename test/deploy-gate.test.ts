// The post-deploy gate (issue 14): deploy.consistency against an expected version, the
// --converge wait for a rollout, and both through `parity smoke` on the lab.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { targetContext } from '../src/contract/target.js';
import { converge } from '../src/checks/converge.js';
import { deployConsistency, versionView } from '../src/checks/deploy.js';
import type { CheckResult } from '../src/contract/result.js';
import type { TargetContext, TargetHealthRow } from '../src/contract/target.js';
import { parseConfig } from '../src/config/load.js';
import { closeHttp } from '../src/http/client.js';
import { labFault } from '../src/lab/lab.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { runCli as parity } from './helpers/cli.js';
import { useLab } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const A = 'i-0a57a91e0000000a1';
const B = 'i-0a57a91e0000000b2';

afterAll(() => closeHttp());

describe('versionView (pure)', () => {
  const s = (instance: string | undefined, version: string | undefined) => ({ instance, version });
  it('passes one version on every expected instance, with or without an expected version', () => {
    const samples = [s('a', '1'), s('b', '1'), s('a', '1')];
    expect(versionView(samples, 2, undefined, 'h').problems).toEqual([]);
    expect(versionView(samples, 2, '1', 'h').problems).toEqual([]);
  });
  it('names every instance that is not on the expected version', () => {
    const v = versionView([s('a', '1'), s('b', '1')], 2, '2', 'h');
    expect(v.problems).toEqual(['not on the expected version 2: a → 1, b → 1']);
  });
  it('fewer instances reached than expected is a problem, whatever the versions', () => {
    expect(versionView([s('a', '1'), s('a', '1')], 2, '1', 'h').problems).toEqual([
      'only 1 of 2 instances reached',
    ]);
  });
  it('a version change mid-round shows both versions for that instance', () => {
    const v = versionView([s('a', '1'), s('b', '1'), s('b', '2')], 2, '2', 'h');
    expect(v.table).toEqual({ a: '1', b: '1 / 2' });
    expect(v.problems[0]).toBe('not on the expected version 2: a → 1, b → 1 / 2');
  });
});

/** A fake fleet behind one port: answers alternate between the ids; `versions` can change. */
async function fleet(ids: string[], versions: Record<string, string>) {
  const methods: string[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    methods.push(req.method ?? '?');
    const id = ids[n++ % ids.length];
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-instance-id': id,
      'x-app-version': versions[id],
    });
    res.end('{"overall":"healthy"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const ctx = (expected?: string): TargetContext => {
    const cfg = parseConfig(
      stringify({
        environments: { staging: { role: 'staging', url: `http://127.0.0.1:${port}` } },
        app: { version: { header: 'x-app-version', ...(expected ? { expected } : {}) } },
      }),
      'fleet.yaml',
      {},
    );
    return targetContext(cfg, 'staging', { deadline: Date.now() + 60_000 });
  };
  return { ctx, methods, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('deploy.consistency against a fake fleet', () => {
  it('fails when only one of two instances answers, even on the expected version', async () => {
    const f = await fleet(['a'], { a: '1' });
    try {
      const r = await deployConsistency(f.ctx('1'));
      expect(r.status).toBe('fail');
      expect(r.diagnosis).toBe(
        'only 1 of 2 instances reached (identity: header x-instance-id) (seen: a → 1)',
      );
      expect(r.evidence.expectedVersion).toBe('1');
    } finally {
      await f.close();
    }
  });
});

describe('converge', () => {
  it('waits until the rollout reaches every instance; one event per change; GETs only', async () => {
    const versions = { a: '2', b: '1' };
    const f = await fleet(['a', 'b'], versions);
    const events: { pending: string[]; converged: boolean }[] = [];
    try {
      const r = await converge(f.ctx('2'), {
        limitSeconds: 60,
        intervalMs: 20,
        onChange: (e) => {
          events.push(e);
          versions.b = '2'; // the deploy reaches b once the wait has seen it behind
        },
      });
      expect(r).toMatchObject({
        converged: true,
        expectedVersion: '2',
        pending: [],
        versions: { a: '2', b: '2' },
      });
      expect(r.afterMs).toBeTypeOf('number');
      expect(events[0].pending).toEqual(['not on the expected version 2: b → 1']);
      expect(events.at(-1)).toMatchObject({ converged: true, pending: [] });
      expect(new Set(f.methods)).toEqual(new Set(['GET']));
    } finally {
      await f.close();
    }
  });

  it('waits for unhealthy targets too (ELBv2 where configured)', async () => {
    const f = await fleet(['a', 'b'], { a: '1', b: '1' });
    const ctx = f.ctx('1');
    ctx.env = { ...ctx.env, aws: { region: 'us-east-2', loadBalancerName: 'lb' } };
    const rows = (bState: TargetHealthRow['state']): TargetHealthRow[] => [
      { id: 'a', state: 'healthy' },
      { id: 'b', state: bState, ...(bState === 'initial' ? { reason: 'Elb.RegistrationInProgress' } : {}) },
    ];
    let calls = 0;
    try {
      const r = await converge(ctx, {
        limitSeconds: 60,
        intervalMs: 20,
        describe: async () => rows(++calls < 3 ? 'initial' : 'healthy'),
      });
      expect(r.converged).toBe(true);
      expect(r.rounds).toBe(3);
      expect(r.targets?.map((t) => t.state)).toEqual(['healthy', 'healthy']);
    } finally {
      await f.close();
    }
  });

  it('past the limit it stops and says what did not converge, in bounded rounds', async () => {
    const f = await fleet(['a', 'b'], { a: '1', b: '0.9' });
    const events: string[][] = [];
    try {
      const r = await converge(f.ctx('1'), {
        limitSeconds: 1,
        intervalMs: 100,
        onChange: (e) => events.push(e.pending),
      });
      expect(r.converged).toBe(false);
      expect(r.afterMs).toBeUndefined();
      expect(r.pending).toEqual(['not on the expected version 1: b → 0.9']);
      expect(r.waitedMs).toBeGreaterThanOrEqual(1000);
      // nothing changed, so one event; and at most one round per interval
      expect(events).toEqual([['not on the expected version 1: b → 0.9']]);
      expect(r.rounds).toBeLessThanOrEqual(12);
      // the check then names the instance and the failed wait
      const check = await deployConsistency(f.ctx('1'), { convergence: r });
      expect(check.status).toBe('fail');
      expect(check.diagnosis).toBe(
        'not on the expected version 1: b → 0.9 (seen: a → 1, b → 0.9); did not converge in 1 s',
      );
      expect(check.evidence.convergence).toEqual(r);
    } finally {
      await f.close();
    }
  });
});

describe('parity smoke --expect-version / --converge on the lab', () => {
  const lab = useLab({ topology: stagingOnly() });
  const work = mkdtempSync(join(tmpdir(), 'parity-gate-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const results = (out: string) => JSON.parse(readFileSync(join(out, 'latest', 'results.json'), 'utf8'));
  const deployOf = (r: { checks: CheckResult[] }) => r.checks.find((c) => c.id === 'deploy.consistency')!;

  it('the lab version passes; the wait converges and is recorded; reports show the version', async () => {
    const out = join(work, 'ok');
    const run = await parity(
      ['smoke', '--config', lab.state.config!, '--expect-version', '1.4.2', '--converge', '20', '--out', out],
      { env: { CI: '1' } },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^converge: converged after \d+\.\d s$/m);
    const deploy = deployOf(results(out));
    expect(deploy.diagnosis).toMatch(/^all 2 instances reached run the expected version 1\.4\.2: /);
    expect(deploy.evidence).toMatchObject({
      expectedVersion: '1.4.2',
      convergence: { converged: true, limitSeconds: 20, versions: { [A]: '1.4.2', [B]: '1.4.2' } },
    });
    const targets = (deploy.evidence.convergence as { targets: { state: string }[] }).targets;
    expect(targets.map((t) => t.state)).toEqual(['healthy', 'healthy']);
    expect(readFileSync(join(out, 'latest', 'signoff.md'), 'utf8')).toContain('expected version 1.4.2');
    expect(readFileSync(join(out, 'latest', 'junit.xml'), 'utf8')).toContain(
      '<property name="expectedVersion" value="1.4.2"/>',
    );
    expect(renderMarkdown(results(out))).toMatch(/expected version 1\.4\.2, converged after/);
  });

  it('another version fails, naming both instances and their versions', async () => {
    const run = await parity([
      'smoke',
      '--config',
      lab.state.config!,
      '--expect-version',
      '9.9.9',
      '--out',
      join(work, 'wrong'),
    ]);
    expect(run.code, run.stderr).toBe(1);
    const line = run.stdout.split('\n').find((l) => l.startsWith('deploy.consistency'))!;
    expect(line).toMatch(/FAIL\s+not on the expected version 9\.9\.9: /);
    expect(line).toContain(`${A} → 1.4.2`);
    expect(line).toContain(`${B} → 1.4.2`);
  });

  it('app.version.expected reads ${GIT_SHA}; unset, it is a config error naming the key', async () => {
    const cfg = parse(readFileSync(lab.state.config!, 'utf8'));
    cfg.app.version = { header: 'x-app-version', expected: '${GIT_SHA}' };
    const file = join(work, 'sha.yaml');
    writeFileSync(file, stringify(cfg));
    const out = join(work, 'sha');
    const run = await parity(['smoke', '--config', file, '--out', out], { env: { GIT_SHA: '1.4.2' } });
    expect(run.code, run.stderr).toBe(0);
    expect(deployOf(results(out)).evidence.expectedVersion).toBe('1.4.2');
    const unset = await parity(['smoke', '--config', file], { env: { GIT_SHA: '' } });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toBe(
      `parity: config error: ${file}: app.version.expected: environment variable GIT_SHA is not set\n`,
    );
  });

  it('bad values are usage errors (exit 2, one line)', async () => {
    const bad = await parity(['smoke', '--config', lab.state.config!, '--converge', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('parity: --converge: must be a number of seconds from 0 to 3600 (got "soon")\n');
    const empty = await parity(['smoke', '--config', lab.state.config!, '--expect-version', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^parity: --expect-version: must not be empty/);
  });

  it('version-skew: the wait gives up at the limit and the check names the instance behind', async () => {
    await labFault('version-skew', { dir: lab.dir, topology: stagingOnly() });
    const out = join(work, 'skew');
    const run = await parity(
      ['smoke', '--config', lab.state.config!, '--expect-version', '1.4.2', '--converge', '2', '--out', out],
      { env: { CI: '1' } },
    );
    expect(run.code, run.stderr).toBe(1);
    // in CI (no terminal): one line per change, here the one state the wait saw
    expect(run.stderr.match(/^converge \+\d+\.\d s: waiting for: .*$/gm)).toEqual([
      expect.stringContaining(`: waiting for: not on the expected version 1.4.2: ${B} → 1.5.0`),
    ]);
    expect(run.stderr).toContain(
      `converge: did not converge in 2 s (not on the expected version 1.4.2: ${B} → 1.5.0); running the checks anyway`,
    );
    const deploy = deployOf(results(out));
    expect(deploy.diagnosis).toMatch(
      new RegExp(
        `^not on the expected version 1\\.4\\.2: ${B} → 1\\.5\\.0 \\(seen: ${A} → 1\\.4\\.2, ${B} → 1\\.5\\.0\\); did not converge in 2 s$`,
      ),
    );
    expect(deploy.evidence.convergence).toMatchObject({ converged: false, limitSeconds: 2 });
  });
});
