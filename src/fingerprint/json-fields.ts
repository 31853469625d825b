import type { Scalar } from './types.js';

// A JSON answer as fingerprint fields keyed by JSON pointer under a base
// (`http.endpoints[/api/x].json/limits/maxUploadMb`). Two readings:
//  - shape: the JSON type at each pointer; arrays by element shape (`/items/[]/name`), merged
//    over all elements; a key that some elements lack gets "absent" in its union, so a value
//    that is null and a value that is missing never look the same;
//  - values: each value as JSON text at its concrete pointer (`10` and `"10"` differ), arrays
//    by index, bounded.

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

const typeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Relative pointer → set of types, and in how many of the values each pointer occurred. */
function shapeOf(value: unknown): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (p: string, types: Iterable<string>) => {
    let set = out.get(p);
    if (!set) out.set(p, (set = new Set()));
    for (const t of types) set.add(t);
  };
  if (Array.isArray(value)) {
    if (value.length === 0) {
      add('', ['array<empty>']);
      return out;
    }
    add('', [`array<${[...new Set(value.map(typeOf))].sort().join('|')}>`]);
    // The elements' shapes, merged: what one element has and another lacks is "absent" there.
    const counts = new Map<string, number>();
    for (const el of value) {
      for (const [p, types] of shapeOf(el)) {
        if (p === '' && !Array.isArray(el)) continue; // already in array<...>
        add(`/[]${p}`, types);
        counts.set(`/[]${p}`, (counts.get(`/[]${p}`) ?? 0) + 1);
      }
    }
    for (const [p, n] of counts) if (n < value.length) add(p, ['absent']);
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) add('', ['object<empty>']);
    for (const [k, v] of entries) for (const [p, types] of shapeOf(v)) add(`/${escape(k)}${p}`, types);
  } else {
    add('', [typeOf(value)]);
  }
  return out;
}

/** {"a":{"b":1},"c":[{"d":null},{}]} → {base/a/b: number, base/c: array<object>, base/c/[]/d: absent|null}. */
export function shapeFields(value: unknown, base: string): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [p, types] of shapeOf(value)) out[base + p] = [...types].sort().join('|');
  return out;
}

/** Values as JSON text at concrete pointers; at most `max` fields (truncated says whether more were left out). */
export function valueFields(
  value: unknown,
  base: string,
  max = 200,
): { fields: Record<string, Scalar>; truncated: boolean } {
  const fields: Record<string, Scalar> = {};
  let count = 0;
  let truncated = false;
  const walk = (v: unknown, p: string) => {
    if (count >= max) {
      truncated = true;
      return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) {
        fields[p] = '[]';
        count++;
      }
      v.forEach((el, i) => walk(el, `${p}/${i}`));
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      if (entries.length === 0) {
        fields[p] = '{}';
        count++;
      }
      for (const [k, el] of entries) walk(el, `${p}/${escape(k)}`);
    } else {
      fields[p] = JSON.stringify(v) ?? 'undefined';
      count++;
    }
  };
  walk(value, base);
  return { fields, truncated };
}
