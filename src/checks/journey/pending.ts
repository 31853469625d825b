// Teardown that survives a stop. The journeys run in a vitest worker, which dies with its
// process on SIGINT/SIGTERM and cannot run its teardown then; so while a journey with
// teardown steps runs, each of its users' teardown requests (as they would be sent now: the
// captured values filled, the cookies it holds) sit in a file of the folder the CLI named
// (PARITY_TEARDOWN_PENDING), rewritten after every step and removed once the teardown ran.
// The CLI sends what is left there when it is stopped or the suites ended without it
// (src/run/teardown-guard.ts). The files hold session cookies: mode 600, in a folder of 700,
// deleted as soon as they are used.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Journey } from '../../config/schema.js';
import { CookieJar, send } from '../../http/client.js';
import { buildRequest } from '../../http/request-spec.js';
import { firstLine } from '../../errors.js';
import type { TargetContext } from '../../contract/target.js';
import type { JourneyUser } from './user.js';

interface PendingRequest {
  step: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface PendingFile {
  journey: string;
  variant: string;
  url: string;
  requests: PendingRequest[];
  jar: NonNullable<ReturnType<CookieJar['serializeSync']>>;
}

export interface PendingTeardowns {
  /** Write (or rewrite) the user's teardown as it would be sent now. */
  save(variant: string, user: JourneyUser): void;
  /** The teardown ran: forget every user's file. */
  clear(): void;
}

const NONE: PendingTeardowns = { save() {}, clear() {} };

/** The user's teardown requests as they would be sent now (form bodies and unfilled captures are left out). */
function requestsOf(ctx: TargetContext, journey: Journey, user: JourneyUser): PendingRequest[] {
  const out: PendingRequest[] = [];
  for (const step of journey.teardown) {
    if (step.request.form) continue;
    const built = buildRequest(step.request, user.vars, user.headers);
    if (/\{[A-Za-z_][A-Za-z0-9_]*\}/.test(built.path)) continue; // a capture it needs never came
    out.push({
      step: step.name,
      method: built.method,
      path: built.path,
      headers: built.headers,
      ...(typeof built.body === 'string' ? { body: built.body } : {}),
    });
  }
  return out;
}

/** One journey check's pending teardowns in `dir` (none without a dir or teardown steps). */
export function pendingTeardowns(
  ctx: TargetContext,
  journey: Journey,
  dir: string | undefined,
): PendingTeardowns {
  if (!dir || journey.teardown.length === 0) return NONE;
  const files = new Map<JourneyUser, string>();
  return {
    save(variant, user) {
      try {
        const jar = user.jar.serializeSync(); // undefined only for an asynchronous store
        if (!jar) return;
        let file = files.get(user);
        if (!file) files.set(user, (file = join(dir, `${randomBytes(8).toString('hex')}.json`)));
        const body: PendingFile = {
          journey: journey.name,
          variant,
          url: ctx.env.url,
          requests: requestsOf(ctx, journey, user),
          jar,
        };
        // Whole or not at all: a stop in the middle must not leave half a file.
        writeFileSync(`${file}.tmp`, JSON.stringify(body), { mode: 0o600 });
        renameSync(`${file}.tmp`, file);
      } catch {
        // Best effort: the normal teardown does not depend on it.
      }
    },
    clear() {
      for (const file of files.values()) rmSync(file, { force: true });
      files.clear();
    },
  };
}

/**
 * Send what is pending in `dir` (the CLI's side), each request bounded, all within `boundMs`;
 * one line per user. Never throws.
 */
export async function sendPendingTeardowns(
  dir: string,
  log: (line: string) => void,
  boundMs = 10_000,
): Promise<void> {
  const until = Date.now() + boundMs;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(dir, name);
    let p: PendingFile;
    try {
      p = JSON.parse(readFileSync(file, 'utf8')) as PendingFile;
    } catch {
      continue;
    } finally {
      rmSync(file, { force: true });
    }
    const jar = CookieJar.deserializeSync(p.jar);
    const said: string[] = [];
    for (const r of p.requests) {
      const left = until - Date.now();
      if (left <= 0) {
        said.push(`"${r.step}" not sent (out of time)`);
        continue;
      }
      try {
        const res = await send(new URL(r.path, p.url).toString(), {
          method: r.method,
          headers: r.headers,
          body: r.body,
          jar,
          timeoutMs: Math.min(5000, left),
        });
        said.push(`"${r.step}" answered ${res.status}`);
      } catch (err) {
        said.push(`"${r.step}" failed: ${firstLine(err)}`);
      }
    }
    if (said.length)
      log(
        `parity: journey ${p.journey} teardown for its ${p.variant} user after the stop: ${said.join(', ')}`,
      );
  }
}
