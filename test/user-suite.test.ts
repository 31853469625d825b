// A user's own suite, in a folder outside the project, that imports only the package entry
// point ('parity', resolved through a node_modules symlink as an installed package would be),
// runs in `parity smoke` against the lab: by flag (--suites) and by config (suites.extra).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT } from '../src/paths.js';
import { runCli as parity } from './helpers/cli.js';
import { useLab } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const SUITE = `import { checkTest, send, timed } from 'parity';

checkTest('user.ping', (ctx) =>
  timed('user.ping', ctx.name, async () => {
    const res = await send(\`\${ctx.env.url}/ping\`, { timeoutMs: 5000 });
    const ok = res.status === 200 && JSON.parse(res.body).status === 'ok';
    return { status: ok ? 'pass' : 'fail', diagnosis: \`GET /ping answered \${res.status}\`, evidence: { status: res.status } };
  }),
);

checkTest('user.teapot', (ctx) =>
  timed('user.teapot', ctx.name, async () => {
    const res = await send(\`\${ctx.env.url}/no-such-page\`, { timeoutMs: 5000 });
    return { status: res.status === 418 ? 'pass' : 'fail', diagnosis: \`GET /no-such-page answered \${res.status}\`, evidence: {} };
  }),
);
`;

const lab = useLab({ topology: stagingOnly() });
const home = mkdtempSync(join(tmpdir(), 'parity-user-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function userProject(): string {
  mkdirSync(join(home, 'node_modules'), { recursive: true });
  symlinkSync(PROJECT_ROOT, join(home, 'node_modules', 'parity'));
  mkdirSync(join(home, 'my-suites'));
  writeFileSync(join(home, 'my-suites', 'mine.test.ts'), SUITE);
  return home;
}

const checksOf = (stdout: string) =>
  (JSON.parse(stdout) as { checks: { id: string; status: string; diagnosis: string }[] }).checks;

describe("a user's suite folder outside the project", () => {
  const dir = userProject();

  it('runs after the smoke suites with --suites, and its failing check fails the run (exit 1)', async () => {
    const r = await parity(['smoke', '--suites', 'my-suites', '--json', '--out', join(dir, 'reports')], {
      cwd: dir,
      env: { PARITY_LAB_DIR: lab.dir },
      timeoutMs: 120_000,
    });
    expect(r.stderr).toContain('using the embedded lab already running');
    const checks = checksOf(r.stdout);
    expect(checks.map((c) => c.id).slice(-2)).toEqual(['user.ping', 'user.teapot']);
    expect(checks.find((c) => c.id === 'health.alb')?.status).toBe('pass');
    expect(checks.find((c) => c.id === 'user.ping')).toMatchObject({ status: 'pass' });
    expect(checks.find((c) => c.id === 'user.teapot')).toMatchObject({
      status: 'fail',
      diagnosis: 'GET /no-such-page answered 404',
    });
    expect(r.code).toBe(1);
  }, 150_000);

  it('runs from the config key suites.extra, relative to the config file', async () => {
    const config = parse(readFileSync(lab.state.config!, 'utf8'));
    config.suites = { extra: ['./my-suites'] };
    writeFileSync(join(dir, 'parity.config.yaml'), stringify(config));
    const r = await parity(['smoke', '--json', '--out', join(dir, 'reports')], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    const ids = checksOf(r.stdout).map((c) => c.id);
    expect(ids).toContain('sticky.pinning');
    expect(ids.slice(-2)).toEqual(['user.ping', 'user.teapot']);
  }, 150_000);

  it("a run that bin/parity.js took for the lab's alone, but that runs a user's suite, runs it with the user's NODE_EXTRA_CA_CERTS", async () => {
    // No config here and no --suites: bin/parity.js starts the vitest process without the
    // extra certificates; the running lab's config then names a suite of the user's, which may
    // connect anywhere over TLS, so the runner replaces that process with one that has them.
    const home2 = mkdtempSync(join(tmpdir(), 'parity-user-ca-'));
    const pem = join(home2, 'extra.pem');
    writeFileSync(pem, ''); // empty: node loads it without a warning
    mkdirSync(join(dir, 'ca-suite'));
    writeFileSync(
      join(dir, 'ca-suite', 'ca.test.ts'),
      "import { checkTest } from 'parity';\n" +
        "checkTest('user.ca', async () => ({ id: 'user.ca', env: 'staging', status: 'pass', diagnosis: `NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS ?? '(unset)'}`, evidence: {}, durationMs: 0 }));\n",
    );
    const file = lab.state.config!;
    const original = readFileSync(file, 'utf8');
    const config = parse(original);
    config.suites = { extra: [join(dir, 'ca-suite')] };
    writeFileSync(file, stringify(config));
    try {
      const r = await parity(['smoke', '--json', '--out', join(home2, 'reports')], {
        cwd: home2,
        env: { PARITY_LAB_DIR: lab.dir, NODE_EXTRA_CA_CERTS: pem },
        timeoutMs: 120_000,
      });
      expect(checksOf(r.stdout).find((c) => c.id === 'user.ca')?.diagnosis).toBe(
        `NODE_EXTRA_CA_CERTS=${pem}`,
      );
    } finally {
      writeFileSync(file, original);
      rmSync(home2, { recursive: true, force: true });
    }
  }, 150_000);

  it('names a missing suite folder in one line, exit 2', async () => {
    const r = await parity(['smoke', '--suites', 'nowhere', '--config', lab.state.config!], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('parity: suites: nowhere: no such folder');
  }, 60_000);
});
