// A step's `capture`: named values read from its answer (a JSON pointer, a header, a cookie the
// client now holds, a regex group, an HTML element's attribute or text), used as `{name}` by
// later steps. Pure over the answer; the values are secrets of the run (a CSRF token, a
// session id): callers register them and never record them.
import { Parser } from 'htmlparser2';
import type { Capture } from '../../config/schema.js';
import type { HttpResponse } from '../../http/client.js';
import { getPointer } from '../../http/json-pointer.js';

type Answer = Pick<HttpResponse, 'headers' | 'body'>;

export type CaptureResult = { ok: true; values: Record<string, string> } | { ok: false; reason: string };

/** A compound selector: tag, #id, .class and [attr] / [attr=value] parts, all on one element. */
interface Selector {
  tag?: string;
  id?: string;
  classes: string[];
  attrs: { name: string; value?: string }[];
}

const SELECTOR =
  /^([A-Za-z][A-Za-z0-9-]*)?((?:#[\w-]+|\.[\w-]+|\[[\w:-]+(?:=(?:"[^"]*"|'[^']*'|[^\]]*))?\])*)$/;

/** Parse `input[name=csrf_token]`, `meta[name="csrf-token"]`, `#token`, `.sid`; null when not one of those. */
function parseSelector(text: string): Selector | null {
  const m = SELECTOR.exec(text.trim());
  if (!m || (!m[1] && !m[2])) return null;
  const sel: Selector = { tag: m[1]?.toLowerCase(), classes: [], attrs: [] };
  for (const part of m[2]!.matchAll(/#([\w-]+)|\.([\w-]+)|\[([\w:-]+)(?:=("[^"]*"|'[^']*'|[^\]]*))?\]/g)) {
    if (part[1]) sel.id = part[1];
    else if (part[2]) sel.classes.push(part[2]);
    else {
      const raw = part[4];
      const value = raw === undefined ? undefined : raw.replace(/^(["'])(.*)\1$/, '$2');
      sel.attrs.push({ name: part[3]!.toLowerCase(), value });
    }
  }
  return sel;
}

function matches(sel: Selector, tag: string, attrs: Record<string, string>): boolean {
  if (sel.tag && sel.tag !== tag) return false;
  if (sel.id && attrs.id !== sel.id) return false;
  const classes = (attrs.class ?? '').split(/\s+/);
  if (sel.classes.some((c) => !classes.includes(c))) return false;
  return sel.attrs.every((a) => a.name in attrs && (a.value === undefined || attrs[a.name] === a.value));
}

/** The first element matching `selector`: its attribute `attr`, or its text (trimmed); undefined: none. */
export function htmlValue(html: string, selector: string, attr?: string): string | undefined {
  const sel = parseSelector(selector);
  if (!sel) return undefined;
  let found: string | undefined;
  let depth = 0; // > 0 while inside the matched element, collecting its text
  let text = '';
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (found !== undefined) return;
        if (depth > 0) {
          depth++;
          return;
        }
        if (!matches(sel, name, attrs)) return;
        if (attr !== undefined) {
          found = attrs[attr.toLowerCase()] ?? undefined;
          if (found === undefined) return; // the element lacks it: look further
          parser.pause();
          return;
        }
        depth = 1;
      },
      ontext(t) {
        if (depth > 0) text += t;
      },
      onclosetag() {
        if (depth === 0 || found !== undefined) return;
        if (--depth === 0) {
          found = text.replace(/\s+/g, ' ').trim();
          parser.pause();
        }
      },
    },
    { decodeEntities: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return found;
}

const headerOf = (res: Answer, name: string) => {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** What one capture reads from the answer; `cookies` are the client's after it. */
function captureOne(c: Capture, res: Answer, cookies: Record<string, string>): string | undefined {
  if (c.json !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      return undefined;
    }
    const v = getPointer(doc, c.json);
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  }
  if (c.header !== undefined) return headerOf(res, c.header);
  if (c.cookie !== undefined) return cookies[c.cookie];
  if (c.regex !== undefined) return new RegExp(c.regex).exec(res.body)?.[c.group ?? 1];
  if (c.html !== undefined) return htmlValue(res.body, c.html, c.attr);
  return undefined;
}

/** Where a capture reads, for a diagnosis ("json /session_id", "html input[name=csrf_token] value"). */
function describeCapture(c: Capture): string {
  if (c.json !== undefined) return `json ${c.json}`;
  if (c.header !== undefined) return `header ${c.header}`;
  if (c.cookie !== undefined) return `cookie ${c.cookie}`;
  if (c.regex !== undefined) return `regex /${c.regex}/ group ${c.group ?? 1}`;
  return `html ${c.html}${c.attr ? ` ${c.attr}` : ' text'}`;
}

/** Every capture of a step, or the first that finds nothing (an empty value counts as nothing). */
export function captureAll(
  captures: Record<string, Capture> | undefined,
  res: Answer,
  cookies: Record<string, string>,
): CaptureResult {
  const values: Record<string, string> = {};
  for (const [name, c] of Object.entries(captures ?? {})) {
    const v = captureOne(c, res, cookies);
    if (v === undefined || v === '')
      return { ok: false, reason: `capture "${name}" found nothing (${describeCapture(c)})` };
    values[name] = v;
  }
  return { ok: true, values };
}
