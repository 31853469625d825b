import type { DiffResult, Difference, Inconsistency, Unverified } from './diff.js';
import type { Fingerprint } from './types.js';
import type { EndpointEvidence } from '../contract/evidence.js';

// The endpoint fields of a diff, grouped under each endpoint path, for the check's evidence,
// its diagnosis and the reports. Pure.

const FIELD = /^http\.endpoints\[([^\]]*)\](.*)$/;

/** `http.endpoints[/api/x].json/a` → { endpoint: "/api/x", field: ".json/a" } */
export function endpointField(path: string): { endpoint: string; field: string } | undefined {
  const m = FIELD.exec(path);
  return m ? { endpoint: m[1], field: m[2] } : undefined;
}

interface EndpointGroup {
  path: string;
  compare?: string;
  /** Fields observed on both sides and compared. */
  compared: number;
  same: number;
  differences: Difference[];
  inconsistencies: Inconsistency[];
  unverified: Unverified[];
}

function endpointGroups(
  diff: DiffResult,
  a: Fingerprint,
  b: Fingerprint,
  specs: { path: string; compare: string }[] = [],
): EndpointGroup[] {
  const groups = new Map<string, EndpointGroup>();
  const group = (path: string) => {
    let g = groups.get(path);
    if (!g) {
      g = {
        path,
        compare: specs.find((s) => s.path === path)?.compare,
        compared: 0,
        same: 0,
        differences: [],
        inconsistencies: [],
        unverified: [],
      };
      groups.set(path, g);
    }
    return g;
  };
  for (const s of specs) group(s.path);
  const unverified = new Set(diff.unverified.map((u) => u.path));
  const isUnverified = (p: string) =>
    [...unverified].some((u) => p === u || p.startsWith(u + '.') || p.startsWith(u + '['));
  for (const p of new Set([...Object.keys(a.fields), ...Object.keys(b.fields)])) {
    const e = endpointField(p);
    if (!e || isUnverified(p)) continue;
    group(e.endpoint).compared++;
  }
  for (const d of diff.differences) {
    const e = endpointField(d.path);
    if (e) group(e.endpoint).differences.push(d);
  }
  for (const i of diff.inconsistencies) {
    const e = endpointField(i.path);
    if (e) group(e.endpoint).inconsistencies.push(i);
  }
  for (const u of diff.unverified) {
    const e = endpointField(u.path);
    if (e) group(e.endpoint).unverified.push(u);
  }
  for (const g of groups.values()) g.same = g.compared - g.differences.length;
  return [...groups.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/**
 * The check's evidence: each endpoint with its compared/same counts, its differences (field
 * relative to the endpoint, both values under the environments' names), its inconsistencies
 * and why it is unverified.
 */
export function endpointEvidence(
  diff: DiffResult,
  a: Fingerprint,
  b: Fingerprint,
  specs: { path: string; compare: string }[] = [],
): EndpointEvidence[] {
  return endpointGroups(diff, a, b, specs).map((g) => {
    const rel = (p: string) => p.slice(`http.endpoints[${g.path}]`.length);
    return {
      path: g.path,
      compare: g.compare,
      compared: g.compared,
      same: g.same,
      differences: g.differences.map((d) => ({
        field: rel(d.path),
        class: d.class,
        [a.env]: d.a ?? null,
        [b.env]: d.b ?? null,
        ...(d.note ? { note: d.note } : {}),
      })),
      inconsistencies: g.inconsistencies.map((i) => ({ field: rel(i.path), values: i.values })),
      unverified: g.unverified.map((u) =>
        u.a.startsWith('unknown: ') ? `${a.env}: ${u.a.slice(9)}` : `${b.env}: ${u.b.slice(9)}`,
      ),
    };
  });
}

const LEAD = ['.status', '.contentType'];

/**
 * Drift as short items: one per non-endpoint field, one per endpoint (its status first, as a
 * 404 explains the rest), so a diagnosis names the path, the field and both values.
 */
export function driftItems(drift: Difference[], show: (v: unknown) => string): string[] {
  const items: string[] = [];
  const byEndpoint = new Map<string, Difference[]>();
  for (const d of drift) {
    const e = endpointField(d.path);
    if (!e) {
      items.push(`${d.path} ${show(d.a)} vs ${show(d.b)}`);
      continue;
    }
    if (!byEndpoint.has(e.endpoint)) {
      byEndpoint.set(e.endpoint, []);
      items.push(`\0${e.endpoint}`); // placeholder keeps the path order
    }
    byEndpoint.get(e.endpoint)!.push(d);
  }
  return items.map((item) => {
    if (!item.startsWith('\0')) return item;
    const list = byEndpoint.get(item.slice(1))!;
    const rank = (d: Difference) => {
      const i = LEAD.indexOf(endpointField(d.path)!.field);
      return i === -1 ? LEAD.length : i;
    };
    const lead = [...list].sort((x, y) => rank(x) - rank(y))[0];
    const more = list.length - 1;
    return `${lead.path} ${show(lead.a)} vs ${show(lead.b)}${more ? ` (and ${more} more field(s) of ${item.slice(1)})` : ''}`;
  });
}
