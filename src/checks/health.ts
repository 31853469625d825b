// health.alb: the health path through the ALB answers the expected status AND the JSON the
// config expects, on every instance. ChatMRPT answers 200 with overall=degraded when broken,
// so the status alone proves nothing.
import { isDeepStrictEqual } from 'node:util';
import type { HttpResponse } from '../http/client.js';
import { getPointer } from '../http/json-pointer.js';
import { timed } from '../contract/result.js';
import {
  distinct,
  getAttributed,
  identitySource,
  NO_IDENTITY,
  sampleUntil,
  tally,
  triesFor,
} from './sample.js';
import type { CheckResultOf } from '../contract/result.js';
import type { EvidenceById } from '../contract/evidence.js';
import type { TargetContext } from '../contract/target.js';
import { round } from '../util.js';

export interface HealthVerdict {
  ok: boolean;
  problems: string[];
  /** The body's values at the configured pointers (not the whole body). */
  values: Record<string, unknown>;
}

/** Judge one health answer against the expected status and `pointer → value` predicate. */
export function judgeHealth(
  res: Pick<HttpResponse, 'status' | 'body'>,
  expectStatus: number,
  predicate: Record<string, unknown>,
): HealthVerdict {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  if (res.status !== expectStatus) problems.push(`status ${res.status} (expected ${expectStatus})`);
  const pointers = Object.entries(predicate);
  if (pointers.length > 0) {
    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      problems.push('body is not JSON');
      return { ok: false, problems, values };
    }
    for (const [pointer, want] of pointers) {
      const got = getPointer(doc, pointer);
      values[pointer] = got;
      if (!isDeepStrictEqual(got, want)) {
        const shown = got === undefined ? 'missing' : `is ${JSON.stringify(got)}`;
        problems.push(`${pointer} ${shown} (expected ${JSON.stringify(want)})`);
      }
    }
  }
  return { ok: problems.length === 0, problems, values };
}

/** What an ALB's own error status means (an answer without the app's identity is likely the ALB's). */
const ALB_ERRORS: Record<number, string> = {
  502: 'a target closed the connection or answered malformed',
  503: 'the target group has no registered targets',
  504: 'a target did not answer within the idle timeout',
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)];
};

/**
 * Probe the health path cookie-less until every expected instance answered once (bounded),
 * so one degraded instance behind the ALB is caught, not just whichever answered first.
 */
export function healthAlb(ctx: TargetContext): Promise<CheckResultOf<'health.alb'>> {
  return timed(healthAlb.id, ctx.name, async () => {
    const { path, status, json } = ctx.app.health;
    const want = ctx.app.expectedInstances;
    const samples = await sampleUntil(ctx, { want, maxTries: triesFor(want) }, async () => {
      const { instance, response } = await getAttributed(ctx, path);
      return { instance, ms: response.ms, status: response.status, ...judgeHealth(response, status, json) };
    });
    const ids = distinct(samples.map((s) => s.instance));
    const times = samples.map((s) => s.ms);
    const evidence: EvidenceById['health.alb'] = {
      path,
      expect: { status, json },
      tries: samples.length,
      answers: tally(samples.map((s) => s.instance)),
      responseMs: { median: round(median(times), 1), max: round(Math.max(...times), 1) },
      samples: samples.map((s) => ({
        instance: s.instance ?? NO_IDENTITY,
        status: s.status,
        ms: round(s.ms, 1),
        values: s.values,
        ...(s.ok ? {} : { problems: s.problems }),
      })),
    };
    const bad = samples.filter((s) => !s.ok);
    if (bad.length > 0) {
      // One line per failing instance, first problem list each.
      const byInstance = new Map<string, string[]>();
      for (const s of bad) {
        const alb = s.instance === undefined ? ALB_ERRORS[s.status] : undefined;
        const problems = alb ? [...s.problems, `an ALB answers ${s.status} when ${alb}`] : s.problems;
        byInstance.set(s.instance ?? 'an answer without instance identity', problems);
      }
      const parts = [...byInstance].map(([id, problems]) => `${id}: ${problems.join(', ')}`);
      return {
        status: 'fail',
        diagnosis: `GET ${path} through the ALB: ${parts.join('; ')} (${bad.length} of ${samples.length} answers)`,
        evidence,
      };
    }
    const coverage =
      ids.length >= want
        ? `${ids.length} instance${ids.length === 1 ? '' : 's'}`
        : ids.length === 0
          ? `${samples.length} answers, none with an instance identity (${identitySource(ctx)})`
          : `only ${ids.length} of ${want} instances answered in ${samples.length} tries`;
    const what = Object.keys(json).length ? `status ${status} and ${describe(json)}` : `status ${status}`;
    return {
      status: 'pass',
      diagnosis: `GET ${path} through the ALB: ${what} on ${coverage}; median ${evidence.responseMs.median} ms`,
      evidence,
    };
  });
}
healthAlb.id = 'health.alb' as const;

function describe(predicate: Record<string, unknown>): string {
  return Object.entries(predicate)
    .map(([p, v]) => `${p} = ${JSON.stringify(v)}`)
    .join(', ');
}
