// The failover drill (failover.sticky): disruptive, so it runs only when the runner enabled it
// (--disruptive, or the embedded lab); otherwise it is recorded as skipped with the reason.
import { failoverSticky } from '../src/checks/failover.js';
import { checkTest, currentTarget } from '../src/suite.js';

// Bounded by the run's deadline (the restore has its own budget on top).
const timeoutMs = Math.max(60_000, currentTarget().deadline - Date.now() + 60_000);

checkTest(
  'failover.sticky',
  (ctx) =>
    failoverSticky(ctx, {
      pendingFile: process.env.PARITY_DRILL_PENDING || undefined,
      lockFile: process.env.PARITY_DRILL_LOCK || undefined,
      alarm: (line) => process.stderr.write(`${line}\n`),
    }),
  { timeoutMs },
);
