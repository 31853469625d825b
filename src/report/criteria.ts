// The migration plan's six success criteria, each decided by named checks (docs/reports.md).
// A criterion passes only when every one of its checks ran and passed; any failure makes it
// FAIL; a missing, skipped or errored check leaves it NOT VERIFIED (never PASS).
import type { CheckResult } from '../contract/result.js';
import type { CriterionResult, RunResults } from './model.js';
import {
  countsOf,
  diffRows,
  drillView,
  isAllowedDiff,
  isRecord,
  loadView,
  numberOf,
  pick,
  pinningSequences,
  stringOf,
  targetsOf,
  versionsOf,
} from './evidence.js';
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
const COUNT_ONLY_WHEN_RUN: ReadonlySet<string> = new Set(['failover.sticky']);
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
    checks: ['deploy.consistency', 'targets.reachable'],
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

/** One line of evidence read from a check's evidence; undefined when its shape is unknown. */
export function evidenceSummary(c: CheckResult): string | undefined {
  const ev = c.evidence;
  if (!isRecord(ev)) return undefined;
  switch (c.id) {
    case 'targets.registered': {
      const t = targetsOf(ev);
      if (!t) return undefined;
      const healthy = t.filter((x) => x.state === 'healthy').map((x) => x.id);
      const other = t.filter((x) => x.state !== 'healthy').map((x) => `${x.id} ${x.state ?? 'unknown'}`);
      return [`${healthy.length} targets healthy: ${list(healthy) || 'none'}`, ...other].join('; ');
    }
    case 'targets.reachable': {
      const t = targetsOf(ev);
      if (!t) return undefined;
      return `reached through the ALB: ${list(t.map((x) => x.id))}`;
    }
    case 'health.alb': {
      const per = targetsOf(ev) ?? [];
      const overall = stringOf(pick(ev, ['overall', 'status']));
      const parts = per.map((x) => `${x.id} ${x.state ?? '?'}`);
      if (!parts.length && !overall) return undefined;
      return `health: ${parts.length ? list(parts) : overall}`;
    }
    case 'sticky.cookie': {
      const name = stringOf(pick(ev, ['cookie', 'cookieName', 'name']));
      const dur = numberOf(pick(ev, ['durationSeconds', 'duration']));
      if (!name) return undefined;
      return `cookie ${name} issued${dur !== undefined ? `, stickiness duration ${dur} s` : ''}`;
    }
    case 'sticky.pinning': {
      const seqs = pinningSequences(ev);
      if (!seqs) return undefined;
      const parts = seqs.map((s) => {
        const first = s[0];
        const same = s.filter((x) => x === first).length;
        return `${same}/${s.length} to ${first}`;
      });
      return `pinned: ${parts.slice(0, 4).join('; ')}${parts.length > 4 ? `; +${parts.length - 4} clients` : ''}`;
    }
    case 'sticky.spread': {
      const counts = countsOf(ev);
      return counts && `new clients spread: ${list(counts.map(([id, n]) => `${id} ${n}`))}`;
    }
    case 'sessions.shared-http': {
      const via = (k: string) => {
        const v = pick(ev, [`${k}Via`, k]);
        return stringOf(isRecord(v) ? pick(v, ['instance', 'via', 'id']) : v);
      };
      const w = via('written') ?? via('write');
      const r = via('read');
      return w && r ? `marker written via ${w}, read via ${r}` : undefined;
    }
    case 'sessions.shared-redis': {
      const key = stringOf(pick(ev, ['key', 'redisKey']));
      const ttl = numberOf(pick(ev, ['ttl', 'ttlSeconds']));
      return key ? `session key ${key} in Redis${ttl !== undefined ? `, TTL ${ttl} s` : ''}` : undefined;
    }
    case 'failover.sticky': {
      const d = drillView(ev);
      if (!d || !d.to) return undefined;
      const worked = d.dataSurvived === undefined ? 'session survived' : 'session and data survived';
      const bg = d.background
        ? `; background ${(d.background.transportErrors ?? 0) + (d.background.non2xx ?? 0)} errors in ${d.background.requests ?? '?'} requests`
        : '';
      const back =
        d.healthyMs !== undefined
          ? `; ${d.from} healthy again after ${(d.healthyMs / 1000).toFixed(1)} s`
          : '';
      return `failover drill: user re-pinned ${d.from} → ${d.to} in ${d.rePinMs ?? '?'} ms; ${worked}${bg}${back}`;
    }
    case 'deploy.consistency': {
      const v = versionsOf(ev);
      if (!v) return undefined;
      const versions = `versions: ${list(v.map(([id, ver]) => `${id} ${ver}`))}`;
      const c = isRecord(ev.convergence) ? ev.convergence : undefined;
      const notes = [
        typeof ev.expectedVersion === 'string'
          ? `expected ${ev.expectedVersion}`
          : 'no expected version given: one version on every instance, not which one',
        c && typeof c.afterMs === 'number' ? `converged after ${(c.afterMs / 1000).toFixed(1)} s` : undefined,
      ].filter(Boolean);
      return notes.length ? `${versions} (${notes.join('; ')})` : versions;
    }
    case 'load.distribution':
    case 'load.sticky': {
      const l = loadView(ev);
      if (!l || !l.instances.length) return undefined;
      const shares = l.instances.map(
        (i) =>
          `${i.id} ${i.share !== undefined ? `${(i.share * 100).toFixed(1)}%` : `${i.count ?? '?'} req`}`,
      );
      const p99 = l.percentiles?.p99;
      return `shares: ${list(shares)}${p99 !== undefined ? `; p99 ${p99} ms` : ''}`;
    }
    case 'instances.same-build': {
      const rows = ev.instances;
      if (!Array.isArray(rows) || !rows.length) return undefined;
      const parts = rows
        .filter(isRecord)
        .map(
          (i) =>
            `${stringOf(i.id) ?? '?'} ${stringOf(i.imageName) ?? stringOf(i.imageId) ?? '?'} ${stringOf(i.type) ?? '?'} ${stringOf(i.state) ?? '?'}`,
        );
      return `instances: ${list(parts)}`;
    }
    case 'network.alb-only': {
      const groups = ev.lbSecurityGroups;
      const ports = ev.targetPorts;
      if (!Array.isArray(groups) || !Array.isArray(ports)) return undefined;
      return `target port ${ports.join(', ')} admitted only from ${groups.join(', ')}`;
    }
    case 'fingerprint.diff': {
      const rows = diffRows(ev);
      if (!rows) return undefined;
      const unexpected = rows.filter((r) => !isAllowedDiff(r.cls));
      return rows.length === 0
        ? 'no differences from production'
        : `${rows.length} difference(s), ${unexpected.length} unexpected${unexpected.length ? `: ${list(unexpected.slice(0, 5).map((r) => r.path))}` : ''}`;
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
