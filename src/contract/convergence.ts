// The --converge wait's outcome: made by the run engine before the checks, read by
// deploy.consistency as its evidence (it reaches the suites through PARITY_CONVERGENCE).
import type { TargetHealthRow } from './target.js';
import type { ConvergenceEvidence, Same } from './evidence.js';

export interface Convergence {
  limitSeconds: number;
  converged: boolean;
  /** Time from the start of the wait until everything had converged (converged only). */
  afterMs?: number;
  /** Time the wait took. */
  waitedMs: number;
  rounds: number;
  expectedVersion?: string;
  /** What had not converged when the wait ended (empty when converged). */
  pending: string[];
  /** The last round's view: instance → version, and the target health rows. */
  versions?: Record<string, string>;
  targets?: TargetHealthRow[];
}

// The evidence contract (src/contract/evidence.ts) describes this shape exactly.
const _convergenceInContract: Same<Convergence, ConvergenceEvidence> = true;
void _convergenceInContract;
