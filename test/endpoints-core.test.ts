// Pure parts of fingerprint.endpoints: JSON shape and value extraction, asset extraction with a
// real HTML parser, merging instances' answers, the Diffy rule in the diff (noise between one
// environment's instances, inconsistency inside staging), the config, and the reports' grouping.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config/schema.js';
import { parseConfig } from '../src/config/load.js';
import { htmlAssets, assetList } from '../src/fingerprint/assets.js';
import { diffFingerprints } from '../src/fingerprint/diff.js';
import { driftItems, endpointEvidence } from '../src/fingerprint/endpoint-groups.js';
import { answerFields, mergeInstances } from '../src/fingerprint/endpoints.js';
import { formatDiff } from '../src/fingerprint/format.js';
import { shapeFields, valueFields } from '../src/fingerprint/json-fields.js';
import type { Fingerprint, Scalar } from '../src/fingerprint/types.js';
import { renderHtml } from '../src/report/html.js';
import { renderMarkdown } from '../src/report/markdown.js';
import type { RunResults } from '../src/report/model.js';
import type { EvidenceById } from '../src/contract/evidence.js';

const B = 'http.endpoints[/api/x]';

describe('JSON shape', () => {
  it('nested objects: one field per leaf, typed; empty containers are named', () => {
    expect(shapeFields({ a: { b: 1, c: { d: 'x', e: true } }, f: {}, g: [] }, `${B}.json`)).toEqual({
      [`${B}.json/a/b`]: 'number',
      [`${B}.json/a/c/d`]: 'string',
      [`${B}.json/a/c/e`]: 'boolean',
      [`${B}.json/f`]: 'object<empty>',
      [`${B}.json/g`]: 'array<empty>',
    });
  });

  it('arrays by element shape: merged over every element, not by index or length', () => {
    const one = shapeFields({ items: [{ id: 1, tags: ['a'] }] }, 'j');
    const three = shapeFields(
      {
        items: [
          { id: 1, tags: ['a'] },
          { id: 2, tags: ['b', 'c'] },
          { id: 3, tags: ['d'] },
        ],
      },
      'j',
    );
    expect(three).toEqual(one);
    expect(one).toEqual({
      'j/items': 'array<object>',
      'j/items/[]/id': 'number',
      'j/items/[]/tags': 'array<string>',
    });
    // Mixed elements: every type seen, and a key some elements lack is "absent" there.
    expect(shapeFields({ items: [{ id: 1, x: 'a' }, { id: '2' }, 5] }, 'j')).toEqual({
      'j/items': 'array<number|object>',
      'j/items/[]/id': 'absent|number|string',
      'j/items/[]/x': 'absent|string',
    });
    // Nested arrays keep their element shape.
    expect(shapeFields([[1, 2], []], 'j')).toEqual({
      j: 'array<array>',
      'j/[]': 'array<empty>|array<number>',
    });
  });

  it('null and missing differ: null is a type, missing is no field (or "absent" inside arrays)', () => {
    const withNull = shapeFields({ user: null, n: 1 }, 'j');
    const missing = shapeFields({ n: 1 }, 'j');
    expect(withNull).toEqual({ 'j/user': 'null', 'j/n': 'number' });
    expect(missing).toEqual({ 'j/n': 'number' });
    expect(shapeFields({ l: [{ u: null }, { u: null }] }, 'j')['j/l/[]/u']).toBe('null');
    expect(shapeFields({ l: [{ u: null }, {}] }, 'j')['j/l/[]/u']).toBe('absent|null');
  });

  it('keys are JSON-pointer escaped; a scalar body is the root field', () => {
    expect(shapeFields({ 'a/b': 1, 'c~d': 2 }, 'j')).toEqual({ 'j/a~1b': 'number', 'j/c~0d': 'number' });
    expect(shapeFields('ok', 'j')).toEqual({ j: 'string' });
  });

  it('values: JSON text at concrete pointers, so 10 and "10" differ; bounded', () => {
    expect(valueFields({ a: 10, b: '10', c: null, d: [true, {}], e: [] }, 'j').fields).toEqual({
      'j/a': '10',
      'j/b': '"10"',
      'j/c': 'null',
      'j/d/0': 'true',
      'j/d/1': '{}',
      'j/e': '[]',
    });
    const big = valueFields({ list: Array.from({ length: 500 }, (_, i) => i) }, 'j', 200);
    expect(Object.keys(big.fields)).toHaveLength(200);
    expect(big.truncated).toBe(true);
  });
});

describe('assets from HTML, with htmlparser2', () => {
  const page = `<!DOCTYPE html><HTML><HEAD>
    <LINK REL="stylesheet" HREF="/static/css/app.1e1db1d4.css">
    <link rel=preload as=style href=/static/css/fonts.css>
    <link rel="icon" href="/favicon.ico">
    <link rel="modulepreload" href="/static/js/vendor.77aa.js">
    <!-- <script src="/static/js/old.js"></script> -->
    </HEAD><BODY>
    <script>document.write('<script src="/not-an-asset.js"><\\/script>'); var s = "<link rel=stylesheet href=/nope.css>";</script>
    <script type="module" src="/static/js/app.ab8ad776.js?v=1&amp;x=2"></script>
    <script src="/static/js/app.ab8ad776.js?v=1&amp;x=2"></script>
    </BODY></HTML>`;

  it('finds scripts and stylesheets as a browser would: not in comments, not inside script text', () => {
    expect(htmlAssets(page)).toEqual([
      { kind: 'stylesheet', url: '/static/css/app.1e1db1d4.css' },
      { kind: 'stylesheet', url: '/static/css/fonts.css' },
      { kind: 'script', url: '/static/js/vendor.77aa.js' },
      { kind: 'script', url: '/static/js/app.ab8ad776.js?v=1&x=2' },
      { kind: 'script', url: '/static/js/app.ab8ad776.js?v=1&x=2' },
    ]);
  });

  it('one comparable value: sorted, unique; a page without assets says so', () => {
    expect(assetList(page)).toBe(
      'script /static/js/app.ab8ad776.js?v=1&x=2, script /static/js/vendor.77aa.js, stylesheet /static/css/app.1e1db1d4.css, stylesheet /static/css/fonts.css',
    );
    expect(assetList('<p>hello</p>')).toBe('(none)');
    // An unclosed tag at the end does not throw or invent an asset.
    expect(assetList('<script src="/a.js"></script><link rel="styl')).toBe('script /a.js');
  });
});

describe('one answer, and the answers of several instances', () => {
  const res = (body: string, type = 'application/json', status = 200) => ({
    status,
    headers: { 'content-type': type },
    body,
    bytes: Buffer.from(body),
  });

  it('fields per compare mode: status and content type always; JSON shape, values, assets or digest', () => {
    const spec = { path: '/api/x', method: 'GET' as const };
    expect(
      answerFields({ ...spec, compare: 'shape' }, res('{"n":1}', 'Application/JSON;charset=UTF-8')).fields,
    ).toEqual({
      [`${B}.status`]: 200,
      [`${B}.contentType`]: 'application/json; charset=utf-8',
      [`${B}.json/n`]: 'number',
    });
    expect(answerFields({ ...spec, compare: 'values' }, res('{"n":1}')).fields[`${B}.json/n`]).toBe('1');
    expect(answerFields({ ...spec, compare: 'shape' }, res('<html>', 'text/html')).fields[`${B}.json`]).toBe(
      '(not JSON)',
    );
    const bytes = Buffer.from([0xff, 0x00, 0xfe]);
    const hashed = answerFields(
      { ...spec, compare: 'hash' },
      { status: 200, headers: {}, body: bytes.toString('utf8'), bytes },
    ).fields;
    // The digest is of the bytes on the wire, not of their (lossy) UTF-8 decoding.
    expect(hashed[`${B}.sha256`]).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(hashed[`${B}.contentType`]).toBe('(none)');
    expect(
      answerFields(
        { path: '/', method: 'GET', compare: 'assets' },
        res('<script src="/a.1.js"></script>', 'text/html'),
      ).fields['http.endpoints[/].assets[]'],
    ).toBe('script /a.1.js');
    expect(Object.keys(answerFields({ ...spec, method: 'HEAD', compare: 'hash' }, res('')).fields)).toEqual([
      `${B}.status`,
      `${B}.contentType`,
    ]);
  });

  it('a field the same on every instance is plain; one that differs or is missing somewhere is per instance', () => {
    const m = mergeInstances(
      new Map<string, Record<string, Scalar>>([
        ['i-b', { s: 200, worker: '41', extra: 'x' }],
        ['i-a', { s: 200, worker: '40' }],
      ]),
    );
    expect(m.fields).toEqual({ s: 200, worker: '40', extra: 'x' });
    expect(m.perInstance).toEqual({
      worker: { 'i-a': '40', 'i-b': '41' },
      extra: { 'i-a': undefined, 'i-b': 'x' },
    });
  });
});

function fp(
  env: string,
  role: string,
  fields: Record<string, Scalar>,
  extra: Partial<Fingerprint> = {},
): Fingerprint {
  return {
    schemaVersion: 1,
    kind: 'parity-fingerprint',
    env,
    role,
    collectedAt: '2026-01-01T00:00:00.000Z',
    samples: 2,
    fields,
    raw: {},
    unknown: {},
    volatile: Object.keys(extra.perInstance ?? {}),
    ...extra,
  };
}

describe('the Diffy rule in the diff', () => {
  const W = `${B}.json/worker`;
  const V = `${B}.json/version`;

  it('a field that differs between the two production instances is noise, not drift', () => {
    const staging = fp('staging', 'staging', { [W]: '7', [`${B}.status`]: 200 });
    const production = fp(
      'production',
      'production',
      { [W]: '30681', [`${B}.status`]: 200 },
      {
        perInstance: { [W]: { '<target-1>': '30681', '<target-2>': '30684' } },
      },
    );
    const d = diffFingerprints(staging, production);
    expect(d.differences).toEqual([
      expect.objectContaining({
        path: W,
        class: 'noise',
        a: '7',
        b: '30681',
        note: 'differs between the instances of production (<target-1>=30681, <target-2>=30684)',
      }),
    ]);
    expect(d.summary).toMatchObject({ drift: 0, noise: 1, inconsistent: 0 });
    // Without the second instance's answer the same difference is drift: the calibration matters.
    expect(
      diffFingerprints(staging, fp('production', 'production', { [W]: '30681', [`${B}.status`]: 200 }))
        .summary.drift,
    ).toBe(1);
  });

  it('a field that differs between staging instances only is an inconsistency inside staging, not drift (even where one instance matches)', () => {
    const staging = fp(
      'staging',
      'staging',
      { [V]: '"1.4.2"' },
      {
        perInstance: { [V]: { '<target-1>': '"1.4.2"', '<target-2>': '"1.5.0"' } },
      },
    );
    const production = fp('production', 'production', { [V]: '"1.4.2"' });
    const d = diffFingerprints(staging, production);
    expect(d.differences).toEqual([]);
    expect(d.inconsistencies).toEqual([
      { env: 'staging', path: V, values: { '<target-1>': '"1.4.2"', '<target-2>': '"1.5.0"' } },
    ]);
    expect(d.summary).toMatchObject({ drift: 0, inconsistent: 1 });
    // Where the first instance's value also differs from production's, the row is noise with the reason.
    const other = fp(
      'staging',
      'staging',
      { [V]: '"1.5.0"' },
      {
        perInstance: { [V]: { '<target-1>': '"1.5.0"', '<target-2>': '"1.4.2"' } },
      },
    );
    expect(diffFingerprints(other, production).differences[0]).toMatchObject({
      class: 'noise',
      note: 'inconsistent inside staging (<target-1>="1.5.0", <target-2>="1.4.2"), not drift',
    });
    // Production's instances differing among themselves is never an "inconsistency": it is noise.
    expect(diffFingerprints(production, staging).inconsistencies.map((i) => i.env)).toEqual(['staging']);
    const both = fp(
      'production',
      'production',
      { [V]: '"1.4.2"' },
      { perInstance: { [V]: { a: '1', b: '2' } } },
    );
    expect(diffFingerprints(staging, both).inconsistencies).toEqual([]);
  });

  it('endpoint fields are classed like every field: waived with reason and expiry, expired, unverified', () => {
    const staging = fp('staging', 'staging', { [`${B}.status`]: 404 });
    const production = fp('production', 'production', { [`${B}.status`]: 200 });
    const waiver = {
      path: 'http.endpoints[/api/x].status',
      reason: 'route ships next sprint',
      expires: '2027-06-01',
    };
    const now = new Date('2026-12-01T00:00:00Z');
    expect(
      diffFingerprints(staging, production, { expectDifferent: [waiver], now }).differences[0],
    ).toMatchObject({
      class: 'expected',
      note: 'route ships next sprint (until 2027-06-01)',
    });
    const later = new Date('2027-06-02T00:00:00Z');
    expect(
      diffFingerprints(staging, production, { expectDifferent: [waiver], now: later }).differences[0],
    ).toMatchObject({
      class: 'drift',
      note: expect.stringContaining('expired on 2027-06-01'),
    });
    const unknown = fp(
      'production',
      'production',
      {},
      {
        unknown: {
          [B]: 'withSession: production is asked without a session (parity makes sessions on staging only)',
        },
      },
    );
    const d = diffFingerprints(staging, unknown);
    expect(d.differences).toEqual([]);
    expect(d.unverified).toEqual([
      {
        path: B,
        a: '1 fields',
        b: expect.stringMatching(/^unknown: withSession: production is asked without a session/),
      },
    ]);
  });

  it('a diagnosis names the path, the field and both values; an endpoint leads with its status', () => {
    const staging = fp('staging', 'staging', {
      [`${B}.status`]: 404,
      [`${B}.json/error`]: 'string',
      'loadBalancer.scheme': 'internal',
    });
    const production = fp('production', 'production', {
      [`${B}.status`]: 200,
      [`${B}.json/items`]: 'array<object>',
      'loadBalancer.scheme': 'internet-facing',
    });
    const d = diffFingerprints(staging, production);
    const items = driftItems(
      d.differences.filter((x) => x.class === 'drift'),
      (v) => (v === undefined ? '(absent)' : String(v)),
    );
    expect(items).toEqual([
      'http.endpoints[/api/x].status 404 vs 200 (and 2 more field(s) of /api/x)',
      'loadBalancer.scheme internal vs internet-facing',
    ]);
    expect(formatDiff(d)).toContain(
      'endpoint /api/x\n  drift       .json/error: staging string | production (absent)',
    );
  });
});

describe('config', () => {
  it('endpoints default to shape, GET, no session, 1 MiB; only GET/HEAD; one entry per path', () => {
    const base = { environments: { s: { role: 'staging', url: 'http://127.0.0.1:1' } } };
    const c = ConfigSchema.parse({ ...base, fingerprint: { endpoints: [{ path: '/api/x' }] } });
    expect(c.fingerprint.endpoints).toEqual([
      { path: '/api/x', compare: 'shape', withSession: false, method: 'GET', maxBytes: 1048576 },
    ]);
    expect(() =>
      parseConfig(
        'environments: { s: { role: staging, url: "http://127.0.0.1:1" } }\nfingerprint: { endpoints: [{ path: /x, method: POST }] }\n',
        'p.yaml',
      ),
    ).toThrow(/fingerprint\.endpoints\.0\.method/);
    expect(() =>
      parseConfig(
        'environments: { s: { role: staging, url: "http://127.0.0.1:1" } }\nfingerprint: { endpoints: [{ path: /x }, { path: /x, compare: hash }] }\n',
        'p.yaml',
      ),
    ).toThrow(/fingerprint\.endpoints\.1\.path: duplicate path \/x/);
    expect(() =>
      ConfigSchema.parse({ ...base, fingerprint: { endpoints: [{ path: '/x', compare: 'body' }] } }),
    ).toThrow();
  });
});

describe('reports group endpoint fields under each path, both values shown', () => {
  const staging = fp('staging', 'staging', {
    'http.endpoints[/].assets[]': 'script /static/js/app.63d997f6.js',
    'http.endpoints[/].status': 200,
    'http.endpoints[/api/ok].status': 200,
  });
  const production = fp('production', 'production', {
    'http.endpoints[/].assets[]': 'script /static/js/app.ab8ad776.js',
    'http.endpoints[/].status': 200,
    'http.endpoints[/api/ok].status': 200,
  });
  const diff = diffFingerprints(staging, production);
  const endpoints = endpointEvidence(diff, staging, production, [
    { path: '/', compare: 'assets' },
    { path: '/api/ok', compare: 'shape' },
  ]);
  /** fingerprint.diff's evidence as the check writes it (src/checks/fingerprint.ts). */
  const fingerprintEvidence = (
    d: ReturnType<typeof diffFingerprints>,
    groups: ReturnType<typeof endpointEvidence>,
  ): EvidenceById['fingerprint.diff'] => ({
    against: 'production',
    summary: d.summary,
    differences: d.differences,
    unverified: d.unverified,
    inconsistencies: d.inconsistencies,
    endpoints: groups,
    unusedExpectations: d.unusedExpectations,
  });
  const results: RunResults = {
    schemaVersion: 1,
    runId: 'r1',
    mode: 'nightly',
    startedAt: '2026-12-01T09:00:00.000Z',
    finishedAt: '2026-12-01T09:01:00.000Z',
    environments: { staging: { url: 'http://127.0.0.1:1', role: 'staging' } },
    checks: [
      {
        id: 'fingerprint.diff',
        env: 'staging',
        status: 'fail',
        durationMs: 5,
        diagnosis: '1 field(s) drifted',
        evidence: fingerprintEvidence(diff, endpoints),
      },
    ],
    criteria: [],
    summary: { passed: 0, failed: 1, errored: 0, skipped: 0 },
  };

  it("evidence: per endpoint, counts and the differing fields under both environments' names", () => {
    expect(endpoints).toEqual([
      {
        path: '/',
        compare: 'assets',
        compared: 2,
        same: 1,
        differences: [
          {
            field: '.assets[]',
            class: 'drift',
            staging: 'script /static/js/app.63d997f6.js',
            production: 'script /static/js/app.ab8ad776.js',
          },
        ],
        inconsistencies: [],
        unverified: [],
      },
      {
        path: '/api/ok',
        compare: 'shape',
        compared: 1,
        same: 1,
        differences: [],
        inconsistencies: [],
        unverified: [],
      },
    ]);
  });

  it('Markdown: a row per path, its fields under it with both values', () => {
    const md = renderMarkdown(results);
    expect(md).toContain('### Endpoints: staging vs production');
    const lines = md.split('\n');
    const at = lines.findIndex((l) => l.startsWith('| **`/`** (assets)'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at]).toContain('1 of 2 fields the same');
    expect(lines[at + 1]).toBe(
      '| &nbsp;&nbsp;`.assets[]` | `script /static/js/app.63d997f6.js` | `script /static/js/app.ab8ad776.js` | ❌ drift |',
    );
    expect(lines[at + 2]).toContain('**`/api/ok`** (shape) | | | ✅ 1 fields, all the same');
    // A pipe inside a value is escaped, so the row keeps its four cells.
    const sa = fp('staging', 'staging', { [`${B}.json/a`]: 'absent|null' });
    const pa = fp('production', 'production', { [`${B}.json/a`]: 'null' });
    const piped = diffFingerprints(sa, pa);
    const check = results.checks[0];
    const md2 = renderMarkdown({
      ...results,
      checks: [{ ...check, evidence: fingerprintEvidence(piped, endpointEvidence(piped, sa, pa)) }],
    });
    const row = md2.split('\n').find((l) => l.includes('.json/a'))!;
    expect(row.split(/(?<!\\)\|/)).toHaveLength(6);
    expect(row).toContain('`absent\\|null`');
  });

  it('HTML: an endpoints table with the path as a group header row and both values', () => {
    const html = renderHtml(results);
    const table = html.slice(html.indexOf('<table class="diff endpoints">'));
    expect(table).toMatch(
      /<tr class="endpoint"><th class="mono" colspan="3">\/ <small>\(assets\)<\/small><\/th>/,
    );
    expect(table).toContain(
      '<td class="mono">.assets[]</td><td class="mono">script /static/js/app.63d997f6.js</td><td class="mono">script /static/js/app.ab8ad776.js</td>',
    );
    // The endpoint field is not repeated in the structural table above.
    expect(html.slice(0, html.indexOf('<table class="diff endpoints">'))).not.toContain(
      'http.endpoints[/].assets[]</td>',
    );
  });
});
