// fingerprint.diff: this environment's structure against production's (see docs/fingerprint.md).
import { fingerprintDiff } from '../src/checks/fingerprint.js';
import { checkTest } from './support.js';

checkTest('fingerprint.diff', (ctx) => fingerprintDiff(ctx), { timeoutMs: 120_000 });
