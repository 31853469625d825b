// The journey config contract and the pure parts of the step runner.
import { describe, expect, it } from 'vitest';
import { judgeJourney, type StepRecord, type VariantRun } from '../src/checks/journey/journey.js';
import { answerExcerpt, unmet } from '../src/checks/journey/user.js';
import { parseConfig } from '../src/config/load.js';
import { JourneyStepSchema } from '../src/config/schema.js';
import { modeSpec, suiteFiles } from '../src/run/modes.js';

const withJourneys = (journeys: string) =>
  `environments: { staging: { role: staging, url: "http://127.0.0.1:1" } }\njourneys:\n${journeys}`;

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
    expect(
      parseConfig('environments: { s: { role: staging, url: "http://127.0.0.1:1" } }', 't').journeys,
    ).toEqual([]);
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

describe('run modes', () => {
  it('smoke, nightly and signoff run the journeys suite, when the config declares a journey', () => {
    const withOne = parseConfig(withJourneys(ISSUE_JOURNEY), 't');
    const none = parseConfig('environments: { s: { role: staging, url: "http://127.0.0.1:1" } }', 't');
    for (const mode of ['smoke', 'nightly', 'signoff'] as const) {
      expect(suiteFiles(modeSpec(mode), '/s', withOne)).toContain('/s/journeys.test.ts');
      // Without one the file would hold no test, which vitest reports as an error.
      expect(suiteFiles(modeSpec(mode), '/s', none)).not.toContain('/s/journeys.test.ts');
      expect(suiteFiles(modeSpec(mode), '/s', none)).toContain('/s/sessions.test.ts');
    }
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

describe('journey diagnoses (judgeJourney)', () => {
  const journey = parseConfig(withJourneys(ISSUE_JOURNEY), 't').journeys[0];
  const step = (over: Partial<StepRecord>): StepRecord => ({
    step: 'upload',
    method: 'POST',
    path: '/upload',
    on: 'same',
    instance: 'i-a',
    status: 200,
    latencyMs: 5,
    tries: 1,
    lagMs: 0,
    ok: true,
    reason: 'ok',
    atMs: 0,
    ...over,
  });
  const run = (
    variant: VariantRun['variant'],
    steps: StepRecord[],
    more: Partial<VariantRun> = {},
  ): VariantRun => ({
    variant,
    outcome: 'passed',
    steps,
    instances: [...new Set(steps.map((s) => s.instance))],
    ...more,
  });
  const pinnedOk = run('pinned', [step({}), step({ step: 'analyze', settleSeconds: 10 })]);
  const failedAnalyze = (over: Partial<StepRecord>, more: Partial<VariantRun> = {}) =>
    run(
      'hopping',
      [step({}), step({ step: 'analyze', on: 'other', instance: 'i-b', ok: false, lagMs: null, ...over })],
      {
        outcome: 'step-failed',
        atStep: 'analyze',
        ...more,
      },
    );
  const notFound = 'answered 404 (expected 200): "x.csv" is not here';

  it('passed, and passed after a lag', () => {
    const hop = run('hopping', [step({}), step({ step: 'analyze', on: 'other', instance: 'i-b' })]);
    expect(judgeJourney(journey, pinnedOk, hop)).toEqual({
      status: 'pass',
      diagnosis: 'upload-analyze: passed pinned (on i-a) and hopping (upload on i-a → analyze on i-b)',
    });
    const lagged = run('hopping', [
      step({}),
      step({ step: 'analyze', on: 'other', instance: 'i-b', tries: 7, lagMs: 3240, settleSeconds: 10 }),
    ]);
    expect(judgeJourney(journey, pinnedOk, lagged).diagnosis).toMatch(
      /; "analyze" on i-b passed after a lag of 3\.2 s \(7 tries, settleSeconds 10\)$/,
    );
  });

  it('fails even on one instance', () => {
    const pinned = run(
      'pinned',
      [step({}), step({ step: 'analyze', status: 500, ok: false, reason: 'answered 500 (expected 200)' })],
      {
        outcome: 'step-failed',
        atStep: 'analyze',
      },
    );
    expect(judgeJourney(journey, pinned, pinned)).toEqual({
      status: 'fail',
      diagnosis:
        'upload-analyze: the workflow fails even on one instance: step "analyze" on i-a answered 500 (expected 200)',
    });
  });

  it('works pinned but the step fails on another instance: session shared, data not', () => {
    const r = judgeJourney(
      journey,
      pinnedOk,
      failedAnalyze({ status: 404, reason: notFound }, { session: { read: 'GET /s', followed: true } }),
    );
    expect(r).toEqual({
      status: 'fail',
      diagnosis: `upload-analyze: works pinned, but step "analyze" fails on i-b after "upload" on i-a: ${notFound}; the session is shared but the data is not: it did not follow the session to i-b (instance-local state)`,
    });
    // Could not tell whether the session followed: no claim about it.
    expect(
      judgeJourney(journey, pinnedOk, failedAnalyze({ status: 404, reason: notFound })).diagnosis,
    ).toMatch(/; the data did not follow the user to i-b \(instance-local state\?\)$/);
  });

  it('the session itself did not follow', () => {
    const r = judgeJourney(
      journey,
      pinnedOk,
      failedAnalyze(
        { status: 400, reason: 'answered 400 (expected 200): no session' },
        { session: { read: 'GET /s', followed: false } },
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toMatch(
      /fails on i-b after "upload" on i-a: .*; the session did not follow the user \(GET \/s on i-b/,
    );
  });

  it('never settled within S s', () => {
    const r = judgeJourney(
      journey,
      pinnedOk,
      failedAnalyze(
        { status: 404, reason: notFound, tries: 9, settleSeconds: 10 },
        { session: { read: 'GET /s', followed: true } },
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toContain(
      `fails on i-b after "upload" on i-a: never settled within 10 s (9 tries; last: ${notFound}); the session is shared but the data is not: it did not follow the session to i-b within 10 s (instance-local state, or a copy slower than that)`,
    );
  });

  it('the other instance could not be reached, or not pinned, or the pin did not hold', () => {
    const unsent = (over: Partial<StepRecord>, outcome: VariantRun['outcome']) =>
      failedAnalyze({ tries: 0, status: null, ...over }, { outcome });
    expect(
      judgeJourney(
        journey,
        pinnedOk,
        unsent(
          { instance: '(no identity)', hop: { from: 'i-a', landed: { 'i-a': 10 } } },
          'no-other-instance',
        ),
      ),
    ).toEqual({
      status: 'fail',
      diagnosis:
        'upload-analyze: the other instance could not be reached for step "analyze": 10 tries without the sticky cookie all answered from i-a ×10',
    });
    expect(
      judgeJourney(journey, pinnedOk, unsent({ hop: { from: 'i-a', landed: { 'i-b': 1 } } }, 'not-pinned'))
        .diagnosis,
    ).toBe(
      'upload-analyze: another instance (i-b) answered for step "analyze", but it set no AWSALB cookie to pin the step there: is stickiness on?',
    );
    const held = run('hopping', [step({}), step({ step: 'analyze', on: 'other' })], {
      outcome: 'hop-not-held',
      atStep: 'analyze',
    });
    expect(judgeJourney(journey, pinnedOk, held).diagnosis).toMatch(
      /was pinned to another instance but answered from i-a again/,
    );
  });

  it('could not run: no answer, or the deadline cut the settle window', () => {
    expect(
      judgeJourney(
        journey,
        pinnedOk,
        failedAnalyze({ status: null, reason: 'request failed: 127.0.0.1:1: connection refused' }),
      ).status,
    ).toBe('error');
    const cut = judgeJourney(
      journey,
      pinnedOk,
      failedAnalyze({
        status: 404,
        reason: notFound,
        settleSeconds: 10,
        cutShort: true,
        tries: 3,
        waitedMs: 2500,
      }),
    );
    expect(cut.status).toBe('error');
    // It names the step, the window and how long it actually waited (issue 24 item 10).
    expect(cut.diagnosis).toMatch(
      /hopping, step "analyze" on \S+ had not settled when its share of the run's deadline ended its 10 s window after 2\.5 s \(3 tries; last: /,
    );
  });
});
