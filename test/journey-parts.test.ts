// Issue 25's pure parts: captures, the event-stream reader's parser and judge, answer excerpts,
// form files from a path (relative to the config, capped), query and {name} filling.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureAll, htmlValue } from '../src/checks/journey/capture.js';
import { streamRecord, unmetStream } from '../src/checks/journey/stream.js';
import { answerExcerpt, hideSecrets, unmet } from '../src/checks/journey/user.js';
import { newMarker } from '../src/checks/marker.js';
import { loadConfigFile, parseConfig } from '../src/config/load.js';
import { JourneyStepSchema } from '../src/config/schema.js';
import { buildRequest } from '../src/http/request-spec.js';
import { SseParser } from '../src/http/sse.js';
import type { StreamResponse } from '../src/http/stream.js';
import { readFormFile } from '../src/config/form-files.js';

const work = mkdtempSync(join(tmpdir(), 'parity-journey-parts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const answer = (body: string, headers: Record<string, string> = {}) => ({ status: 200, headers, body });

describe('{marker}', () => {
  it('is letters and digits only, so it passes ^[a-zA-Z0-9_]+$', () => {
    for (let i = 0; i < 20; i++) expect(newMarker()).toMatch(/^parity[0-9a-f]{12}$/);
    expect(newMarker()).toMatch(/^[a-zA-Z0-9_]+$/);
  });
});

describe('capture', () => {
  const page = `<!doctype html><html><head><meta name="csrf-token" content="meta-tok-1"><title>Sign up</title></head>
<body><form><input type="text" name="username"><input type="hidden" name="csrf_token" value="form-tok-2"></form>
<p id="greet" class="msg big">Hello <b>there</b> &amp; welcome</p></body></html>`;

  it("reads an HTML element's attribute or text (Flask-WTF's hidden field, a meta tag)", () => {
    expect(htmlValue(page, 'input[name=csrf_token]', 'value')).toBe('form-tok-2');
    expect(htmlValue(page, 'meta[name="csrf-token"]', 'content')).toBe('meta-tok-1');
    expect(htmlValue(page, '#greet')).toBe('Hello there & welcome');
    expect(htmlValue(page, 'p.msg.big')).toBe('Hello there & welcome');
    expect(htmlValue(page, 'input[name=nope]', 'value')).toBeUndefined();
    expect(htmlValue(page, 'input', 'value')).toBe('form-tok-2'); // the first input without one is skipped
  });

  it('reads a JSON pointer, a header, a cookie and a regex group; the first that finds nothing fails, named', () => {
    const res = answer('{"session_id":"abc123def","n":7,"obj":{},"note":"token=xyz789"}', {
      'x-request-id': 'req-42',
    });
    const got = captureAll(
      {
        sid: { json: '/session_id' },
        n: { json: '/n' },
        rid: { header: 'X-Request-Id' },
        csrf: { cookie: 'csrf_token' },
        tok: { regex: 'token=(\\w+)' },
      },
      res,
      { csrf_token: 'c-1' },
    );
    expect(got).toEqual({
      ok: true,
      values: { sid: 'abc123def', n: '7', rid: 'req-42', csrf: 'c-1', tok: 'xyz789' },
    });
    expect(captureAll({ sid: { json: '/obj' } }, res, {})).toEqual({
      ok: false,
      reason: 'capture "sid" found nothing (json /obj)',
    });
    expect(captureAll({ c: { cookie: 'csrf_token' } }, res, {})).toEqual({
      ok: false,
      reason: 'capture "c" found nothing (cookie csrf_token)',
    });
    expect(captureAll({ t: { regex: 'nope=(\\w+)' } }, res, {})).toMatchObject({ ok: false });
  });

  it('the config names a wrong capture: two sources, a taken name, a bad regex', () => {
    const step = (capture: unknown) =>
      JourneyStepSchema.safeParse({ name: 's', request: { path: '/' }, capture }).error?.issues[0]?.message;
    expect(step({ a: { json: '/a', header: 'x' } })).toMatch(
      /exactly one of json, header, cookie, regex, html/,
    );
    expect(step({ marker: { json: '/a' } })).toMatch(/"marker" is taken/);
    expect(step({ a: { regex: '(' } })).toMatch(/not a valid regular expression/);
    expect(step({ 'a-b': { json: '/a' } })).toMatch(/letters, digits/);
  });

  it('captured values fill later paths URL-encoded, queries, headers and bodies', () => {
    const vars = { marker: 'parity0123456789ab', sid: 'a/b c', csrf: 'tok' };
    const r = buildRequest(
      {
        method: 'POST',
        path: '/export/list/{sid}',
        query: { user: '{marker}', q: 'x&y' },
        headers: { 'X-CSRFToken': '{csrf}' },
        json: { session_id: '{sid}' },
      },
      vars,
    );
    expect(r.path).toBe('/export/list/a%2Fb%20c?user=parity0123456789ab&q=x%26y');
    expect(r.headers['x-csrftoken']).toBe('tok');
    expect(r.body).toBe('{"session_id":"a/b c"}');
  });

  it('hideSecrets replaces captured values (4 characters or more) in what is recorded', () => {
    const user = { captured: new Set(['s3cr3t-session', '42']) };
    expect(hideSecrets(user, 'GET /x/s3cr3t-session answered 420')).toBe('GET /x/[redacted] answered 420');
  });
});

describe('event streams', () => {
  it('the parser joins data lines, keeps event names, skips comments and data-less events, across chunk borders', () => {
    const p = new SseParser();
    expect(p.push(': hi\n\ndata: a\ndata: b\n\nevent: done\nda')).toEqual([{ data: 'a\nb' }]);
    expect(p.push('ta: {"x":1}\r')).toEqual([]);
    expect(p.push('\n\r\nevent: empty\n\n')).toEqual([{ event: 'done', data: '{"x":1}' }]);
  });

  const res = (events: number[], endMs: number, ended = true, ct = 'text/event-stream'): StreamResponse => ({
    status: 200,
    headers: { 'content-type': ct },
    body: '',
    ms: endMs,
    setCookies: [],
    events: events.map((atMs, read) => ({ data: 'x', atMs, read })),
    endMs,
    ended,
    reads: events.length,
  });
  const want = { minEvents: 3, firstEventMs: 2000, incremental: true, maxSeconds: 30 };

  it('passes events that arrive as they are sent', () => {
    const s = streamRecord(res([120, 240, 360, 480], 600));
    expect(s).toMatchObject({
      events: 4,
      firstEventMs: 120,
      lastEventMs: 480,
      endMs: 600,
      incremental: true,
    });
    expect(unmetStream(want, s)).toBeUndefined();
  });

  it('names buffering when every event came with the end of the stream', () => {
    const s = streamRecord(res([720, 720, 720, 720], 721));
    expect(s.incremental).toBe(false);
    expect(unmetStream(want, s)).toMatch(
      /^the stream was buffered: all 4 events arrived at 720 ms, together with the end of the stream at 721 ms/,
    );
    expect(unmetStream({ ...want, incremental: false }, s)).toBeUndefined();
  });

  it('names a late first event, too few events, no events, and an answer that is not a stream', () => {
    expect(unmetStream(want, streamRecord(res([2500, 2600, 2700], 3000)))).toMatch(
      /^first event after 2500 ms \(expected within 2000 ms\)/,
    );
    expect(unmetStream(want, streamRecord(res([100, 200], 400)))).toBe(
      '2 events before the stream ended (expected at least 3)',
    );
    expect(unmetStream(want, streamRecord(res([], 30000, false)))).toBe(
      'no event within 30.0 s (cut there) (expected at least 3)',
    );
    expect(unmetStream(want, streamRecord(res([1], 2, true, 'application/json')))).toBe(
      'answered with content-type application/json, not text/event-stream',
    );
  });
});

describe("the app's own words", () => {
  it('an excerpt is its message/error/detail (also nested), else the first line, else an HTML title; bounded', () => {
    expect(answerExcerpt('{"success":false,"message":"No data found. Please upload a dataset first."}')).toBe(
      'No data found. Please upload a dataset first.',
    );
    expect(answerExcerpt('{"status":"error","error":{"detail":"quota"}}')).toBe('quota');
    expect(answerExcerpt('\n\nInternal Server Error\nTraceback ...')).toBe('Internal Server Error');
    expect(answerExcerpt('<!doctype html><html><head><title>502 Bad Gateway</title>')).toBe(
      '502 Bad Gateway',
    );
    expect(answerExcerpt('x'.repeat(500))).toHaveLength(160);
  });

  it('a failed JSON expectation says what the app said', () => {
    const body = '{"success":false,"message":"No data found. Please upload a dataset first."}';
    expect(unmet({ json: { '/success': true } }, { status: 200, body }, {})).toBe(
      'answered 200 with /success = false (expected true): No data found. Please upload a dataset first.',
    );
  });
});

describe('form files from a path', () => {
  it('are read relative to the config file and sent byte for byte, the content type guessed or given', () => {
    const dir = mkdtempSync(join(work, 'cfg-'));
    const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x0d, 0x0a, 0x80]);
    writeFileSync(join(dir, 'shapes.zip'), bytes);
    writeFileSync(
      join(dir, 'parity.config.yaml'),
      `environments: { staging: { role: staging, url: "http://127.0.0.1:1" } }
journeys:
  - name: j
    steps:
      - name: up
        request: { method: POST, path: /u, form: { file: { path: shapes.zip }, other: { path: ./shapes.zip, filename: "{marker}.bin", contentType: application/x-test } } }
`,
    );
    const c = loadConfigFile(join(dir, 'parity.config.yaml'));
    const form = c.journeys[0].steps[0].request.form!;
    expect(form.file).toMatchObject({ path: join(dir, 'shapes.zip') });
    const built = buildRequest(c.journeys[0].steps[0].request, { marker: 'parity00' });
    const fd = built.body as FormData;
    const f = fd.get('file') as File;
    const o = fd.get('other') as File;
    expect([f.name, f.type, o.name, o.type]).toEqual([
      'shapes.zip',
      'application/zip',
      'parity00.bin',
      'application/x-test',
    ]);
    return f.arrayBuffer().then((b) => expect(Buffer.from(b).equals(bytes)).toBe(true));
  });

  it('a missing file, a folder or a file over the cap is a config error naming the key', () => {
    const cfg = (path: string) =>
      `environments: { staging: { role: staging, url: "http://127.0.0.1:1" } }
journeys:
  - name: j
    steps:
      - name: up
        request: { method: POST, path: /u, form: { file: { path: "${path}" } } }
`;
    expect(() => parseConfig(cfg('nope.zip'), 'c.yaml', {}, work)).toThrow(
      `config error: c.yaml: journeys.0.steps.0.request.form.file.path: file ${join(work, 'nope.zip')}: file not found`,
    );
    expect(() => parseConfig(cfg('.'), 'c.yaml', {}, work)).toThrow(
      /form\.file\.path: file .*: it is a folder, not a file/,
    );
    expect(() => parseConfig(cfg('/dev/zero'), 'c.yaml', {}, work)).toThrow(
      /file \/dev\/zero: it is a character device, not a regular file/,
    );
    const big = join(work, 'big.bin');
    writeFileSync(big, Buffer.alloc(10));
    expect(() => readFormFile(big, 'form file', 5)).toThrow(
      `form file ${big}: larger than 5 bytes (10 bytes); not read`,
    );
    expect(
      JourneyStepSchema.safeParse({
        name: 's',
        request: { path: '/', form: { f: { filename: 'a', content: 'x', path: 'y' } } },
      }).error?.issues[0]?.message,
    ).toMatch(/exactly one of content, path/);
  });
});
