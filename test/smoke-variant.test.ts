// "The same command works against a different app when only the config changes": a lab
// whose app hides its identity headers (identity only via GET /whoami), names its session
// cookie differently and prefixes its Redis keys differently.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli as parity } from './helpers/cli.js';
import { useLab } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const lab = useLab({
  topology: stagingOnly({
    identityHeaders: false,
    sessionCookie: 'other_sid',
    redisPrefix: 'otherapp:sess:',
  }),
});
const work = mkdtempSync(join(tmpdir(), 'parity-variant-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function userConfig(): string {
  const env = lab.state.environments.staging;
  const file = join(work, 'other-app.yaml');
  writeFileSync(
    file,
    stringify({
      environments: { staging: { role: 'staging', url: env.url, redis: { url: env.redis.main.url } } },
      app: {
        identity: { path: '/whoami', json: '/node' },
        version: { path: '/whoami', json: '/build' },
        session: { cookie: 'other_sid', redisKey: 'otherapp:sess:{sid}' },
      },
    }),
  );
  return file;
}

describe('a different app, only the config changed', () => {
  it('passes with a config describing it', async () => {
    const out = join(work, 'reports');
    const run = await parity(['smoke', '--config', userConfig(), '--out', out]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'latest', 'results.json'), 'utf8'));
    const redis = results.checks.find((c: { id: string }) => c.id === 'sessions.shared-redis');
    expect(redis).toMatchObject({ status: 'pass', evidence: { key: 'otherapp:sess:<sid>' } });
    const deploy = results.checks.find((c: { id: string }) => c.id === 'deploy.consistency');
    expect(deploy.evidence.source).toBe('GET /whoami → /build');
  });

  it('fails with the default (ChatMRPT) settings, saying the identity is missing', async () => {
    const run = await parity(['smoke', '--config', lab.state.config!, '--out', join(work, 'default')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^targets\.reachable\s+staging\s+FAIL\s+no answer carried an instance identity \(header x-instance-id\)/m,
    );
    expect(run.stdout).toMatch(/^deploy\.consistency\s+staging\s+FAIL\s/m);
  });
});
