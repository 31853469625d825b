import { timed } from '../contract/result.js';
import type { CheckResultOf, CheckStatus, Verdict } from '../contract/result.js';
import type { LoadOnlyEvidence } from '../contract/evidence.js';
import type { TargetContext } from '../contract/target.js';
import { runLoad } from '../load/driver.js';
import { loadRefused, planLoad, type LoadExpectations, type LoadRequest } from '../load/plan.js';
import type { LoadData } from '../load/result.js';
import { chiSquareTest } from '../load/stats.js';
import { summarizeLoad, type LoadSummary } from '../load/summary.js';
import { int } from '../util.js';

// load.distribution and load.sticky: plain functions over a load run and what the target
// expects of it (thresholds from the config). The diagnosis carries the numbers.

/** The two load checks: one run each, with and without sticky clients. */
export const LOAD_CHECK_IDS = ['load.distribution', 'load.sticky'] as const;
export type LoadCheckId = (typeof LOAD_CHECK_IDS)[number];

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const msText = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
const pText = (p: number) =>
  p === 0 ? 'p<1e-300' : p < 0.001 ? `p=${p.toExponential(1)}` : `p=${p.toFixed(3)}`;

/** Could not load at all: nothing answered. */
function unreachable(
  s: LoadSummary,
): { status: CheckStatus; diagnosis: string; evidence: LoadOnlyEvidence } | undefined {
  if (s.requests > 0) return undefined;
  return {
    status: 'error',
    diagnosis: `no response from ${s.url}: ${int(s.transportErrors)} connection errors/timeouts`,
    evidence: { load: s },
  };
}

/** Every expected instance (by weight or by count) with its expected share. */
function expectedShares(s: LoadSummary, exp: LoadExpectations): { ids: string[]; shares: number[] } {
  const observed = Object.keys(s.instances);
  if (exp.weights) {
    const ids = [...new Set([...Object.keys(exp.weights), ...observed])];
    const total = Object.values(exp.weights).reduce((a, b) => a + b, 0);
    return { ids, shares: ids.map((id) => (exp.weights![id] ?? 0) / total) };
  }
  const ids = [...observed];
  // Expected instances that never answered have no id to show: placeholders stand in for them.
  for (let k = ids.length + 1; ids.length < exp.expectedInstances; k++) ids.push(`(unseen #${k})`);
  return { ids, shares: ids.map(() => 1 / Math.max(ids.length, exp.expectedInstances)) };
}

function errorRateProblem(s: LoadSummary, max: number): string | undefined {
  if (s.errorRate <= max) return undefined;
  const codes = Object.entries(s.statusCodes)
    .filter(([c]) => Number(c) >= 400)
    .map(([c, n]) => `${c}×${int(n)}`);
  if (s.transportErrors) codes.push(`no response×${int(s.transportErrors)}`);
  return `error rate ${pct(s.errorRate)} > ${pct(max)} (${codes.join(', ')})`;
}

export function evaluateDistribution(data: LoadData, exp: LoadExpectations): Verdict<'load.distribution'> {
  const s = summarizeLoad(data);
  const none = unreachable(s);
  if (none) return none;
  const t = exp.thresholds;
  const { ids, shares } = expectedShares(s, exp);
  const counts = ids.map((id) => s.instances[id]?.count ?? 0);
  const attributed = counts.reduce((a, b) => a + b, 0);
  const problems: string[] = [];
  const configProblems: string[] = [];

  if (attributed === 0) {
    problems.push(`none of ${int(s.requests)} responses carried the identity header ${exp.identityHeader}`);
  }
  const observed = Object.keys(s.instances).length;
  if (!exp.weights && observed > exp.expectedInstances)
    problems.push(`${observed} instances answered, expected ${exp.expectedInstances}`);
  if (!exp.weights && attributed > 0 && observed < exp.expectedInstances)
    problems.push(`only ${observed} of ${exp.expectedInstances} expected instances answered`);
  ids.forEach((id, i) => {
    if (shares[i] === 0) problems.push(`unexpected instance ${id} answered ${int(counts[i])} requests`);
    else if (t.minShare > shares[i] + 1e-9)
      configProblems.push(
        `load.thresholds.minShare ${t.minShare} exceeds the expected share ${pct(shares[i])} of ${id}`,
      );
    else if (attributed > 0 && counts[i] === 0) {
      if (s.instances[id] === undefined && !exp.weights) return; // an unseen one: counted above
      problems.push(`${id} received no requests`);
    } else if (attributed > 0 && counts[i] / attributed < t.minShare)
      problems.push(`${id} got ${pct(counts[i] / attributed)} (min ${pct(t.minShare)})`);
  });

  const chi = attributed > 0 && ids.length > 1 ? chiSquareTest(counts, shares) : undefined;
  const chiTestable = chi !== undefined && chi.minExpected >= 5;
  const against = exp.weights ? 'the configured weights' : 'equal shares';
  if (chi && chiTestable && t.alpha > 0 && chi.pValue < t.alpha)
    problems.push(`split differs from ${against} (chi² p below alpha ${t.alpha})`);

  const err = errorRateProblem(s, t.maxErrorRate);
  if (err) problems.push(err);
  if (s.latency.p99Ms > t.p99Ms) problems.push(`p99 ${msText(s.latency.p99Ms)} > ${t.p99Ms} ms`);
  for (const [id, inst] of Object.entries(s.instances))
    if (inst.p99Ms > t.p99Ms && s.latency.p99Ms <= t.p99Ms)
      problems.push(`${id} p99 ${msText(inst.p99Ms)} > ${t.p99Ms} ms`);

  const split = ids
    .map((id, i) => `${id} ${int(counts[i])} (${attributed ? pct(counts[i] / attributed) : '-'})`)
    .join(', ');
  const chiText = chi
    ? chiTestable
      ? `chi² ${chi.statistic.toFixed(2)} (df ${chi.df}) ${pText(chi.pValue)}`
      : 'too few requests for chi²'
    : 'no chi²';
  const numbers =
    `${int(s.requests)} responses at ${int(Math.round(s.rps))}/s ` +
    (s.pacing.kind === 'fixed-rate' ? `(fixed rate ${int(s.pacing.rate)}/s)` : '(all-out)') +
    `: ${split}; ${chiText}; ` +
    `errors ${pct(s.errorRate)}; p50 ${msText(s.latency.p50Ms)} p99 ${msText(s.latency.p99Ms)}`;
  const status: CheckStatus = configProblems.length ? 'error' : problems.length ? 'fail' : 'pass';
  const lead = configProblems.length ? configProblems.join('; ') : problems.join('; ');
  return {
    status,
    diagnosis: status === 'pass' ? numbers : `${lead} — ${numbers}`,
    evidence: {
      load: s,
      expected: { instances: ids, shares: shares.map((x) => Number(x.toFixed(6))) },
      chiSquare: chi
        ? {
            statistic: chi.statistic,
            df: chi.df,
            pValue: chi.pValue,
            alpha: t.alpha,
            applied: chiTestable && t.alpha > 0,
            against,
          }
        : null,
      thresholds: t,
      problems: [...configProblems, ...problems],
    },
  };
}

export function evaluateSticky(data: LoadData, exp: LoadExpectations): Verdict<'load.sticky'> {
  const s = summarizeLoad(data);
  const none = unreachable(s);
  if (none) return none;
  const st = data.sticky;
  if (!st) return { status: 'error', diagnosis: 'not a sticky run (use --sticky)', evidence: { load: s } };
  const problems: string[] = [];
  const cookie = exp.stickyCookie;
  if (st.clientsWithCookie < st.clients)
    problems.push(
      `${st.clients - st.clientsWithCookie} of ${st.clients} clients never received the ${cookie} cookie`,
    );
  if (st.violations > 0)
    problems.push(
      `${int(st.violations)} responses came from another instance than the client's first (${st.clientsWithViolations} of ${st.clients} clients moved)`,
    );
  const pinnedIds = Object.keys(st.pinned);
  const wanted = exp.weights ? Object.keys(exp.weights) : [];
  const missing = wanted.filter((id) => !st.pinned[id]);
  if (pinnedIds.length < exp.expectedInstances || missing.length)
    problems.push(
      `clients pinned to ${pinnedIds.length} instance(s), expected ${exp.expectedInstances}` +
        (missing.length ? ` (none on ${missing.join(', ')})` : ''),
    );
  const err = errorRateProblem(s, exp.thresholds.maxErrorRate);
  if (err) problems.push(err);
  const pinned = Object.entries(st.pinned)
    .map(([id, n]) => `${id} ${n}`)
    .join(', ');
  const numbers =
    `${st.clients} clients, ${int(s.requests)} responses; pinned: ${pinned || 'none'}; ` +
    `${int(st.violations)} moves; ${st.clientsWithCookie}/${st.clients} with ${cookie}; errors ${pct(s.errorRate)}`;
  return {
    status: problems.length ? 'fail' : 'pass',
    diagnosis: problems.length ? `${problems.join('; ')} — ${numbers}` : numbers,
    evidence: { load: s, sticky: st, thresholds: exp.thresholds, problems },
  };
}

/** A check over a run (by default the one its mode answers), judged against expectations (a merge has no config). */
export function checkOf(
  exp: LoadExpectations,
  data: LoadData,
  id: LoadCheckId = data.mode === 'sticky' ? 'load.sticky' : 'load.distribution',
): CheckResultOf<LoadCheckId> {
  const v = id === 'load.sticky' ? evaluateSticky(data, exp) : evaluateDistribution(data, exp);
  return { id, env: exp.env, durationMs: Math.round(data.durationSeconds * 1000), ...v };
}

/** Run the load against the target and judge it; refused (skip) on production without the override. */
export async function runLoadCheck(
  ctx: TargetContext,
  id: LoadCheckId,
  req: Omit<LoadRequest, 'sticky'> = {},
): Promise<CheckResultOf<LoadCheckId>> {
  if (loadRefused(ctx, req.allowProductionLoad)) {
    return {
      id,
      env: ctx.name,
      status: 'skip',
      durationMs: 0,
      diagnosis: `no load against ${ctx.name}: role production (needs the explicit override)`,
      evidence: {},
    };
  }
  return timed(id, ctx.name, async () => {
    const plan = planLoad(ctx, { ...req, sticky: id === 'load.sticky' });
    const data = await runLoad(plan.driver);
    const { id: _id, env: _env, durationMs: _ms, ...verdict } = checkOf(plan.expectations, data, id);
    return verdict;
  });
}
