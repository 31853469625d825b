// --converge S: before the checks, wait (at most S seconds) for a rollout to settle: every
// registered target healthy in ELBv2 (where the environment has aws config) and every
// instance reached through the ALB on the expected version (without one: all on one version).
// Only GETs and Describe* calls, in bounded rounds; never a write. Past S the run goes on
// and deploy.consistency reports what did not converge.
import { sleep } from '../util.js';
import { sampleVersions, versionSource, versionView } from './deploy.js';
import { describeRow } from './targets.js';
import type { DescribeTargets, TargetContext } from '../contract/target.js';
import type { Convergence } from '../contract/convergence.js';
import type { TargetHealthRow } from '../contract/target.js';

/** The outcome of the wait, kept as deploy.consistency evidence in results.json. */
export interface ConvergeOptions {
  limitSeconds: number;
  /** ELBv2 DescribeTargetHealth (injected; the AWS collector provides it). */
  describe?: DescribeTargets;
  /** A line each time what is pending changes. */
  onChange?: (update: { elapsedMs: number; pending: string[]; converged: boolean }) => void;
  /** Pause between rounds. */
  intervalMs?: number;
}

/** Hard bound on rounds, whatever the clock does. */
const MAX_ROUNDS = 10_000;
const ROUND_GRACE_MS = 2000;

/** One round: what is not there yet. */
async function round(
  ctx: TargetContext,
  describe: DescribeTargets | undefined,
): Promise<{ pending: string[]; versions?: Record<string, string>; targets?: TargetHealthRow[] }> {
  const pending: string[] = [];
  let targets: TargetHealthRow[] | undefined;
  if (ctx.env.aws && describe) {
    try {
      targets = await describe(ctx);
      const want = ctx.app.expectedInstances;
      if (targets.length < want) pending.push(`${targets.length} of ${want} targets registered`);
      const notHealthy = targets.filter((t) => t.state !== 'healthy');
      if (notHealthy.length) pending.push(`targets ${notHealthy.map(describeRow).join(', ')}`);
    } catch (err) {
      pending.push(`target health unknown (${(err as Error).message.split('\n')[0]})`);
    }
  }
  let versions: Record<string, string> | undefined;
  try {
    const samples = await sampleVersions(ctx);
    const view = versionView(
      samples,
      ctx.app.expectedInstances,
      ctx.app.version.expected,
      versionSource(ctx),
    );
    versions = view.table;
    pending.push(...view.problems);
  } catch (err) {
    pending.push(`versions unknown (${(err as Error).message.split('\n')[0]})`);
  }
  return { pending, versions, targets };
}

/**
 * Wait until converged or `limitSeconds` passed; never throws for a target that is not ready.
 * A round that starts at the limit still gets ROUND_GRACE_MS for its requests, so the last
 * view is a real one: the wait ends at most that much past the limit.
 */
export async function converge(ctx: TargetContext, opts: ConvergeOptions): Promise<Convergence> {
  const started = Date.now();
  const end = started + opts.limitSeconds * 1000;
  const interval = opts.intervalMs ?? 1000;
  const expectedVersion = ctx.app.version.expected;
  let last: string | undefined;
  for (let rounds = 1; ; rounds++) {
    const roundCtx: TargetContext = {
      ...ctx,
      deadline: Math.min(ctx.deadline, Math.max(end, Date.now() + ROUND_GRACE_MS)),
    };
    const state = await round(roundCtx, opts.describe);
    const elapsedMs = Date.now() - started;
    const converged = state.pending.length === 0;
    const key = state.pending.join('\n');
    if (key !== last || converged) opts.onChange?.({ elapsedMs, pending: state.pending, converged });
    last = key;
    const record: Convergence = {
      limitSeconds: opts.limitSeconds,
      converged,
      ...(converged ? { afterMs: elapsedMs } : {}),
      waitedMs: elapsedMs,
      rounds,
      ...(expectedVersion !== undefined ? { expectedVersion } : {}),
      pending: state.pending,
      ...(state.versions ? { versions: state.versions } : {}),
      ...(state.targets ? { targets: state.targets } : {}),
    };
    const left = end - Date.now();
    if (converged || left <= 0 || rounds >= MAX_ROUNDS) return record;
    await sleep(Math.min(interval, left));
  }
}
