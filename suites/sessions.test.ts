import { afterAll } from 'vitest';
import {
  probeTeardown,
  runSessionProbe,
  sessionsSharedHttp,
  sessionsSharedRedis,
  type SessionProbe,
} from '../src/checks/sessions.js';
import type { TargetContext } from '../src/contract/target.js';
import { checkTest, currentTarget } from '../src/suite.js';

// One probe (marker written through A, read through B) serves both checks, in this order.
let probeRun: Promise<SessionProbe> | undefined;
const sessionProbe = (ctx: TargetContext) => (probeRun ??= runSessionProbe(ctx));

checkTest(sessionsSharedHttp.id, (ctx) => sessionsSharedHttp(ctx, sessionProbe(ctx)));
checkTest(sessionsSharedRedis.id, (ctx) => sessionsSharedRedis(ctx, sessionProbe(ctx)));

// app.session.teardown once both checks are done (shared-redis sends it itself, before it
// deletes the probe's key; this covers an environment without a redis config). Sent once.
afterAll(async () => {
  // A probe that could not run (its checks say why) has nothing to undo.
  const p = await probeRun?.catch(() => undefined);
  if (p) await probeTeardown(currentTarget(), p);
});
