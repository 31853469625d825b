// A configured request (app.session.login/write/read) turned into something `send` can send,
// with `{name}` placeholders (e.g. `{marker}`) filled in paths, headers, JSON, form fields.
import { basename } from 'node:path';
import type { RequestSpec } from '../config/schema.js';
import { addSecretHeaders } from '../secrets.js';
import { UsageError } from '../errors.js';
import { readFormFile } from '../config/form-files.js';
import { FormData, type SendOptions } from './client.js';
import { contentTypeOf } from './content-type.js';

/** Replace `{name}` with vars[name]; unknown names stay as they are. */
export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string) => vars[name] ?? m);
}

function fillDeep(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return fill(value, vars);
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, vars)]));
  }
  return value;
}

/** The path with `{name}`s filled URL-encoded (a captured id may hold "/" or "?"), plus the query. */
function fillPath(template: string, query: Record<string, string> | undefined, vars: Record<string, string>) {
  const path = template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string) =>
    vars[name] === undefined ? m : encodeURIComponent(vars[name]),
  );
  if (!query || Object.keys(query).length === 0) return path;
  const q = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, fill(v, vars)]));
  return `${path}${path.includes('?') ? '&' : '?'}${q.toString()}`;
}

export interface BuiltRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: SendOptions['body'];
}

export function buildRequest(
  spec: Pick<RequestSpec, 'method' | 'path' | 'headers' | 'json' | 'form' | 'body'> & {
    query?: RequestSpec['query'];
  },
  vars: Record<string, string>,
  extraHeaders: Record<string, string> = {},
): BuiltRequest {
  const headers: Record<string, string> = { ...extraHeaders };
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k.toLowerCase()] = fill(v, vars);
  let body: BuiltRequest['body'];
  if (spec.json) {
    body = JSON.stringify(fillDeep(spec.json, vars));
    headers['content-type'] ??= 'application/json';
  } else if (spec.form) {
    const form = new FormData();
    for (const [name, field] of Object.entries(spec.form)) {
      if (typeof field === 'string') form.append(name, fill(field, vars));
      else if (field.path !== undefined) {
        // Sent as the file's bytes, untouched: binary files (zip, xlsx) arrive byte for byte.
        const filename = fill(field.filename ?? basename(field.path), vars);
        const type = field.contentType ?? contentTypeOf(filename);
        let bytes: Buffer;
        try {
          bytes = readFormFile(field.path);
        } catch (err) {
          throw new UsageError(`form file "${name}": ${(err as Error).message}`);
        }
        form.append(name, new Blob([new Uint8Array(bytes)], { type }), filename);
      } else {
        const type = field.contentType ?? 'text/csv';
        form.append(
          name,
          new Blob([fill(field.content ?? '', vars)], { type }),
          fill(field.filename ?? 'upload.csv', vars),
        );
      }
    }
    body = form;
  } else if (spec.body !== undefined) {
    body = fill(spec.body, vars);
  }
  // As sent ({name} filled): a secret header's value is known to this process's outputs.
  addSecretHeaders(headers);
  return { method: spec.method, path: fillPath(spec.path, spec.query, vars), headers, body };
}
