// The migration plan's six success criteria, each decided by named checks (docs/reports.md).
// A criterion passes only when every one of its checks ran and passed; any failure makes it
// FAIL; a missing, skipped or errored check leaves it NOT VERIFIED (never PASS).
import type { CheckResult } from '../contract/result.js';
import type { CriterionResult, RunResults } from './model.js';
import { evidenceOf } from '../contract/evidence.js';
import { NO_IDENTITY } from '../contract/identity.js';
import { diffRows, drillView, isAllowedDiff, loadView } from './evidence.js';
import { CHECK_LABEL } from './format.js';

export interface CriterionDef {
  id: number;
  title: string;
  /**
   * Check ids that decide it; `all` means every check of the run. An id ending in `.*` stands
   * for every check of that family the run has (none configured: nothing is missing).
   */
  checks: string[] | 'all';
  /** Only checks of the environments under test (role staging) count; false: any environment. */
  subjectOnly: boolean;
}

/**
 * Checks that count only when they ran: the failover drill is skipped unless enabled
 * (--disruptive, or the lab), and a skipped or absent drill leaves every criterion as it is.
 */
// deploy.watch runs only in `parity watch`, around a deploy: it counts when it ran.
const COUNT_ONLY_WHEN_RUN: ReadonlySet<string> = new Set(['failover.sticky', 'deploy.watch']);
const counted = (c: CheckResult) => !(COUNT_ONLY_WHEN_RUN.has(c.id) && c.status === 'skip');

export const CRITERIA: readonly CriterionDef[] = [
  {
    id: 1,
    title: 'Two staging instances running behind the ALB',
    checks: ['targets.registered', 'targets.reachable', 'health.alb', 'instances.same-build'],
    subjectOnly: true,
  },
  {
    id: 2,
    title: 'Sticky sessions working',
    checks: ['sticky.cookie', 'sticky.pinning', 'sticky.spread', 'load.sticky', 'failover.sticky'],
    subjectOnly: true,
  },
  {
    id: 3,
    title: 'Redis sessions shared between instances',
    // Journeys prove more than a shared session: the user's work follows them (issue 10).
    checks: ['sessions.shared-http', 'sessions.shared-redis', 'journey.*', 'failover.sticky'],
    subjectOnly: true,
  },
  {
    id: 4,
    title: 'Deployment reaches both instances',
    // deploy.watch: the deploy itself reached both instances without costing users anything.
    checks: ['deploy.consistency', 'targets.reachable', 'deploy.watch'],
    subjectOnly: true,
  },
  // The diff compares staging with production; whichever env the check is filed under counts.
  // network.alb-only: the plan's Phase 4 (instances reachable only through the ALB).
  {
    id: 5,
    title: 'Feature parity with production',
    checks: ['fingerprint.diff', 'network.alb-only'],
    subjectOnly: false,
  },
  { id: 6, title: 'All tests pass through the ALB endpoint', checks: 'all', subjectOnly: false },
];

/** Environments the criteria are about: role staging; else every non-production one; else all. */
function subjectEnvs(environments: RunResults['environments'], checks: CheckResult[]): Set<string> {
  const names = new Set([...Object.keys(environments), ...checks.map((c) => c.env)]);
  const role = (n: string) => environments[n]?.role;
  for (const keep of [(n: string) => role(n) === 'staging', (n: string) => role(n) !== 'production']) {
    const s = new Set([...names].filter(keep));
    if (s.size) return s;
  }
  return names;
}

const list = (xs: string[]) => xs.join(', ');

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line of what a passing check measured, read from its evidence; undefined without its id's evidence. */
export function evidenceSummary(c: CheckResult): string | undefined {
  switch (c.id) {
    case 'targets.registered': {
      const ev = evidenceOf(c, c.id);
      if (!ev) return undefined;
      const healthy = ev.targets.filter((x) => x.state === 'healthy').map((x) => x.id);
      const other = ev.targets.filter((x) => x.state !== 'healthy').map((x) => `${x.id} ${x.state}`);
      return [`${healthy.length} targets healthy: ${list(healthy) || 'none'}`, ...other].join('; ');
    }
    case 'targets.reachable': {
      const ev = evidenceOf(c, c.id);
      const ids = ev && Object.keys(ev.seen).filter((id) => id !== NO_IDENTITY);
      return ids?.length ? `reached through the ALB: ${list(ids.sort())}` : undefined;
    }
    case 'health.alb': {
      const ev = evidenceOf(c, c.id);
      if (!ev) return undefined;
      const ids = Object.keys(ev.answers).filter((id) => id !== NO_IDENTITY);
      const json = Object.entries(ev.expect.json).map(([p, v]) => ` and ${p} = ${JSON.stringify(v)}`);
      return `health: GET ${ev.path} answered ${ev.expect.status}${json.join('')} on ${list(ids.sort()) || 'no identified instance'}`;
    }
    case 'sticky.cookie': {
      const ev = evidenceOf(c, c.id);
      if (!ev) return undefined;
      const also = ev.setCookies.map((x) => x.name).filter((n) => n !== ev.cookie);
      return `cookie ${ev.cookie} issued${also.length ? ` (with ${list(also)})` : ''} by ${ev.instance}`;
    }
    case 'sticky.pinning': {
      const ev = evidenceOf(c, c.id);
      const first = ev?.sequence[0];
      if (!ev || first === undefined) return undefined;
      return `pinned: ${ev.sequence.filter((x) => x === first).length}/${ev.sequence.length} to ${first}`;
    }
    case 'sticky.spread': {
      const ev = evidenceOf(c, c.id);
      return ev && `new clients spread: ${list(Object.entries(ev.landed).map(([id, n]) => `${id} ${n}`))}`;
    }
    case 'sessions.shared-http': {
      const ev = evidenceOf(c, c.id);
      return ev?.instanceA && ev.instanceB
        ? `marker written via ${ev.instanceA}, read via ${ev.instanceB}`
        : undefined;
    }
    case 'sessions.shared-redis': {
      const ev = evidenceOf(c, c.id);
      return ev && 'key' in ev ? `session key ${ev.key} in Redis, TTL ${ev.ttlSeconds} s` : undefined;
    }
    case 'failover.sticky': {
      const d = drillView(c);
      if (!d?.to) return undefined;
      const worked = d.outcome?.data ? 'session and data survived' : 'session survived';
      const bg = d.background
        ? `; background ${d.background.transportErrors + d.background.non2xx} errors in ${d.background.requests} requests`
        : '';
      const back =
        typeof d.restore?.healthyMs === 'number'
          ? `; ${d.from} healthy again after ${secs(d.restore.healthyMs)}`
          : '';
      return `failover drill: user re-pinned ${d.from} → ${d.to} in ${d.rePinMs ?? '?'} ms; ${worked}${bg}${back}`;
    }
    case 'deploy.consistency': {
      const ev = evidenceOf(c, c.id);
      if (!ev) return undefined;
      const versions = `versions: ${list(Object.entries(ev.versions).map(([id, ver]) => `${id} ${ver}`))}`;
      const notes = [
        ev.expectedVersion !== undefined
          ? `expected ${ev.expectedVersion}`
          : 'no expected version given: one version on every instance, not which one',
        ev.convergence?.afterMs !== undefined ? `converged after ${secs(ev.convergence.afterMs)}` : undefined,
      ].filter(Boolean);
      return `${versions} (${notes.join('; ')})`;
    }
    case 'load.distribution':
    case 'load.sticky': {
      const l = loadView(c);
      if (!l?.instances.length) return undefined;
      const shares = l.instances.map((i) => `${i.id} ${(i.share * 100).toFixed(1)}%`);
      return `shares: ${list(shares)}; p99 ${l.percentiles.p99} ms`;
    }
    case 'instances.same-build': {
      const ev = evidenceOf(c, c.id);
      if (!ev?.instances.length) return undefined;
      const parts = ev.instances.map(
        (i) => `${i.id} ${i.imageName ?? i.imageId ?? '?'} ${i.type ?? '?'} ${i.state}`,
      );
      return `instances: ${list(parts)}`;
    }
    case 'network.alb-only': {
      const ev = evidenceOf(c, c.id);
      if (!ev || !('targetPorts' in ev)) return undefined;
      return `target port ${ev.targetPorts.join(', ')} admitted only from ${ev.lbSecurityGroups.join(', ')}`;
    }
    case 'fingerprint.diff': {
      const d = diffRows(c);
      if (!d) return undefined;
      const unexpected = d.rows.filter((r) => !isAllowedDiff(r.cls));
      return d.rows.length === 0
        ? 'no differences from production'
        : `${d.rows.length} difference(s), ${unexpected.length} unexpected${unexpected.length ? `: ${list(unexpected.slice(0, 5).map((r) => r.path))}` : ''}`;
    }
  }
  return undefined;
}

/** The evidence line for a check: passes show what was measured, the rest show why. */
export function evidenceLine(c: CheckResult): string {
  const where = `${c.id} (${c.env})`;
  const summary = c.status === 'pass' ? evidenceSummary(c) : undefined;
  return `${CHECK_LABEL[c.status]} ${where}: ${summary ?? c.diagnosis}`;
}

const isFamily = (id: string) => id.endsWith('.*');
const matches = (id: string, checkId: string) =>
  isFamily(id) ? checkId.startsWith(id.slice(0, -1)) : id === checkId;

function decide(checks: CheckResult[], missing: string[]): CriterionResult['status'] {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (missing.length || checks.length === 0 || checks.some((c) => c.status !== 'pass')) return 'not-verified';
  return 'pass';
}

/** Evaluate the six criteria over a run's checks. */
export function evaluateCriteria(
  all: CheckResult[],
  environments: RunResults['environments'] = {},
): CriterionResult[] {
  const subject = subjectEnvs(environments, all);
  const checks = all.filter(counted);
  return CRITERIA.map((def) => {
    if (def.checks === 'all') {
      const ids = [...new Set(checks.map((c) => c.id))];
      const notPassed = checks.filter((c) => c.status !== 'pass');
      const evidence = checks.length
        ? notPassed.length
          ? notPassed.map(evidenceLine)
          : [`all ${checks.length} checks passed (${envCounts(checks)})`]
        : ['no checks ran'];
      return { id: def.id, title: def.title, status: decide(checks, []), checks: ids, evidence };
    }
    const wanted = def.checks;
    const mine = checks.filter(
      (c) => wanted.some((id) => matches(id, c.id)) && (!def.subjectOnly || subject.has(c.env)),
    );
    const missing = wanted.filter(
      (id) => !isFamily(id) && !COUNT_ONLY_WHEN_RUN.has(id) && !mine.some((c) => c.id === id),
    );
    const ordered = wanted.flatMap((id) => mine.filter((c) => matches(id, c.id)));
    const evidence = [
      ...ordered.map(evidenceLine),
      ...missing.map((id) => `NOT RUN ${id}: no result in this run`),
    ];
    // Families are listed as the checks the run had.
    const ids = wanted.flatMap((id) =>
      isFamily(id)
        ? [...new Set(ordered.filter((c) => matches(id, c.id)).map((c) => c.id))]
        : COUNT_ONLY_WHEN_RUN.has(id) && !mine.some((c) => c.id === id)
          ? []
          : [id],
    );
    return { id: def.id, title: def.title, status: decide(mine, missing), checks: ids, evidence };
  });
}

function envCounts(checks: CheckResult[]): string {
  const by = new Map<string, number>();
  for (const c of checks) by.set(c.env, (by.get(c.env) ?? 0) + 1);
  return [...by].map(([env, n]) => `${n} on ${env}`).join(', ');
}
