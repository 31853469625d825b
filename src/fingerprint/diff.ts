import { UsageError } from '../errors.js';
import type { Fingerprint, Scalar } from './types.js';
import type { DifferenceEvidence, Same } from '../contract/evidence.js';

// Field-by-field comparison of two fingerprints. Every difference is classified:
//  - expected: listed in fingerprint.expectDifferent (with a reason) and not expired;
//  - noise:    volatile in either fingerprint (it differed between samples of one environment);
//  - drift:    anything else, including an expectation past its expiry date.
// A field that one side could not observe (unknown) is not a difference: it is "unverified".
// A field that differs between the instances of a non-production environment while
// production's instances agree is an inconsistency inside that environment (a half-done
// deploy, one instance serving an old bundle): listed as such, not as drift.

type DiffClass = 'drift' | 'expected' | 'noise';

export interface ExpectDifferent {
  path: string;
  reason: string;
  expires?: string | Date;
}

export interface Difference {
  path: string;
  class: DiffClass;
  a: Scalar | undefined;
  b: Scalar | undefined;
  rawA?: Scalar;
  rawB?: Scalar;
  note?: string;
}

export interface Unverified {
  path: string;
  a: string;
  b: string;
}

export interface Inconsistency {
  env: string;
  path: string;
  /** Instance → value there ("(absent)" where its answer lacked the field). */
  values: Record<string, Scalar>;
}

export interface DiffResult {
  a: { env: string; role: string; collectedAt: string };
  b: { env: string; role: string; collectedAt: string };
  differences: Difference[];
  unverified: Unverified[];
  /** Fields that differ between one non-production environment's instances only. */
  inconsistencies: Inconsistency[];
  /** expectDifferent entries that matched no difference (candidates for removal). */
  unusedExpectations: ExpectDifferent[];
  summary: {
    compared: number;
    same: number;
    drift: number;
    expected: number;
    noise: number;
    unverified: number;
    inconsistent: number;
  };
}

interface Expectation extends ExpectDifferent {
  match: (path: string) => boolean;
  expiresAt?: Date;
  label: string;
}

/**
 * `*` matches within one path segment or bracket key, `**` matches anything; a pattern naming
 * an object also matches every field under it (`targetGroups[*].attributes`).
 */
export function pathMatcher(pattern: string): (path: string) => boolean {
  const body = pattern
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === '**' ? '.*' : part === '*' ? '[^.\\[\\]]*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  const re = new RegExp(`^${body}(?:$|[.[])`);
  return (path) => re.test(path);
}

const DAY_MS = 86_400_000;

/**
 * When an expiry ends: `2027-06-01` is the last day the entry applies, so it ends when the next
 * day starts, UTC. Only ISO dates: "8 Dec 2026" would be read in the local time zone, and expire
 * up to a day apart on two runners. A Date (from the API) is the end itself.
 */
export function parseExpiry(value: string | Date | undefined, key: string): Date | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) return value;
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!d || Number.isNaN(d.getTime()) || !d.toISOString().startsWith(value))
    throw new UsageError(`config error: ${key}: must be an ISO date YYYY-MM-DD (got "${value}")`);
  return new Date(d.getTime() + DAY_MS);
}

/** The last day an expiry applies (the day before its end). */
const lastDay = (end: Date) => new Date(end.getTime() - 1).toISOString().slice(0, 10);

function expectations(list: ExpectDifferent[]): Expectation[] {
  return list.map((e, i) => ({
    ...e,
    match: pathMatcher(e.path),
    expiresAt: parseExpiry(e.expires, `fingerprint.expectDifferent[${i}].expires`),
    label: `fingerprint.expectDifferent[${i}]`,
  }));
}

function coveredBy(path: string, unknown: Record<string, string>): string | undefined {
  for (const [key, reason] of Object.entries(unknown)) {
    if (path === key || path.startsWith(key + '.') || path.startsWith(key + '[')) return reason;
  }
  return undefined;
}

/** "<instance-1>=1, <instance-2>=2" */
export const perInstanceText = (values: Record<string, Scalar>) =>
  Object.entries(values)
    .map(([id, v]) => `${id}=${String(v)}`)
    .join(', ');

function inconsistenciesOf(a: Fingerprint, b: Fingerprint): Inconsistency[] {
  const out: Inconsistency[] = [];
  for (const [side, other] of [
    [a, b],
    [b, a],
  ] as const) {
    if (side.role === 'production') continue;
    for (const [path, values] of Object.entries(side.perInstance ?? {})) {
      if (other.volatile.includes(path) || coveredBy(path, other.unknown) !== undefined) continue;
      out.push({ env: side.env, path, values });
    }
  }
  return out.sort(byPath);
}

const byPath = (x: { path: string }, y: { path: string }) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);

export function diffFingerprints(
  a: Fingerprint,
  b: Fingerprint,
  opts: { expectDifferent?: ExpectDifferent[]; now?: Date } = {},
): DiffResult {
  const now = opts.now ?? new Date();
  const expected = expectations(opts.expectDifferent ?? []);
  const used = new Set<Expectation>();
  const inconsistencies = inconsistenciesOf(a, b);
  const inconsistent = new Map(inconsistencies.map((i) => [i.path, i]));
  const volatile = new Set([...a.volatile, ...b.volatile]);
  const paths = [...new Set([...Object.keys(a.fields), ...Object.keys(b.fields)])].sort();
  const differences: Difference[] = [];
  const unverified = new Map<string, Unverified>();
  let same = 0;
  let compared = 0;

  for (const path of paths) {
    const ua = coveredBy(path, a.unknown);
    const ub = coveredBy(path, b.unknown);
    if (ua !== undefined || ub !== undefined) continue; // reported once per unknown key below
    compared++;
    const va = a.fields[path];
    const vb = b.fields[path];
    if (va === vb) {
      same++;
      continue;
    }
    const diff: Difference = { path, class: 'drift', a: va, b: vb };
    if (path in a.raw) diff.rawA = a.raw[path];
    if (path in b.raw) diff.rawB = b.raw[path];
    const matches = expected.filter((e) => e.match(path));
    matches.forEach((e) => used.add(e));
    const valid = matches.find((e) => !e.expiresAt || now < e.expiresAt);
    const expired = matches.find((e) => e.expiresAt && now >= e.expiresAt);
    if (valid) {
      diff.class = 'expected';
      diff.note = valid.reason + (valid.expiresAt ? ` (until ${lastDay(valid.expiresAt)})` : '');
    } else if (inconsistent.has(path)) {
      const i = inconsistent.get(path)!;
      diff.class = 'noise';
      diff.note = `inconsistent inside ${i.env} (${perInstanceText(i.values)}), not drift`;
    } else if (volatile.has(path)) {
      diff.class = 'noise';
      const where = [a, b].filter((f) => f.volatile.includes(path));
      const byInstance = where.filter((f) => f.perInstance?.[path]);
      diff.note = byInstance.length
        ? `differs between the instances of ${byInstance.map((f) => `${f.env} (${perInstanceText(f.perInstance![path])})`).join(' and of ')}`
        : `volatile in ${where.map((f) => f.env).join(' and ')}`;
    } else if (expired) {
      diff.note = `expected difference expired on ${lastDay(expired.expiresAt!)} (${expired.label}: ${expired.reason})`;
    }
    differences.push(diff);
  }

  const describe = (fp: Fingerprint, key: string): string => {
    if (key in fp.unknown) return `unknown: ${fp.unknown[key]}`;
    const covering = coveredBy(key, fp.unknown);
    if (covering !== undefined) return `unknown: ${covering}`;
    const under = Object.keys(fp.fields).filter(
      (p) => p === key || p.startsWith(key + '.') || p.startsWith(key + '['),
    );
    if (under.length === 0) return '(absent)';
    if (under.length === 1 && under[0] === key) return String(fp.fields[key]);
    return `${under.length} fields`;
  };
  for (const key of new Set([...Object.keys(a.unknown), ...Object.keys(b.unknown)])) {
    unverified.set(key, { path: key, a: describe(a, key), b: describe(b, key) });
  }

  differences.sort(byPath);
  const count = (c: DiffClass) => differences.filter((d) => d.class === c).length;
  return {
    a: { env: a.env, role: a.role, collectedAt: a.collectedAt },
    b: { env: b.env, role: b.role, collectedAt: b.collectedAt },
    differences,
    unverified: [...unverified.values()].sort(byPath),
    inconsistencies,
    unusedExpectations: expected
      .filter((e) => !used.has(e))
      .map(({ path, reason, expires }) => ({ path, reason, ...(expires ? { expires } : {}) })),
    summary: {
      compared,
      same,
      drift: count('drift'),
      expected: count('expected'),
      noise: count('noise'),
      unverified: unverified.size,
      inconsistent: inconsistencies.length,
    },
  };
}

// The evidence contract (src/contract/evidence.ts) describes this shape exactly.
const _differenceInContract: Same<Difference, DifferenceEvidence> = true;
void _differenceInContract;
