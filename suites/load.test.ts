// Load through the ALB: how requests spread over the instances, and whether sticky clients
// stay put. Thin: the checks live in src/checks/load.ts; the runner sets the target.
// Refused (skipped) on a role: production target unless the explicit override is set.
import { LOAD_CHECK_IDS, runLoadCheck } from '../src/checks/load.js';
import { parseDuration } from '../src/load/plan.js';
import { checkTest, currentTarget } from '../src/suite.js';

// Each check runs the configured load (load.duration) and drains; give it that plus a margin.
const timeoutMs = (() => {
  try {
    return (parseDuration(currentTarget().config.load.duration) + 30) * 1000;
  } catch {
    return 60_000;
  }
})();

for (const id of LOAD_CHECK_IDS) checkTest(id, (ctx) => runLoadCheck(ctx, id), { timeoutMs });
