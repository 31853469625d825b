// The load stage against the real lab (HAProxy as the ALB, two app instances). One lab for
// the file: clean runs first, then faults applied one after another (each adds to the last).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runLoadCheck } from '../src/checks/load.js';
import { targetContext } from '../src/contract/target.js';
import { loadConfigFile } from '../src/config/load.js';
import { labFault } from '../src/lab/lab.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { serverStats } from '../src/lab/runtime-api.js';
import { runLoad } from '../src/load/driver.js';
import { planLoad } from '../src/load/plan.js';
import { useLab } from './helpers/lab.js';

const lab = useLab();
const RUN = { connections: 12, duration: 2 };
const staging = () => targetContext(loadConfigFile(lab.state.config!), 'staging');
const ids = () => lab.state.environments.staging.instances.map((i) => i.id);

const cli = (args: string[]) =>
  promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'bin/parity.js'), ...args], {
    cwd: lab.dir,
    env: { ...process.env, CI: '1' },
    timeout: 30_000,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('load on a clean lab', () => {
  it('load.distribution passes, and each instance count equals HAProxy’s own request counter', async () => {
    const env = lab.state.environments.staging;
    const before = await serverStats(env.socketPath);
    const plan = planLoad(staging(), RUN);
    const data = await runLoad(plan.driver);
    const after = await serverStats(env.socketPath);
    expect(Object.keys(data.instances).sort()).toEqual(ids().sort());
    for (const id of ids()) {
      const delta = after.find((s) => s.name === id)!.requests - before.find((s) => s.name === id)!.requests;
      expect(data.instances[id].count, id).toBe(delta);
      expect(data.instances[id].latency.totalCount).toBe(delta);
    }
    expect(data.abandoned).toBe(0);
    expect(data.responses).toBeGreaterThan(200);
    const check = await runLoadCheck(staging(), 'load.distribution', RUN);
    expect(check.status, check.diagnosis).toBe('pass');
    expect(check.diagnosis).toMatch(/\(50\.0%\).*\(50\.0%\)/);
  });

  it('load.sticky passes: every client stays on its first instance, clients on both', async () => {
    const check = await runLoadCheck(staging(), 'load.sticky', RUN);
    expect(check.status, check.diagnosis).toBe('pass');
    expect((check.evidence as Record<string, unknown>).sticky).toMatchObject({
      clients: 12,
      clientsWithCookie: 12,
      violations: 0,
    });
    expect(
      Object.keys(((check.evidence as Record<string, unknown>).sticky as { pinned: object }).pinned).sort(),
    ).toEqual(ids().sort());
  });

  it('parity load --json prints the contract and exits 0; production is refused with exit 2 unless overridden', async () => {
    const config = lab.state.config!;
    const r = await cli(['load', '--config', config, '--json', '--duration', '2', '--connections', '10']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ errors: 0, checks: [{ id: 'load.distribution', status: 'pass' }] });
    expect(out.requests).toBeGreaterThan(100);
    expect(out.rps).toBeCloseTo(out.requests / out.durationSeconds, -1);
    for (const id of ids())
      expect(Object.keys(out.instances[id]).slice(0, 4)).toEqual(['count', 'share', 'p50Ms', 'p99Ms']);
    expect(out.instances[ids()[0]].share + out.instances[ids()[1]].share).toBeCloseTo(1, 6);

    const prodBefore = await serverStats(lab.state.environments.production.socketPath);
    const refused = await cli(['load', '--config', config, '--env', 'production', '--duration', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to load "production": it is role production');
    const prodAfter = await serverStats(lab.state.environments.production.socketPath);
    expect(prodAfter.map((s) => s.requests)).toEqual(prodBefore.map((s) => s.requests));

    // the explicit override lets it through: production's LB counts exactly what parity reports
    const allowed = await cli([
      ...['load', '--config', config, '--env', 'production', '--duration', '1', '--connections', '2'],
      ...['--json', '--allow-production-load'],
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    const sent = JSON.parse(allowed.stdout).requests as number;
    const prodLoaded = await serverStats(lab.state.environments.production.socketPath);
    const delta =
      prodLoaded.reduce((n, s) => n + s.requests, 0) - prodAfter.reduce((n, s) => n + s.requests, 0);
    expect(delta).toBe(sent);
  });
});

describe('load on broken labs', () => {
  it('load.sticky fails when stickiness is off (no-sticky), with the numbers', async () => {
    await labFault('no-sticky', { dir: lab.dir });
    const check = await runLoadCheck(staging(), 'load.sticky', RUN);
    expect(check.status).toBe('fail');
    expect(check.diagnosis).toContain('12 of 12 clients never received the AWSALB cookie');
    expect(check.diagnosis).toMatch(
      /[\d,]+ responses came from another instance than the client's first \(12 of 12 clients moved\)/,
    );
    expect(
      ((check.evidence as Record<string, unknown>).sticky as { violations: number }).violations,
    ).toBeGreaterThan(100);
  });

  it('load.distribution fails on uneven weights (80/20), naming the share and chi²', async () => {
    await labFault('uneven-weights', { dir: lab.dir });
    const check = await runLoadCheck(staging(), 'load.distribution', RUN);
    expect(check.status).toBe('fail');
    const [a, b] = ids();
    expect(check.diagnosis).toMatch(new RegExp(`${b} got (19|20|21)\\.\\d% \\(min 40\\.0%\\)`));
    expect(check.diagnosis).toContain('split differs from equal shares (chi² p below alpha 0.001)');
    expect(check.diagnosis).toMatch(/chi² [\d.]+ \(df 1\) p[<=][\d.e-]+/);
    expect(check.diagnosis).toContain(`${a} `);
  });

  it('load.distribution fails with one instance down, naming it', async () => {
    await labFault('instance-down', { dir: lab.dir });
    const check = await runLoadCheck(staging(), 'load.distribution', RUN);
    expect(check.status).toBe('fail');
    expect(check.diagnosis).toMatch(/^only 1 of 2 expected instances answered;/);
    expect(check.diagnosis).toContain('(unseen #2) 0 (0.0%)');
    expect(check.diagnosis).toContain(`${ids()[0]} `);
    expect(check.diagnosis).toContain('(100.0%)');
  });
});
