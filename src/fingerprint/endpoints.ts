import { createHash } from 'node:crypto';
import type { EndpointSpec } from '../config/schema.js';
import type { TargetContext } from '../contract/target.js';
import { firstLine, HttpError } from '../errors.js';
import { assertMethodAllowed, send, type HttpResponse } from '../http/client.js';
import { extract, headerValue, urlOf } from '../http/identity.js';
import { connectRedis } from '../redis/client.js';
import { deleteProbeKey } from '../redis/session-key.js';
import { assetList } from './assets.js';
import { shapeFields, valueFields } from './json-fields.js';
import { createProbeSession } from './probe-session.js';
import { sessionKeyPattern } from './redis.js';
import type { Sample, Scalar } from './types.js';

// The app's own endpoints (fingerprint.endpoints), Diffy-style: each one asked of every instance
// behind the ALB with cookie-less requests (so the ALB spreads them), GET/HEAD only, bodies
// capped, every request bounded by the run's deadline. A field that differs between two
// instances of one environment is recorded per instance (and so is noise, see diff.ts).

const REQUEST_TIMEOUT_MS = 5000;

const endpointBase = (path: string) => `http.endpoints[${path}]`;

/** The fields of one answer, per the endpoint's compare mode. Pure. */
export function answerFields(
  spec: Pick<EndpointSpec, 'path' | 'compare' | 'method'>,
  res: Pick<HttpResponse, 'status' | 'headers' | 'body' | 'bytes'>,
): { fields: Record<string, Scalar>; note?: string } {
  const base = endpointBase(spec.path);
  const fields: Record<string, Scalar> = { [`${base}.status`]: res.status };
  const type = headerValue(res.headers, 'content-type');
  fields[`${base}.contentType`] = type ? type.toLowerCase().replace(/\s*;\s*/g, '; ') : '(none)';
  if (spec.method === 'HEAD') return { fields };
  let note: string | undefined;
  if (spec.compare === 'hash') {
    fields[`${base}.sha256`] = createHash('sha256')
      .update(res.bytes ?? Buffer.from(res.body))
      .digest('hex');
  } else if (spec.compare === 'assets') {
    fields[`${base}.assets[]`] = assetList(res.body);
  } else {
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      fields[`${base}.json`] = '(not JSON)';
      return { fields };
    }
    if (spec.compare === 'values') {
      const v = valueFields(json, `${base}.json`);
      Object.assign(fields, v.fields);
      if (v.truncated) note = 'values: only the first 200 JSON fields are compared';
    } else Object.assign(fields, shapeFields(json, `${base}.json`));
  }
  return { fields, note };
}

/**
 * Merge the answers of several instances: a field the same everywhere is a plain field; one
 * that differs (or is missing on some) takes the first instance's value and is listed per
 * instance. Pure.
 */
export function mergeInstances(byInstance: Map<string, Record<string, Scalar>>): {
  fields: Record<string, Scalar>;
  perInstance: Record<string, Record<string, Scalar | undefined>>;
} {
  const ids = [...byInstance.keys()].sort();
  const paths = new Set(ids.flatMap((id) => Object.keys(byInstance.get(id)!)));
  const fields: Record<string, Scalar> = {};
  const perInstance: Record<string, Record<string, Scalar | undefined>> = {};
  for (const p of paths) {
    const values = ids.map((id) => byInstance.get(id)![p]);
    const present = ids.filter((id) => p in byInstance.get(id)!);
    const first = byInstance.get(present[0])![p];
    fields[p] = first;
    if (present.length !== ids.length || values.some((v) => v !== first)) {
      perInstance[p] = Object.fromEntries(ids.map((id) => [id, byInstance.get(id)![p]]));
    }
  }
  return { fields, perInstance };
}

interface ProbeSession {
  cookie?: string;
  sid?: string;
  reason?: string;
}

/** Deletes the probe session made for withSession endpoints (staging only), where Redis is configured. */
async function dropSession(ctx: TargetContext, sid: string): Promise<string | undefined> {
  const url = ctx.env.redis?.url;
  if (!url) return 'the probe session is left to expire (no Redis configured to delete it)';
  try {
    const redis = await connectRedis(url, { timeoutMs: 3000 });
    try {
      await deleteProbeKey(redis, ctx.env, sessionKeyPattern(ctx.app.session.redisKey).keyOf(sid));
    } finally {
      redis.disconnect();
    }
  } catch (err) {
    return `the probe session could not be deleted: ${firstLine(err)}`;
  }
  return undefined;
}

/** One pass over the configured endpoints. */
export async function endpointsSample(ctx: TargetContext): Promise<Sample> {
  const specs = ctx.config.fingerprint.endpoints;
  const fields: Record<string, Scalar> = {};
  const raw: Record<string, Scalar> = {};
  const unknown: Record<string, string> = {};
  const perInstance: Record<string, Record<string, Scalar | undefined>> = {};
  if (specs.length === 0) return { fields, raw, unknown, identifiers: [] };

  const production = ctx.env.role === 'production';
  let session: ProbeSession | undefined;
  const expected = ctx.app.expectedInstances;
  // Identity in a header tells which instance answered each request; identity in a JSON body
  // (app.identity.path) does not, so each answer then counts as its own observer.
  const byHeader = 'header' in ctx.app.identity;
  try {
    for (const spec of specs) {
      const base = endpointBase(spec.path);
      let cookie: string | undefined;
      if (spec.withSession && !production) {
        if (!session) {
          const made = await createProbeSession(ctx);
          session = 'sid' in made ? made : { reason: made.reason };
        }
        if (!session.cookie) {
          unknown[base] = `withSession: ${session.reason}`;
          continue;
        }
        cookie = session.cookie;
      }
      const byInstance = new Map<string, Record<string, Scalar>>();
      const notes = new Set<string>();
      let failure: string | undefined;
      // Bounded in count (stops once every expected instance answered) and in time (the deadline).
      for (let i = 0; i < Math.min(4 * expected, 16) && byInstance.size < expected; i++) {
        const left = ctx.deadline - Date.now();
        if (left < 100) {
          failure = 'the run deadline was reached before this endpoint was asked';
          break;
        }
        assertMethodAllowed(ctx.env, spec.method, ctx.allowProductionWrites);
        let res: HttpResponse;
        try {
          res = await send(urlOf(ctx, spec.path), {
            method: spec.method,
            headers: cookie ? { cookie } : {},
            timeoutMs: Math.min(REQUEST_TIMEOUT_MS, left),
            maxBodyBytes: spec.maxBytes,
          });
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
          failure = err.message;
          break;
        }
        const who = (byHeader ? extract(ctx.app.identity, res) : undefined) ?? `answer-${i + 1}`;
        if (byInstance.has(who)) continue;
        const answer = answerFields(spec, res);
        if (answer.note) notes.add(answer.note);
        byInstance.set(who, answer.fields);
      }
      if (byInstance.size === 0) {
        unknown[base] = failure ?? 'no answer';
        continue;
      }
      const merged = mergeInstances(byInstance);
      if (spec.withSession && production) {
        // Production is never given a session (making one writes): its cookie-less answer is
        // kept for the report, and the comparison of this endpoint is unverified.
        unknown[base] =
          'withSession: production is asked without a session (parity makes sessions on staging only)';
        raw[`${base}.cookieLessStatus`] = merged.fields[`${base}.status`];
        continue;
      }
      Object.assign(fields, merged.fields);
      Object.assign(perInstance, merged.perInstance);
      const seen = [...byInstance.keys()].sort();
      if (failure) notes.add(`after ${seen.length} answer(s): ${failure}`);
      // Context for the report, never compared.
      raw[`${base}.answeredBy`] =
        (byHeader
          ? seen.join(', ')
          : `${seen.length} answer(s), instance unknown (app.identity is not a header)`) +
        (notes.size ? `; ${[...notes].join('; ')}` : '');
    }
  } finally {
    if (session?.sid) {
      const why = await dropSession(ctx, session.sid);
      if (why) raw['http.endpoints.session'] = why;
    }
  }
  return { fields, raw, unknown, identifiers: [], perInstance };
}
