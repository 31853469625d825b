// User journeys (config `journeys`): one check journey.<name> per configured journey, each run
// pinned and hopping (src/checks/journey/journey.ts). Writing steps are refused (skipped) on a
// role: production target unless the explicit override is set.
import { journeyCheck } from '../src/checks/journey/journey.js';
import { checkTest, currentTarget } from '../src/suite.js';

// A step may wait out its settleSeconds, and a stream step its maxSeconds, in both runs; the
// teardown has its own 10 s: give each journey that plus a margin.
for (const journey of currentTarget().config.journeys) {
  const settle = journey.steps.reduce((s, step) => s + (step.settleSeconds ?? 0), 0);
  const streams = journey.steps.reduce((s, step) => s + (step.expect.stream?.maxSeconds ?? 0), 0);
  const teardown = journey.teardown.length > 0 ? 10 : 0;
  const pendingDir = process.env.PARITY_TEARDOWN_PENDING || undefined;
  checkTest(`journey.${journey.name}`, (ctx) => journeyCheck(ctx, journey, { pendingDir }), {
    timeoutMs: (2 * (settle + streams) + teardown + 30) * 1000,
  });
}
