// A request's own Cookie header (a journey step's or a session request's `headers`) and the
// virtual client's jar: both are sent, never one silently instead of the other.

const nameOf = (pair: string) =>
  pair.slice(0, pair.indexOf('=') === -1 ? undefined : pair.indexOf('=')).trim();

/**
 * One Cookie header from the request's own (`own`) and the jar's (`jar`): the request's pairs
 * first, as written, then the jar's cookies whose names the request did not set (a name the
 * request sets is its value: the config asked for it). Pure.
 */
export function mergeCookieHeader(own: string | undefined, jar: string): string {
  const mine = (own ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
  const names = new Set(mine.map(nameOf));
  const theirs = jar
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && !names.has(nameOf(p)));
  return [...mine, ...theirs].join('; ');
}
