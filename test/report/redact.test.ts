// Secrets never reach a report: feed them in evidence, diagnoses and environment URLs, write
// all four reports (and the history line), and look for every one of them in every file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/report/model.js';
import { redactResults, redactText } from '../../src/report/redact.js';
import { REPORT_FILES, writeReports } from '../../src/report/write.js';
import { evidenceLine } from '../../src/report/criteria.js';
import { A, brokenRun, passingRun } from '../fixtures/runs.js';

const dir = await mkdtemp(join(tmpdir(), 'parity-redact-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const S = {
  redisPw: 'Sup3rS3cretRedisPw',
  redisPw2: 'pr0d-Redis!pass',
  bearer: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJlMTIz',
  token: 'tok_live_5f8a9b2c7d1e',
  tokenInText: 'tok_text_99aa88bb77',
  appPassword: 'hunter2-Pa55word',
  akid: 'AKIAIOSFODNN7EXAMPLE',
  akid2: 'ASIAZ7Q3XK4EXAMPLE22',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  awsSecretInText: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEBYaDNkSessionTokenValue',
  awsalb: 'Q2xpZW50U3RpY2t5VmFsdWVFbmNyeXB0ZWQ0Mg',
  awsalbcors: 'Q09SU1N0aWNreVZhbHVlRW5jcnlwdGVkNDM',
  awsalbInText: 'c3RpY2t5LWluLWRpYWdub3Npcw',
  session: 'b1946ac92492d2347c6235b4d2611184.ZmFrZXNpZ25hdHVyZQ',
  sessionInText: '7a1f2e3d4c5b.c2lnbmVkLWJ5LWZsYXNr',
  jarValue: 'jarCookieValue0123456789',
  customCookie: 'csrf-9d8c7b6a5f4e',
};

function secretRun(): RunResults {
  const run = brokenRun('redact-run', '2026-01-12T02:00:00.000Z');
  run.environments.staging.url = `http://ops:${S.appPassword}@127.0.0.1:41001`;
  const c = (id: string) => run.checks.find((k) => k.id === id && k.env === 'staging')!;
  c('sessions.shared-redis').diagnosis =
    `redis://default:${S.redisPw}@127.0.0.1:6390 unreachable: ECONNREFUSED`;
  c('sessions.shared-redis').evidence = {
    redis: { url: `rediss://:${S.redisPw2}@staging-redis:6380/0` },
    config: { password: S.redisPw },
  };
  c('sessions.shared-http').evidence = {
    ...c('sessions.shared-http').evidence,
    login: { status: 200, token: S.token, body: `{"token":"${S.tokenInText}"}` },
    request: {
      headers: {
        Authorization: `Bearer ${S.bearer}`,
        Cookie: `AWSALB=${S.awsalb}; chatmrpt_session=${S.session}; xsrf=${S.customCookie}`,
      },
      body: `{"email":"ops@example.com","password":"${S.appPassword}"}`,
    },
    response: {
      headers: {
        'set-cookie': [
          `AWSALB=${S.awsalb}; Expires=Sat, 17 Jan 2026 02:00:01 GMT; Path=/`,
          `AWSALBCORS=${S.awsalbcors}; Expires=Sat, 17 Jan 2026 02:00:01 GMT; Path=/; SameSite=None; Secure`,
          `chatmrpt_session=${S.session}; HttpOnly; Path=/`,
        ],
      },
    },
    jar: { cookies: [{ key: 'xsrf', value: S.jarValue, domain: '127.0.0.1' }] },
    cookies: [{ name: 'AWSALB', value: S.awsalb }],
  };
  c('sessions.shared-http').diagnosis = `marker read via ${A} with chatmrpt_session=${S.sessionInText}`;
  c('sticky.cookie').diagnosis =
    `Set-Cookie: AWSALB=${S.awsalbInText}; Path=/ but no stickiness; Authorization: Bearer ${S.bearer}`;
  c('fingerprint.diff').evidence = {
    ...c('fingerprint.diff').evidence,
    credentials: { accessKeyId: S.akid, secretAccessKey: S.awsSecret, sessionToken: S.sessionToken },
  };
  c('fingerprint.diff').diagnosis += ` (signed with ${S.akid2}, aws_secret_access_key=${S.awsSecretInText})`;
  c('targets.registered').diagnosis = `DescribeTargetHealth with key ${S.akid} secret ${S.awsSecret}`;
  return run;
}

describe('redaction', () => {
  it('no secret fed into a run appears in any of the four reports or the history', async () => {
    const input = secretRun();
    const before = JSON.stringify(input);
    const runDir = join(dir, 'run');
    const history = join(dir, 'history.jsonl');
    await writeReports(runDir, input, { history: { file: history }, cookieNames: ['xsrf'] });
    expect(JSON.stringify(input)).toBe(before); // the caller's object is left alone

    const files = [...REPORT_FILES.map((f) => join(runDir, f)), history];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const [name, secret] of Object.entries(S))
        expect(text.includes(secret), `${name} in ${file}`).toBe(false);
    }
    // What the reader needs is still there.
    const results = await readFile(join(runDir, 'results.json'), 'utf8');
    for (const kept of [
      'AWSALB=[redacted]',
      'chatmrpt_session=[redacted]',
      'redis://default:[redacted]@127.0.0.1:6390',
      A,
      '3f2a9c1d4e5b6a7980123456789abcdef0123456',
      'ops@example.com',
      'http://ops:[redacted]@127.0.0.1:41001',
    ])
      expect(results).toContain(kept);
    expect(await readFile(join(runDir, 'signoff.md'), 'utf8')).toContain(
      'redis://default:\\[redacted\\]@127.0.0.1:6390',
    );
  });

  it('redacts each kind of secret in a line of text (for logs too)', () => {
    expect(redactText(`connect rediss://user:${S.redisPw}@h:6380/0`)).toBe(
      'connect rediss://user:[redacted]@h:6380/0',
    );
    expect(redactText(`Authorization: Bearer ${S.bearer}`)).toBe('Authorization: Bearer [redacted]');
    expect(redactText(`Cookie: a=1; AWSALB=${S.awsalb}`)).toBe('Cookie: a=[redacted]; AWSALB=[redacted]');
    expect(redactText(`got AWSALBTG=${S.awsalb} back`)).toBe('got AWSALBTG=[redacted] back');
    expect(redactText(`?token=${S.token}&x=1`)).toBe('?token=[redacted]&x=1');
    expect(redactText(`${S.akid} ${S.awsSecret}`)).toBe('[redacted] [redacted]');
  });

  it('leaves ordinary evidence alone', () => {
    // The evidence lines as the report reader writes them from the checks' real evidence.
    const line = (id: string) => evidenceLine(passingRun().checks.find((c) => c.id === id)!);
    expect(line('sticky.cookie')).toBe(
      `PASS sticky.cookie (staging): cookie AWSALB issued (with AWSALBCORS) by ${A}`,
    );
    for (const line of [
      evidenceLine(passingRun().checks.find((c) => c.id === 'sticky.cookie')!),
      evidenceLine(passingRun().checks.find((c) => c.id === 'sessions.shared-http')!),
      'no AWSALB cookie in 3 answers through http://127.0.0.1:41001/health',
      'commit 3f2a9c1d4e5b6a7980123456789abcdef0123456',
      `marker written via ${A}, read via i-0a57a91e0000000b2`,
      'targetGroups[0].stickiness.enabled: true vs false',
      'login failed: no bearer token returned',
    ])
      expect(redactText(line)).toBe(line);
    // The broken fixture holds one secret (the Redis password in a diagnosis) and nothing else to hide.
    const run = brokenRun();
    const r = redactResults(run);
    expect(r.checks.map((c) => c.evidence)).toEqual(run.checks.map((c) => c.evidence));
    const changed = r.checks.filter((c, i) => c.diagnosis !== run.checks[i].diagnosis).map((c) => c.id);
    expect(changed).toEqual(['sessions.shared-redis']);
  });

  it('random secrets in URLs, bearer headers and sticky cookies never survive (property)', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9_\-.~+/]{8,40}$/);
    fc.assert(
      fc.property(secret, secret, secret, (pw, tok, cookie) => {
        const out = redactText(
          `redis://default:${pw}@10.0.0.1:6379 Authorization: Bearer ${tok} Set-Cookie: AWSALB=${cookie}; Path=/`,
        );
        expect(out).not.toContain(pw);
        expect(out).not.toContain(tok);
        expect(out).not.toContain(cookie);
      }),
      { numRuns: 300 },
    );
  });
});
