import { perInstanceText, type DiffResult, type Difference } from './diff.js';
import { endpointField } from './endpoint-groups.js';
import type { Scalar } from './types.js';

// The human table of a diff. Values are shown normalized; raw values follow on their own line
// when they differ, so the reader sees both "<tg:HTTP:5000>" and the real ARNs.

const show = (v: Scalar | undefined) => (v === undefined ? '(absent)' : v === '' ? '""' : String(v));

function clip(s: string, n: number): string {
  return s.length <= n ? s.padEnd(n) : s.slice(0, n - 1) + '…';
}

export function formatDiff(d: DiffResult): string {
  const rows: string[][] = [];
  const order = { drift: 0, expected: 1, noise: 2 } as const;
  const diffs = d.differences
    .filter((x) => !endpointField(x.path))
    .sort((x, y) => order[x.class] - order[y.class] || (x.path < y.path ? -1 : 1));
  for (const x of diffs) rows.push([x.class, x.path, show(x.a), show(x.b), x.note ?? '', ...rawLine(x)]);
  for (const u of d.unverified) if (!endpointField(u.path)) rows.push(['unverified', u.path, u.a, u.b, '']);
  const lines = [`fingerprint diff: ${d.a.env} (A) vs ${d.b.env} (B)`];
  if (rows.length) {
    const head = ['CLASS', 'FIELD', d.a.env.toUpperCase(), d.b.env.toUpperCase(), 'NOTE'];
    const widths = [10, 0, 0, 0].map((min, i) =>
      Math.min(i === 1 ? 72 : 28, Math.max(min, head[i].length, ...rows.map((r) => r[i].length))),
    );
    const fmt = (r: string[]) =>
      [0, 1, 2, 3].map((i) => clip(r[i], widths[i])).join('  ') + (r[4] ? `  ${r[4]}` : '');
    lines.push(fmt(head).trimEnd());
    for (const r of rows) {
      lines.push(fmt(r).trimEnd());
      if (r[5] !== undefined) lines.push(`${' '.repeat(widths[0] + 2)}raw: ${r[5]}`);
    }
  }
  lines.push(...endpointLines(d));
  const s = d.summary;
  lines.push(
    `${s.compared} fields compared: ${s.drift} drift, ${s.expected} expected, ${s.noise} noise, ${s.unverified} unverified`,
  );
  for (const e of d.unusedExpectations) {
    lines.push(`note: fingerprint.expectDifferent "${e.path}" matched no difference (${e.reason})`);
  }
  return lines.join('\n') + '\n';
}

/** The app's endpoints, each path with its fields under it, both values in full (asset lists, digests). */
function endpointLines(d: DiffResult): string[] {
  const byPath = new Map<string, string[]>();
  const add = (path: string, line: string) => {
    const e = endpointField(path)!;
    if (!byPath.has(e.endpoint)) byPath.set(e.endpoint, []);
    byPath.get(e.endpoint)!.push(line);
  };
  const order = { drift: 0, expected: 1, noise: 2 } as const;
  const diffs = d.differences
    .filter((x) => endpointField(x.path))
    .sort((x, y) => order[x.class] - order[y.class] || (x.path < y.path ? -1 : 1));
  for (const x of diffs) {
    const f = endpointField(x.path)!.field;
    add(
      x.path,
      `  ${x.class.padEnd(10)}  ${f}: ${d.a.env} ${show(x.a)} | ${d.b.env} ${show(x.b)}${x.note ? `  (${x.note})` : ''}`,
    );
  }
  for (const i of d.inconsistencies)
    if (endpointField(i.path))
      add(
        i.path,
        `  ${'inconsistent'.padEnd(10)}  ${endpointField(i.path)!.field}: inside ${i.env}: ${perInstanceText(i.values)}`,
      );
  for (const u of d.unverified)
    if (endpointField(u.path))
      add(u.path, `  ${'unverified'.padEnd(10)}  ${d.a.env}: ${u.a} | ${d.b.env}: ${u.b}`);
  const out: string[] = [];
  for (const [path, rows] of [...byPath.entries()].sort(([x], [y]) => (x < y ? -1 : 1))) {
    out.push(`endpoint ${path}`, ...rows);
  }
  return out;
}

function rawLine(x: Difference): string[] {
  if (x.rawA === undefined && x.rawB === undefined) return [];
  return [`${show(x.rawA ?? x.a)}  vs  ${show(x.rawB ?? x.b)}`];
}
