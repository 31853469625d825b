import {
  runSessionProbe,
  sessionsSharedHttp,
  sessionsSharedRedis,
  type SessionProbe,
} from '../src/checks/sessions.js';
import type { TargetContext } from '../src/contract/target.js';
import { checkTest } from '../src/suite.js';

// One probe (marker written through A, read through B) serves both checks, in this order.
let probeRun: Promise<SessionProbe> | undefined;
const sessionProbe = (ctx: TargetContext) => (probeRun ??= runSessionProbe(ctx));

checkTest(sessionsSharedHttp.id, (ctx) => sessionsSharedHttp(ctx, sessionProbe(ctx)));
checkTest(sessionsSharedRedis.id, (ctx) => sessionsSharedRedis(ctx, sessionProbe(ctx)));
