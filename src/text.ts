// Text bounds shared by every output: a diagnosis is one line of at most a few hundred
// characters, whatever a server sent (1,000 instance ids, a 90 kB error page, control bytes).

/**
 * The longest a diagnosis line may be: room for the longest diagnosis built on purpose (the
 * EC2 checks name every instance and rule, a journey names both hops and the settle window,
 * about 480 characters), never for what a server sent.
 */
const MAX_DIAGNOSIS = 600;

/** One line: control characters become spaces, runs of whitespace one space, cut at `max` with a count of the rest. */
export function oneLine(text: string, max = MAX_DIAGNOSIS): string {
  const flat = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  if (flat.length <= max) return flat;
  const rest = flat.length - max;
  return `${flat.slice(0, max).trimEnd()}… (${rest.toLocaleString('en-US')} more characters)`;
}

/** The only cursor controls parity writes itself: back to the line's start and clear it (progress lines). */
const OWN_CONTROLS = new Set(['\r\x1b[2K', '\r\x1b[K']);

/**
 * Terminal text with every control character but newline and tab shown as an escape (`\x1b`,
 * `\x07`, `\r`), so nothing a user or a server wrote (a version, a header, an id) can move the
 * cursor, recolour, ring or rewrite a line; parity's own progress controls are kept.
 */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\x1b\[2?K|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) =>
    OWN_CONTROLS.has(c) ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** "a, b, c and 997 more": the first `few` items of a list, counted. */
export function firstFew(items: string[], few = 3): string {
  if (items.length <= few) return items.join(', ');
  return `${items.slice(0, few).join(', ')} and ${(items.length - few).toLocaleString('en-US')} more`;
}
