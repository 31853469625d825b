// Secrets never reach a report or a log: every string of a RunResults goes through here
// before any file is written. Over-redacting is acceptable; leaking is not.
import { REDACTED, scrubText } from '../secrets.js';
import type { RunResults } from './model.js';

export interface RedactOptions {
  /** Cookie names whose values are secret besides AWSALB* and *session* (e.g. the app's session cookie). */
  cookieNames?: string[];
}

// Keys whose whole value is a secret (suffix match: clientSecret, csrfToken, x-api-key, ...).
const SECRET_KEY =
  /(?:password|passwd|passphrase|secret|secret_?access_?key|token|api[-_]?key|authorization|credentials?)$|^(?:pwd|sid|session_?id|signature|bearer)$/i;
// Keys holding Cookie / Set-Cookie header values: names stay, values go.
const COOKIE_KEY = /^(?:cookie|cookies|set-?cookie|set_cookie|setcookies|cookieheader|requestcookies)$/i;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function textRules(opts: RedactOptions): [RegExp, string | ((...m: string[]) => string)][] {
  const names = ['AWSALB\\w*', '[\\w.-]*sess(?:ion)?[\\w.-]*', ...(opts.cookieNames ?? []).map(escapeRe)];
  const cookiePair = new RegExp(`(^|[\\s;,"'(])(${names.join('|')})=(?!\\[redacted\\])[^;\\s,"')]+`, 'gi');
  return [
    // user:password@ in any URL (redis://, rediss://, http://...).
    [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s]+)@/gi, (_m, s, u) => `${s}${u}:${REDACTED}@`],
    // Cookie / Set-Cookie headers in text: every name=value pair (attributes keep their names).
    [
      /\b((?:set-)?cookie)(["']?\s*[:=]\s*["']?)([^\n"']*)/gi,
      (_m, h, sep, v) => `${h}${sep}${redactCookieHeader(v)}`,
    ],
    [cookiePair, (_m, pre, n) => `${pre}${n}=${REDACTED}`],
    [/\b(bearer|basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/gi, (_m, k) => `${k} ${REDACTED}`],
    // token / password / secret fields in JSON, query strings or key=value text.
    [
      /(["']?\b(?:[\w-]*(?:token|password|passwd|secret(?:_?access_?key)?|api[-_]?key)|sid)["']?\s*[:=]\s*["']?)(?!\[redacted\])([^"'\s&,;}]+)/gi,
      (_m, k) => `${k}${REDACTED}`,
    ],
    [/\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b/g, REDACTED],
    // 40-char AWS secret keys: mixed case and a digit, so hex commit ids and words survive.
    [
      /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
      REDACTED,
    ],
  ];
}

/** Replace every value in a Cookie or Set-Cookie header ("a=1; b=2", "AWSALB=x; Path=/"). */
function redactCookieHeader(v: string): string {
  const keepAttrs = /^(?:path|domain|expires|max-age|samesite|secure|httponly|priority|partitioned)$/i;
  return v.replace(/([^=;,\s]+)=([^;,]*)/g, (m, name: string, val: string) =>
    keepAttrs.test(name) || val === REDACTED ? m : `${name}=${REDACTED}`,
  );
}

/** Redact secrets in one line of text (reports and logs). */
export function redactText(s: string, opts: RedactOptions = {}): string {
  let out = scrubText(s);
  for (const [re, to] of textRules(opts)) out = out.replace(re, to as (...m: string[]) => string);
  return out;
}

const COOKIE_NAME = (opts: RedactOptions) =>
  new RegExp(
    `^(?:AWSALB\\w*|.*sess(?:ion)?.*${(opts.cookieNames ?? []).map((n) => `|${escapeRe(n)}`).join('')})$`,
    'i',
  );

/** Deep copy of any JSON-like value with secrets replaced. */
function redactValue(v: unknown, opts: RedactOptions = {}, key = ''): unknown {
  if (SECRET_KEY.test(key) && v !== null && typeof v !== 'object' && typeof v !== 'boolean') return REDACTED;
  if (typeof v === 'string')
    return COOKIE_KEY.test(key) ? redactCookieHeader(redactText(v, opts)) : redactText(v, opts);
  if (Array.isArray(v))
    return v.map((x) => redactValue(x, opts, SECRET_KEY.test(key) || COOKIE_KEY.test(key) ? key : ''));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  // A cookie as an object ({name|key: "AWSALB", value: "..."}, tough-cookie uses key): keep the name, drop the value.
  const name = typeof o.name === 'string' ? o.name : typeof o.key === 'string' ? o.key : undefined;
  const cookieObj =
    name !== undefined && 'value' in o && (COOKIE_KEY.test(key) || COOKIE_NAME(opts).test(name));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    if (SECRET_KEY.test(key) && typeof x !== 'object') out[k] = REDACTED;
    else
      out[k] = cookieObj && k === 'value' ? REDACTED : redactValue(x, opts, SECRET_KEY.test(key) ? key : k);
  }
  return out;
}

/** RunResults with every secret replaced; the input is not modified. */
export function redactResults(results: RunResults, opts: RedactOptions = {}): RunResults {
  return redactValue(results, opts) as RunResults;
}
