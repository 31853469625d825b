import { defineConfig } from 'vitest/config';

// Project tests (unit + lab integration). The live suites in suites/ are run by `parity`
// itself through vitest's programmatic API, not by `npm test`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A fresh machine: installs (root) or names the Debian packages the tests need.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
