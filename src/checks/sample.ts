// Sampling the instances behind the ALB: cookie-less requests land wherever the ALB sends
// them, so a bounded loop of them shows which instances answer.
import { CookieJar, send, type HttpResponse } from '../http/client.js';
import { extract, headerValue, urlOf, type Probe } from '../http/identity.js';
import { DeadlineError } from '../errors.js';
import { pastDeadline, probe, withRetries } from './budget.js';
import type { TargetContext } from '../contract/target.js';
import { NO_IDENTITY } from '../contract/identity.js';

/** Shown where an answer carried no identity (the evidence contract's placeholder). */
export { NO_IDENTITY };

/** How many cookie-less tries may be spent looking for `want` distinct instances. */
export function triesFor(want: number): number {
  return Math.max(10, want * 5);
}

/**
 * Call `once` until `want` distinct instances have answered and at least `minTries` calls
 * were made, or `maxTries` calls were made, or the deadline passed.
 */
export async function sampleUntil<T extends { instance?: string }>(
  ctx: TargetContext,
  opts: { want: number; maxTries: number; minTries?: number },
  once: () => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  while (out.length < opts.maxTries && !pastDeadline(ctx)) {
    const sample = await once();
    out.push(sample);
    if (sample.instance !== undefined) seen.add(sample.instance);
    if (seen.size >= opts.want && out.length >= (opts.minTries ?? 0)) break;
  }
  // No observation is no evidence: a check must not pass (or fail) on zero answers.
  if (out.length === 0) {
    throw new DeadlineError(`run deadline reached before ${ctx.name} (${ctx.env.url}) was probed`);
  }
  return out;
}

/** Answers per instance, in order of first appearance. */
export function tally(instances: (string | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of instances) counts[i ?? NO_IDENTITY] = (counts[i ?? NO_IDENTITY] ?? 0) + 1;
  return counts;
}

/** "i-a ×3, i-b ×2" */
export function formatTally(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([id, n]) => `${id} ×${n}`)
    .join(', ');
}

/** Distinct real identities (answers without one do not count). */
export function distinct(instances: (string | undefined)[]): string[] {
  return [...new Set(instances.filter((i): i is string => i !== undefined))];
}

/** Where the configured identity comes from, for diagnoses. */
export function identitySource(ctx: TargetContext): string {
  const id = ctx.app.identity;
  return 'header' in id ? `header ${id.header}` : `GET ${id.path} → ${id.json}`;
}

export interface Attributed {
  instance: string | undefined;
  response: HttpResponse;
}

/**
 * GET `path` through the ALB, cookie-less, and tell which instance answered it. A header
 * identity is read from the same answer; a JSON identity from a different path needs its own
 * request first, whose sticky cookie then pins `path` to that instance (without a sticky
 * cookie the answer cannot be attributed).
 */
export async function getAttributed(ctx: TargetContext, path: string): Promise<Attributed> {
  const identity = ctx.app.identity;
  const get = (jar?: CookieJar) =>
    withRetries(ctx, (timeoutMs) => send(urlOf(ctx, path), { method: 'GET', timeoutMs, jar }));
  if ('header' in identity) {
    const response = await get();
    return { instance: headerValue(response.headers, identity.header), response };
  }
  if (identity.path === path) {
    const response = await get();
    return { instance: extract(identity, response), response };
  }
  const jar = new CookieJar();
  const who: Probe = await probe(ctx, jar);
  const pinned = (await jar.getCookies(ctx.env.url)).some((c) => c.key === ctx.app.sticky.cookie);
  const response = await get(jar);
  return { instance: pinned ? who.instance : undefined, response };
}
