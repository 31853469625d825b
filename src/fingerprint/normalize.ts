import type { Identifier, Scalar } from './types.js';

// Environment-specific identifiers become role placeholders (`<lb-arn>`, `<account>`,
// `<tg:HTTP:5000>`), so staging and production compare field by field. Known identifiers are
// replaced first (longest first, so an ARN goes before the name inside it); patterns then
// catch whatever is left (any ARN, account id, IP, instance/subnet/SG/VPC id, timestamp).
// CIDRs are kept: 0.0.0.0/0 against 10.0.0.0/16 is a difference that matters.

const PATTERNS: [RegExp, string][] = [
  // No word boundary: "_arn:aws:..." or "xarn:aws:..." must not let an ARN through.
  [/arn:aws[a-z-]*:[^\s,;"'<>]*/g, '<arn>'],
  [/\b[a-z0-9-]+\.[a-z]{2}(?:-[a-z]+)+-\d\.elb\.amazonaws\.com\b/gi, '<lb-dns>'],
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/(?<![A-Za-z0-9])(i|subnet|sg|vpc|eni|igw|nat|rtb|acl)-[0-9a-f]{8,17}(?![0-9a-f])/g, '<$1>'],
  // An address, but not a CIDR (security group sources are compared as they are).
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?!\/\d)(?::\d{1,5})?\b/g, '<ip>'],
  [/(?<![\w.])\d{12}(?![\w.])/g, '<account>'],
];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replace identifiers and identifier-shaped text in one value. Non-strings pass through. */
export function normalizeValue(value: Scalar, identifiers: Identifier[]): Scalar {
  if (typeof value !== 'string') return value;
  let out = value;
  const known = identifiers.filter((i) => i.value).sort((a, b) => b.value.length - a.value.length);
  for (const id of known) {
    out = id.word
      ? out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRe(id.value)}(?![A-Za-z0-9])`, 'g'), id.placeholder)
      : out.split(id.value).join(id.placeholder);
  }
  for (const [re, placeholder] of PATTERNS) out = out.replace(re, placeholder);
  return out;
}

/** Normalized fields, and the raw value of every field that normalization changed. */
export function normalizeFields(
  fields: Record<string, Scalar>,
  identifiers: Identifier[],
): { fields: Record<string, Scalar>; raw: Record<string, Scalar> } {
  const out: Record<string, Scalar> = {};
  const raw: Record<string, Scalar> = {};
  for (const [path, value] of Object.entries(fields)) {
    const n = normalizeValue(value, identifiers);
    out[path] = n;
    if (n !== value) raw[path] = value;
  }
  return { fields: out, raw };
}

/** Distinct values, in sorted order, each given a numbered placeholder (`<target-1>`...). */
export function numbered(values: Iterable<string>, role: string): Identifier[] {
  return [...new Set(values)]
    .filter(Boolean)
    .sort()
    .map((value, i) => ({ value, placeholder: `<${role}-${i + 1}>` }));
}

/** A sorted copy of a record (deterministic JSON). */
export function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
