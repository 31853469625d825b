// Load through the ALB: how requests spread over the instances, and whether sticky clients
// stay put. Thin: the checks live in src/checks/load.ts; the runner sets the target.
// Refused (skipped) on a role: production target unless the explicit override is set.
import { runLoadCheck } from '../src/checks/load.js';
import { parseDuration } from '../src/load/plan.js';
import { checkTest, currentTarget } from './support.js';

// Each check runs the configured load (load.duration) and drains; give it that plus a margin.
const timeoutMs = (() => {
  try {
    return (parseDuration(currentTarget().config.load.duration) + 30) * 1000;
  } catch {
    return 60_000;
  }
})();

checkTest('load.distribution', (ctx) => runLoadCheck(ctx, 'load.distribution'), { timeoutMs });
checkTest('load.sticky', (ctx) => runLoadCheck(ctx, 'load.sticky'), { timeoutMs });
