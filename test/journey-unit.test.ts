// The journey config contract and the pure parts of the step runner.
import { describe, expect, it } from 'vitest';
import { answerExcerpt, unmet } from '../src/checks/journey/user.js';
import { parseConfig } from '../src/config/load.js';
import { JourneyStepSchema } from '../src/config/schema.js';

const withJourneys = (journeys: string) =>
  `environments: { staging: { url: "http://127.0.0.1:1" } }\njourneys:\n${journeys}`;

const ISSUE_JOURNEY = `
  - name: upload-analyze
    steps:
      - name: upload
        request: { method: POST, path: /upload, form: { csv_file: { filename: "{marker}.csv", content: "ward,value\\nA,1\\nB,2\\n" } } }
        expect: { status: 200 }
      - name: analyze
        on: other
        settleSeconds: 10
        request: { method: POST, path: /api/analysis/start }
        expect: { status: 200, contains: "complete", json: { /status: complete } }
`;

describe('journeys config', () => {
  it('accepts the journey of the issue, with defaults for on and expect', () => {
    const c = parseConfig(withJourneys(ISSUE_JOURNEY), 'test.yaml');
    expect(c.journeys).toHaveLength(1);
    const [upload, analyze] = c.journeys[0].steps;
    expect(upload.on).toBe('same');
    expect(upload.settleSeconds).toBeUndefined();
    expect(analyze).toMatchObject({
      on: 'other',
      settleSeconds: 10,
      request: { method: 'POST', path: '/api/analysis/start' },
      expect: { status: 200, contains: 'complete', json: { '/status': 'complete' } },
    });
    expect(parseConfig('environments: { s: { url: "http://127.0.0.1:1" } }', 't').journeys).toEqual([]);
  });

  it.each([
    [
      `  - { name: j, steps: [ { name: a, on: elsewhere, request: { path: / } } ] }`,
      /journeys\.0\.steps\.0\.on: /,
    ],
    [`  - { name: j, steps: [] }`, /journeys\.0\.steps: /],
    [
      `  - { name: "bad name", steps: [ { name: a, request: { path: / } } ] }`,
      /journeys\.0\.name: .*journey\.<name>/,
    ],
    [
      `  - { name: j, steps: [ { name: a, request: { path: / } }, { name: a, request: { path: / } } ] }`,
      /step names must be unique/,
    ],
    [
      `  - { name: j, steps: [ { name: a, request: { path: / } } ] }\n  - { name: j, steps: [ { name: a, request: { path: / } } ] }`,
      /journey names must be unique/,
    ],
    [
      `  - { name: j, steps: [ { name: a, request: { path: /, json: {}, body: x } } ] }`,
      /at most one of form, json, body/,
    ],
    [`  - { name: j, steps: [ { name: a, request: { path: /, token: /t } } ] }`, /unknown key "token"/],
    [
      `  - { name: j, steps: [ { name: a, request: { path: / }, expect: { statsu: 200 } } ] }`,
      /unknown key "statsu"/,
    ],
    [`  - { name: j, steps: [ { name: a, settleSeconds: 0, request: { path: / } } ] }`, /settleSeconds/],
  ])('rejects %s naming the key', (yaml, message) => {
    expect(() => parseConfig(withJourneys(yaml), 'test.yaml')).toThrow(message);
  });
});

describe('step expectations', () => {
  const expectOf = (e: unknown) =>
    JourneyStepSchema.parse({ name: 's', request: { path: '/' }, expect: e }).expect;
  const vars = { marker: 'parity-abc' };

  it('defaults to any 2xx; a status, text and JSON values are each checked', () => {
    expect(unmet(expectOf(undefined), { status: 204, body: '' }, vars)).toBeUndefined();
    expect(unmet(expectOf(undefined), { status: 302, body: '' }, vars)).toBe('answered 302 (expected 2xx)');
    expect(unmet(expectOf({ status: 200 }), { status: 201, body: '' }, vars)).toBe(
      'answered 201 (expected 200)',
    );
    expect(
      unmet(expectOf({ contains: '{marker}' }), { status: 200, body: 'x parity-abc' }, vars),
    ).toBeUndefined();
    expect(unmet(expectOf({ contains: '{marker}' }), { status: 200, body: 'x' }, vars)).toBe(
      'answered 200 without "parity-abc": x',
    );
    const json = expectOf({ json: { '/status': 'complete', '/file': '{marker}.csv', '/rows': 2 } });
    expect(
      unmet(json, { status: 200, body: '{"status":"complete","file":"parity-abc.csv","rows":2}' }, vars),
    ).toBeUndefined();
    expect(
      unmet(json, { status: 200, body: '{"status":"complete","file":"parity-abc.csv","rows":3}' }, vars),
    ).toBe('answered 200 with /rows = 3 (expected 2)');
    expect(unmet(json, { status: 200, body: '<html>' }, vars)).toBe(
      'answered 200 with a body that is not JSON',
    );
  });

  it('a failed answer is summarized by its error message, on one short line', () => {
    expect(answerExcerpt('{"error":"no uploaded file\\n on i-b"}')).toBe('no uploaded file on i-b');
    expect(answerExcerpt('x'.repeat(500))).toHaveLength(160);
    expect(unmet(expectOf({ status: 200 }), { status: 404, body: '{"error":"not here"}' }, vars)).toBe(
      'answered 404 (expected 200): not here',
    );
  });
});
