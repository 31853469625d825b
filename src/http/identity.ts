import type { Extractor } from '../config/schema.js';
import type { TargetContext } from '../contract/target.js';
import { getPointer } from './json-pointer.js';
import { send, type HttpResponse, type SendOptions } from './client.js';

/** A header value by name, whatever its case on the wire. */
export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === want) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** Read a value from a response per the extractor; undefined when it is not there. */
export function extract(extractor: Extractor, res: HttpResponse): string | undefined {
  if ('header' in extractor) return headerValue(res.headers, extractor.header);
  try {
    const v = getPointer(JSON.parse(res.body), extractor.json);
    return v === undefined || v === null ? undefined : String(v);
  } catch {
    return undefined;
  }
}

export interface Probe {
  instance: string | undefined;
  version: string | undefined;
  response: HttpResponse;
}

/**
 * One request through the ALB that tells which instance answered (and its version when the
 * same request reveals it). Header identity rides on the health path; JSON identity needs
 * its own path. Sticky cookies in `opts.jar` are sent and updated.
 */
export async function probeInstance(ctx: TargetContext, opts: SendOptions = {}): Promise<Probe> {
  const { identity, version } = ctx.app;
  const path = 'path' in identity ? identity.path : ctx.app.health.path;
  const response = await send(ctx.env.url.replace(/\/$/, '') + path, { ...opts, method: 'GET' });
  const sameRequest = 'header' in version || ('path' in version && version.path === path);
  return {
    instance: extract(identity, response),
    version: sameRequest ? extract(version, response) : undefined,
    response,
  };
}

/** The URL of a path on the environment's ALB. */
export function urlOf(ctx: TargetContext, path: string): string {
  return ctx.env.url.replace(/\/$/, '') + path;
}
