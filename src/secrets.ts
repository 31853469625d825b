// The secrets this process knows of, and the one scrub every output passes through (stdout,
// stderr and every file parity writes: src/io/output.ts). Structural redaction of results
// (src/report/redact.ts) catches secrets by shape; this catches the exact values too, so a
// password that looks like any other word still never reaches an output.

const known = new Set<string>();

// Environment variables whose values are secrets by name (APP_PASSWORD, AWS_SECRET_ACCESS_KEY, ...).
const SECRET_VAR = /(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|CREDENTIALS?)/i;
// Config keys whose values are secrets (login.json.password, a header "authorization", ...).
const SECRET_KEY = /(?:password|passwd|passphrase|secret|token|api_?key|authorization|credentials?)$/i;
// Shorter values would redact ordinary words and numbers everywhere.
const MIN_LENGTH = 4;

/** Remember a value as secret: from now on it is replaced in every output. */
function addSecret(value: string | undefined): void {
  if (!value || value.length < MIN_LENGTH) return;
  known.add(value);
  // The forms it takes on the wire and in URLs.
  for (const v of [encodeURIComponent(value), Buffer.from(value).toString('base64')])
    if (v.length >= MIN_LENGTH) known.add(v);
}

/** The password of a URL with one ("redis://:pw@host", "http://user:pw@host"). */
function urlPassword(value: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:([^\s/@]+)@/i.exec(value);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** Remember the secrets of the environment (by variable name) and of a parsed config (by key, and URL passwords). */
export function addSecretsOf(env: NodeJS.ProcessEnv, tree?: unknown): void {
  for (const [name, value] of Object.entries(env)) if (SECRET_VAR.test(name)) addSecret(value);
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (SECRET_KEY.test(key)) addSecret(v);
      const pw = urlPassword(v);
      if (pw) {
        addSecret(pw);
        addSecret(encodeURIComponent(pw));
      }
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  if (tree !== undefined) walk(tree, '');
}

export const REDACTED = '[redacted]';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replace every known secret and every URL password in text. Safe on any output (JSON,
 * XML, HTML, base64 histograms): it only touches the secrets themselves and `scheme://u:pw@`.
 */
export function scrubText(text: string): string {
  let out = text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:"'<>]*):(?!\\?\[redacted\\?\]@)([^\s/@"'<>]+)@/gi,
    (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
  );
  if (known.size > 0) {
    // Longest first, so a secret containing another is replaced whole.
    const alternatives = [...known].sort((a, b) => b.length - a.length).map(escapeRe);
    out = out.replace(new RegExp(alternatives.join('|'), 'g'), REDACTED);
  }
  return out;
}

/**
 * Remember a value learnt at run time (a journey's captured CSRF token or session id): from
 * now on it is replaced in every output of this process.
 */
export function addRuntimeSecret(value: string): void {
  addSecret(value);
}
