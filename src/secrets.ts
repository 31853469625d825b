// The secrets this process knows of, and the one scrub every output passes through (stdout,
// stderr and every file parity writes: src/io/output.ts). Structural redaction of results
// (src/report/redact.ts) catches secrets by shape; this catches the exact values too, so a
// password that looks like any other word still never reaches an output.
//
// Each process (and each test worker thread) has its own set: the CLI and a worker both load
// the config, so both know its secrets; a value learnt at run time (a login's token, a
// journey's captured value) is known only where it was learnt, so a check's result is scrubbed
// in the worker before it leaves it (src/suite.ts), and again by the CLI before any output.

const known = new Set<string>();
// The one regular expression of every known secret, rebuilt only when the set changed.
let pattern: RegExp | undefined;

// Environment variables whose values are secrets by name (APP_PASSWORD, AWS_SECRET_ACCESS_KEY, ...).
const SECRET_VAR = /(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|CREDENTIALS?)/i;
// Config keys whose values are secrets (login.json.password, ...).
const SECRET_KEY = /(?:pass(?:word|wd|phrase|code)?|secret|token|api[-_]?key|authorization|credentials?)$/i;
/**
 * Header names whose values are secrets (also the names of a request body's fields):
 * authorization, cookie, x-api-key, x-auth-token, any name with key, secret, pass or token in it.
 */
const SECRET_HEADER = /^(?:(?:proxy-)?authorization|cookie|set-cookie)$|key|secret|pass|token|auth/i;
// Shorter values would redact ordinary words and numbers everywhere.
const MIN_LENGTH = 4;

/** Remember a value as secret: from now on it is replaced in every output. */
function addSecret(value: string | undefined): void {
  if (!value || value.length < MIN_LENGTH) return;
  const size = known.size;
  known.add(value);
  // The forms it takes on the wire and in URLs.
  for (const v of [encodeURIComponent(value), Buffer.from(value).toString('base64')])
    if (v.length >= MIN_LENGTH) known.add(v);
  if (known.size !== size) pattern = undefined;
}

/**
 * Remember a value learnt at run time as secret in this process (a token from a login's
 * answer, a value a journey captured): from now on it is replaced in every output of this
 * process, and in the check results it leaves with (src/suite.ts). Values under 4 characters
 * are ignored (they would redact ordinary words).
 */
export function addRuntimeSecret(value: string | undefined): void {
  addSecret(value);
}

/** Whether a request header (or body field) of this name carries a secret: authorization, cookie, x-api-key, *-token, *key*, *secret*, *pass*. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/** A header value's secrets: the whole value, and each cookie's value of a Cookie header. */
function addHeaderValue(name: string, value: string): void {
  addSecret(value);
  if (/^(?:set-)?cookie$/i.test(name))
    for (const pair of value.split(';')) addSecret(pair.slice(pair.indexOf('=') + 1).trim());
}

/** Remember the secret values of a request's headers (their names say which), as sent. */
export function addSecretHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) if (isSecretHeader(name)) addHeaderValue(name, value);
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

// The parts of a request whose keys name secret fields like headers do: headers, a JSON or form body.
const PAYLOAD = /^(?:headers|json|form)$/;
// What an answer is expected to hold (`expect.json`, `app.health.json`): JSON pointers, not fields sent.
const EXPECTATION = /^(?:expect|health)$/;

/**
 * Remember the secrets of the environment (by variable name) and of a parsed config: values
 * of secret keys, of secret headers and body fields (by name, see isSecretHeader), and URL
 * passwords. (Every value a `${VAR}` put in the config is remembered by the config loader.)
 */
export function addSecretsOf(env: NodeJS.ProcessEnv, tree?: unknown): void {
  for (const [name, value] of Object.entries(env)) if (SECRET_VAR.test(name)) addSecret(value);
  const walk = (v: unknown, key: string, inPayload: boolean | undefined): void => {
    if (typeof v === 'string') {
      if (SECRET_KEY.test(key)) addSecret(v);
      if (inPayload === true && isSecretHeader(key)) addHeaderValue(key, v);
      const pw = urlPassword(v);
      if (pw) {
        addSecret(pw);
        addSecret(encodeURIComponent(pw));
      }
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key, inPayload));
    else if (v && typeof v === 'object') {
      // false: inside an expectation, where no key makes a payload (undefined: not yet in one).
      const inner = EXPECTATION.test(key)
        ? false
        : inPayload === undefined && PAYLOAD.test(key)
          ? true
          : inPayload;
      for (const [k, x] of Object.entries(v)) walk(x, k, inner);
    }
  };
  if (tree !== undefined) walk(tree, '', undefined);
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
    pattern ??= new RegExp(
      [...known]
        .sort((a, b) => b.length - a.length)
        .map(escapeRe)
        .join('|'),
      'g',
    );
    out = out.replace(pattern, REDACTED);
  }
  return out;
}

/** A deep copy of a JSON-like value with scrubText applied to every string (keys included). */
export function scrubDeep<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrubText(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
