// Issue 24 item 6, the pure parts: which values become secrets (every ${VAR} value, secret
// header and body-field names, run-time values), and a request's own Cookie header merged
// with the jar's.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { mergeCookieHeader } from '../src/http/cookie-header.js';
import { addRuntimeSecret, isSecretHeader, scrubDeep, scrubText } from '../src/secrets.js';

describe('secrets by origin and by name', () => {
  it('every value a ${VAR} put in the config is secret whatever its name; public keys stay readable', () => {
    parseConfig(
      [
        'environments:',
        '  staging: { role: staging, url: "http://${LAB_HOST_4417}:8080" }',
        'app:',
        '  version: { header: x-app-version, expected: "${BUILD_4417}" }',
        'journeys:',
        '  - name: j',
        '    steps:',
        '      - { name: s, request: { path: "/x", headers: { X-Tenant: "${TENANT_4417}" } } }',
        '',
      ].join('\n'),
      'test.yaml',
      { LAB_HOST_4417: '127.0.0.1', BUILD_4417: 'build-4417', TENANT_4417: 'tenant-value-4417' },
    );
    expect(scrubText('tenant-value-4417 on build-4417 at 127.0.0.1')).toBe(
      '[redacted] on build-4417 at 127.0.0.1',
    );
  });

  it('header and body-field names make values secret; other headers do not', () => {
    parseConfig(
      [
        'environments:',
        '  staging: { role: staging, url: "http://127.0.0.1:8080" }',
        'journeys:',
        '  - name: j',
        '    steps:',
        '      - name: s',
        '        request:',
        '          method: POST',
        '          path: /x',
        '          headers: { X-Api-Key: key-value-0001, X-Auth-Token: tok-value-0002, X-Pass: pass-value-0003, Cookie: "a=cookie-value-0004; b=cv-0005", Accept: text/plain-0006 }',
        '          form: { passcode: form-value-0007, note: note-value-0008 }',
        '        expect: { json: { "/api_key_state": expect-value-0009 } }',
        '',
      ].join('\n'),
      'test.yaml',
      {},
    );
    for (const v of [
      'key-value-0001',
      'tok-value-0002',
      'pass-value-0003',
      'cookie-value-0004',
      'cv-0005',
      'form-value-0007',
    ])
      expect(scrubText(`got ${v}.`)).toBe('got [redacted].');
    // An expectation's JSON pointers name fields of the answer, not secrets sent.
    for (const v of ['text/plain-0006', 'note-value-0008', 'expect-value-0009']) expect(scrubText(v)).toBe(v);
    for (const n of [
      'Authorization',
      'cookie',
      'X-Api-Key',
      'x-csrf-token',
      'X-Secret-Id',
      'X-Pass',
      'apikey',
    ])
      expect(isSecretHeader(n), n).toBe(true);
    for (const n of ['accept', 'content-type', 'x-request-id', 'user-agent'])
      expect(isSecretHeader(n), n).toBe(false);
  });

  it('a run-time secret is replaced from then on, in text and in a result deep', () => {
    expect(scrubText('runtime-9931')).toBe('runtime-9931');
    addRuntimeSecret('runtime-9931');
    addRuntimeSecret('abc'); // too short to be told from ordinary words: ignored
    expect(scrubDeep({ d: 'got runtime-9931', e: ['runtime-9931', 3, null], abc: 'abc' })).toEqual({
      d: 'got [redacted]',
      e: ['[redacted]', 3, null],
      abc: 'abc',
    });
  });
});

describe("a request's own Cookie header and the jar", () => {
  it('are merged: the own pairs first and kept, the jar cookies of other names after', () => {
    expect(mergeCookieHeader('team=blue; lang=en', 'AWSALB=x; lang=de')).toBe('team=blue; lang=en; AWSALB=x');
    expect(mergeCookieHeader(undefined, 'AWSALB=x')).toBe('AWSALB=x');
    expect(mergeCookieHeader('team=blue', '')).toBe('team=blue');
    expect(mergeCookieHeader(undefined, '')).toBe('');
  });
});
