// The evidence contract (src/contract/evidence.ts): one type per check id, built by the checks
// with that type and read by the reports by id, validated once. Real checks against the lab:
// test/signoff-cli.test.ts.
import { describe, expect, it } from 'vitest';
import { EVIDENCE, evidenceOf, journeyEvidenceOf, type EvidenceById } from '../../src/contract/evidence.js';
import { evidenceSummary } from '../../src/report/criteria.js';
import { A, B, journeyChecks, passingRun } from '../fixtures/runs.js';

describe('evidence by check id', () => {
  it('every passing fixture check has its id’s evidence, and the criteria read a line from it', () => {
    const checks = passingRun().checks;
    const ids = new Set(checks.map((c) => c.id));
    // Every contract id but the drill (which only the lab runs, test/signoff-cli.test.ts) and the
    // deploy watch (only `parity watch` runs it: test/watch-lab.test.ts, html.browser.test.ts).
    expect([...Object.keys(EVIDENCE)].filter((id) => !ids.has(id))).toEqual([
      'failover.sticky',
      'deploy.watch',
    ]);
    for (const c of checks) {
      expect(evidenceOf(c, c.id as keyof typeof EVIDENCE), c.id).toBeDefined();
      const line = evidenceSummary(c);
      expect(line, c.id).toBeDefined();
      expect(line, c.id).not.toMatch(/undefined|NaN|\?/);
    }
    for (const c of journeyChecks()) expect(journeyEvidenceOf(c), c.id).toMatchObject({ variants: {} });
  });

  it('evidence in another shape than its id’s (another version, a user’s check) is no evidence: no guessing', () => {
    const c = passingRun().checks.find((x) => x.id === 'sessions.shared-http')!;
    expect(evidenceOf(c, 'sessions.shared-http')).toMatchObject({ instanceA: A, instanceB: B });
    // An older spelling of the same facts is not read.
    const older = { ...c, evidence: { marker: 'parity-1', writtenVia: A, readVia: B } };
    expect(evidenceOf(older, 'sessions.shared-http')).toBeUndefined();
    expect(evidenceSummary(older)).toBeUndefined();
    // Asked under another id, a result has none.
    expect(evidenceOf(c, 'sticky.cookie')).toBeUndefined();
    // Skipped and errored checks write {}.
    expect(evidenceOf({ ...c, evidence: {} }, 'sessions.shared-http')).toBeUndefined();
  });
});

// Type-level: the compiler rejects a misspelt or a missing key. Checked by tsc, which fails on an
// unused @ts-expect-error (never run).
function typeChecks() {
  const good: EvidenceById['sticky.spread'] = { clients: 4, landed: { [A]: 2, [B]: 2 } };
  // @ts-expect-error a misspelt key
  const misspelt: EvidenceById['sticky.spread'] = { clients: 4, landed: {}, lande: {} };
  // @ts-expect-error a missing key (steps, switchTries, outcome)
  const missing: EvidenceById['sessions.shared-http'] = { marker: 'm', instanceA: A, instanceB: B };
  return [good, misspelt, missing];
}
void typeChecks;
