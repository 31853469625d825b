// fingerprint.diff: this environment's structure against production's (docs/fingerprint.md).
import { fingerprintDiff } from '../src/checks/fingerprint.js';
import { checkTest } from '../src/suite.js';

checkTest(fingerprintDiff, { timeoutMs: 120_000 });
