// Issue 24 item 6: secrets in journey and session request headers, in a ${VAR} of any name, in
// the ALB URL and in the login body reach no output, even from an app that echoes what it was
// sent in its error pages (a WAF page, a debug 400). The app here is a small bad server on
// 127.0.0.1: it quotes every request header value (bare, without the names the shape rules
// know), the body, and the last login it saw. A step's own Cookie header is merged with the
// jar's cookies, not replaced by them.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpServer, type Local } from './helpers/bad-servers.js';
import { runCli } from './helpers/cli.js';
import { workspace } from './helpers/workspace.js';

// Each a value no shape rule can recognise: only knowing the value itself redacts it.
const HEADER_LITERAL = 'PlantedApiKey7781'; // X-Api-Key: written in the config
const VAR_BY_NAME = 'PlantedDbPass3319'; // X-Pass: ${DB_PASS} (neither name matched before)
const VAR_ANY_NAME = 'PlantedTenant5150'; // X-Tenant: ${TENANT_REF}: secret because it came from ${VAR}
const URL_PASSWORD = 'PlantedUrlPw2024'; // the ALB URL's userinfo
const LOGIN_LITERAL = 'PlantedLoginPw6060'; // the login body's password, written in the config
const LOGIN_PASSCODE = 'PlantedPasscode4242'; // a login body field secret by its name (*pass*)
const COOKIE_VALUE = 'PlantedCookie9090'; // a step's own Cookie header
const RUNTIME_TOKEN = 'PlantedRuntimeTok1357'; // the login's answer: known only at run time
const PLANTED = [
  HEADER_LITERAL,
  VAR_BY_NAME,
  VAR_ANY_NAME,
  URL_PASSWORD,
  LOGIN_LITERAL,
  LOGIN_PASSCODE,
  COOKIE_VALUE,
  RUNTIME_TOKEN,
];

const { work, keep } = workspace('parity-header-secrets-');
const cookiesSeen: string[] = [];

/** The careless app: healthy, two instance ids, a login that answers a token, and 400s that quote everything. */
function echoingApp(): Promise<Local> {
  let n = 0;
  let lastLogin = '';
  return httpServer((req, res) => {
    const id = n++ % 2 === 0 ? 'i-00000000000000a01' : 'i-00000000000000b02';
    // Like the ALB, a sticky cookie on every answer: the jar then has a cookie of its own.
    const headers = {
      'x-instance-id': id,
      'x-app-version': '1.0.0',
      'set-cookie': `AWSALB=${id}; Path=/`,
    };
    const body = (local.hits.at(-1)?.body ?? '').slice(0, 400);
    if (req.url === '/health') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify({ overall: 'healthy', services: {}, timestamp: Date.now() }));
      return;
    }
    if (req.url?.startsWith('/api/team')) cookiesSeen.push(String(req.headers.cookie ?? ''));
    if (req.url === '/auth/signin') {
      lastLogin = body;
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: RUNTIME_TOKEN }));
      return;
    }
    // Values bare (a bearer token without its "Bearer"): no name for a shape rule to catch.
    const values = Object.entries(req.headers as IncomingHttpHeaders)
      .filter(([k]) => !['host', 'connection', 'content-length', 'content-type'].includes(k))
      .map(([, v]) => String(v).replace(/^Bearer /, ''));
    res.writeHead(400, { ...headers, 'content-type': 'text/plain' });
    res.end(`${values.join(' ')} ${body} ${lastLogin} request blocked`);
  });
}
let local: Local;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('header, ${VAR}, URL and login secrets against an app that echoes them', () => {
  it('reach no stream and no file of smoke, nightly, fingerprint and load', async () => {
    local = await keep(echoingApp());
    const url = `http://admin:${URL_PASSWORD}@127.0.0.1:${local.port}`;
    const config = join(work, 'parity.config.yaml');
    writeFileSync(
      config,
      [
        'environments:',
        `  staging: { role: staging, url: "${url}" }`,
        `  production: { role: production, url: "${url}" }`,
        'app:',
        '  session:',
        `    login: { method: POST, path: /auth/signin, json: { email: a@b.c, password: ${LOGIN_LITERAL}, passcode: ${LOGIN_PASSCODE} }, token: /token }`,
        `    write: { method: POST, path: /upload, headers: { X-Api-Key: ${HEADER_LITERAL}, X-Pass: "\${DB_PASS}" }, form: { csv_file: { filename: "{marker}.csv", content: "a,b" } } }`,
        'journeys:',
        '  - name: team',
        '    steps:',
        '      - name: open',
        '        request:',
        '          method: POST',
        '          path: /api/team',
        `          headers: { X-Api-Key: ${HEADER_LITERAL}, X-Pass: "\${DB_PASS}", X-Tenant: "\${TENANT_REF}", Cookie: "team=${COOKIE_VALUE}" }`,
        '          json: { note: "${TENANT_REF}" }',
        '        expect: { status: 200 }',
        'load: { duration: 1s, connections: 2 }',
        '',
      ].join('\n'),
    );
    const env = { DB_PASS: VAR_BY_NAME, TENANT_REF: VAR_ANY_NAME };
    const out = (name: string) => join(work, 'out', name);
    mkdirSync(out('fp'), { recursive: true });
    const streams: string[] = [];
    const parity = async (args: string[]) => {
      const r = await runCli(args, { env, cwd: work, timeoutMs: 120_000 });
      streams.push(`$ parity ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    const runs = [
      await parity(['smoke', '--config', config, '--out', out('reports')]),
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
      await parity(['load', '--config', config, '--shard', '1/2', '--out', out('part-1.json')]),
    ];
    for (const r of runs) expect(r.code, r.stderr).not.toBeNull();
    expect(
      runs.map((r) => r.code),
      streams.join('\n'),
    ).not.toContain(2);
    // The journey did reach the app and quote its answer (else this test would prove nothing).
    const results = JSON.parse(runs[1].stdout) as { checks: { id: string; diagnosis: string }[] };
    const journey = results.checks.find((c) => c.id === 'journey.team');
    expect(journey?.diagnosis).toMatch(/answered 400 \(expected 200\): \[redacted\] \[redacted\]/);
    const files = filesUnder(join(work, 'out'));
    for (const f of ['results.json', 'junit.xml', 'signoff.md', 'signoff.html', 'history.jsonl', 's.json'])
      expect(
        files.some((p) => p.endsWith(f)),
        f,
      ).toBe(true);
    const outputs = streams.map((text, i) => ({ where: `streams of run ${i}`, text }));
    for (const f of files) outputs.push({ where: f, text: readFileSync(f, 'utf8') });
    for (const { where, text } of outputs)
      for (const secret of PLANTED) expect(text.includes(secret), `${secret} in ${where}`).toBe(false);
    // The step's own Cookie went out merged with the jar's (the sticky cookie), not replaced.
    expect(cookiesSeen.length).toBeGreaterThan(0);
    for (const c of cookiesSeen) expect(c).toMatch(new RegExp(`^team=${COOKIE_VALUE}; AWSALB=i-`));
  }, 600_000);
});
