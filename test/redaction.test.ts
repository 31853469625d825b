// Issue 12 item 1: a password planted in the config (the ALB URL's userinfo, a ${VAR} for the
// login, a Redis URL) reaches no output of any command: not stdout, not stderr, not a file in
// the folder the commands write to (reports, history, fingerprint, shard parts).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpServer, redisServer, type Local } from './helpers/bad-servers.js';
import { runCli } from './helpers/cli.js';

const URL_PASSWORD = 'PlantedUrlPw4711';
const APP_PASSWORD = 'PlantedAppPw0815';
const REDIS_PASSWORD = 'PlantedRedisPw42';
const PLANTED = [URL_PASSWORD, APP_PASSWORD, REDIS_PASSWORD];

const work = mkdtempSync(join(tmpdir(), 'parity-redaction-'));
let app: Local;
let redis: Local;
let config: string;

beforeAll(async () => {
  let n = 0;
  app = await httpServer((req, res) => {
    const id = n++ % 2 === 0 ? 'i-00000000000000a01' : 'i-00000000000000b02';
    res.writeHead(200, { 'content-type': 'application/json', 'x-instance-id': id, 'x-app-version': '1.0.0' });
    // The app echoes what it was sent, as a careless one might: the login's password included.
    res.end(
      req.url === '/health' ? '{"overall":"healthy"}' : JSON.stringify({ status: 'ok', echo: req.url }),
    );
  });
  redis = await redisServer({ password: REDIS_PASSWORD });
  const url = `http://admin:${URL_PASSWORD}@127.0.0.1:${app.port}`;
  config = join(work, 'parity.config.yaml');
  writeFileSync(
    config,
    [
      'environments:',
      `  staging: { role: staging, url: "${url}", redis: { url: "redis://:\${REDIS_PW}@127.0.0.1:${redis.port}" } }`,
      `  production: { role: production, url: "${url}" }`,
      'app:',
      '  session:',
      '    login: { method: POST, path: /auth/signin, json: { email: a@b.c, password: "${APP_PASSWORD}" }, token: /token }',
      'load: { duration: 1s, connections: 2 }',
      '',
    ].join('\n'),
  );
}, 30_000);

afterAll(async () => {
  await app?.close();
  await redis?.close();
  rmSync(work, { recursive: true, force: true });
});

const env = { APP_PASSWORD, REDIS_PW: REDIS_PASSWORD };
const streams: string[] = [];
async function parity(args: string[]) {
  const r = await runCli(args, { env, cwd: work, timeoutMs: 90_000 });
  streams.push(`$ parity ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('a planted password reaches no output', () => {
  it('of any command, stream or file', async () => {
    const out = (name: string) => join(work, 'out', name);
    mkdirSync(out('fp'), { recursive: true });
    const runs = [
      await parity(['load', '--config', config]),
      await parity(['load', '--config', config, '--json']),
      await parity(['load', '--config', config, '--shard', '1/2', '--out', out('part-1.json')]),
      await parity(['load', '--config', config, '--shard', '2/2', '--out', out('part-2.json'), '--json']),
      await parity(['load', 'merge', out('part-1.json'), out('part-2.json'), '--json']),
      await parity(['smoke', '--config', config, '--out', out('reports'), '--json']),
      await parity(['nightly', '--config', config, '--out', out('reports'), '--deadline', '60']),
      await parity([
        'fingerprint',
        '--config',
        config,
        '--env',
        'staging',
        '--samples',
        '1',
        '--out',
        out('fp/s.json'),
      ]),
      await parity(['fingerprint', '--config', config, '--env', 'production', '--samples', '1']),
      await parity(['diff', out('fp/s.json'), out('fp/s.json'), '--config', config]),
    ];
    // Each command ran to its end (a check may fail against this stand-in; none crashed or hung).
    for (const r of runs) expect(r.code, r.stderr).not.toBeNull();
    expect(runs.map((r) => r.code)).not.toContain(2);
    const files = filesUnder(join(work, 'out'));
    // The commands wrote what they are for: shard parts, the four reports, history, fingerprint.
    for (const f of [
      'part-1.json',
      'results.json',
      'junit.xml',
      'signoff.md',
      'signoff.html',
      'history.jsonl',
      's.json',
    ])
      expect(
        files.some((p) => p.endsWith(f)),
        f,
      ).toBe(true);
    const outputs = [...streams.map((text, i) => ({ where: `streams of run ${i}`, text }))];
    for (const f of files) outputs.push({ where: f, text: readFileSync(f, 'utf8') });
    for (const { where, text } of outputs)
      for (const pw of PLANTED) expect(text.includes(pw), `${pw} in ${where}`).toBe(false);
    // The URL is still shown, with its password replaced.
    expect(streams.join('\n')).toMatch(/admin:\[redacted\]@127\.0\.0\.1/);
  }, 400_000);
});
