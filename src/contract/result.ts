// What every check returns (the results contract), and the one wrapper that times a check.
import { firstLine } from '../errors.js';
import type { EvidenceFor, NoEvidence } from './evidence.js';

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skip';

/** What every check returns, as results.json holds it (any check id, its evidence as JSON). */
export interface CheckResult {
  id: string;
  env: string;
  status: CheckStatus;
  diagnosis: string;
  durationMs: number;
  evidence: Record<string, unknown>;
}

/** The result of check id K: its evidence is that id's type (src/contract/evidence.ts), or none. */
export type CheckResultOf<K extends string> = Omit<CheckResult, 'id' | 'evidence'> & {
  id: K;
  evidence: EvidenceFor<K> | NoEvidence;
};

/** What a check body decides; `timed` adds the id, env and duration. */
export type Verdict<K extends string> = Omit<CheckResultOf<K>, 'id' | 'env' | 'durationMs'>;

/** Time a check body; exceptions become status "error" with a one-line diagnosis. */
export async function timed<K extends string>(
  id: K,
  env: string,
  body: () => Promise<Verdict<NoInfer<K>>>,
): Promise<CheckResultOf<K>> {
  const started = performance.now();
  try {
    const r = await body();
    return { id, env, durationMs: Math.round(performance.now() - started), ...r };
  } catch (err) {
    return {
      id,
      env,
      status: 'error',
      diagnosis: firstLine(err),
      evidence: {},
      durationMs: Math.round(performance.now() - started),
    };
  }
}
