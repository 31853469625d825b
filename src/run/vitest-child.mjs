// The vitest process of a parity run. Plain JavaScript on purpose: the CLI runs under tsx,
// whose module hooks make loading vitest/vite 3-4x slower; this process needs no tsx (vitest
// compiles the suites and the collector itself). Input: one JSON argument (see
// vitest-runner.ts); output: the collector writes the results to `out`.
import { BaseSequencer, createVitest } from 'vitest/node';

const run = JSON.parse(process.argv[2]);

// Files run in the mode's order (health first), never vitest's default (larger, slower or
// previously failed files first): a dead target must be found by the check named for it.
class InOrder extends BaseSequencer {
  async sort(files) {
    const at = (f) => run.files.indexOf(f.moduleId);
    return [...files].sort((a, b) => at(a) - at(b));
  }
}
const vitest = await createVitest(
  'test',
  {
    config: false,
    root: run.root,
    dir: run.root,
    include: run.files,
    watch: false,
    reporters: [[run.collector, { env: run.envName, order: run.files, root: run.root, out: run.out }]],
    silent: true,
    // One worker, files one after another: the checks share the ALB under test, and
    // concurrent probes would disturb each other's view of its routing.
    pool: 'threads',
    maxWorkers: 1,
    fileParallelism: false,
    sequence: { sequencer: InOrder },
    isolate: false,
    testTimeout: run.testTimeoutMs,
    hookTimeout: run.testTimeoutMs,
    env: run.env,
  },
  { logLevel: 'silent', clearScreen: false, server: { watch: null } },
);
try {
  await vitest.start(run.files);
} finally {
  await vitest.close();
}
// Test failures are the results' business, not this process's exit code.
process.exit(0);
