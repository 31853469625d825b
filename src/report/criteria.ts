// The migration plan's six success criteria, each decided by named checks (design: "The job").
// A criterion passes only when every one of its checks ran and passed; any failure makes it
// FAIL; a missing, skipped or errored check leaves it NOT VERIFIED (never PASS).
import type { CheckResult } from '../contract/result.js';
import type { CriterionResult, RunResults } from './model.js';
import {
  countsOf,
  diffRows,
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

export interface CriterionDef {
  id: number;
  title: string;
  /** Check ids that decide it; `all` means every check of the run. */
  checks: string[] | 'all';
  /** Only checks of the environments under test (role staging) count; false: any environment. */
  subjectOnly: boolean;
}

export const CRITERIA: readonly CriterionDef[] = [
  {
    id: 1,
    title: 'Two staging instances running behind the ALB',
    checks: ['targets.registered', 'targets.reachable', 'health.alb'],
    subjectOnly: true,
  },
  {
    id: 2,
    title: 'Sticky sessions working',
    checks: ['sticky.cookie', 'sticky.pinning', 'sticky.spread', 'load.sticky'],
    subjectOnly: true,
  },
  {
    id: 3,
    title: 'Redis sessions shared between instances',
    checks: ['sessions.shared-http', 'sessions.shared-redis'],
    subjectOnly: true,
  },
  {
    id: 4,
    title: 'Deployment reaches both instances',
    checks: ['deploy.consistency', 'targets.reachable'],
    subjectOnly: true,
  },
  // The diff compares staging with production; whichever env the check is filed under counts.
  { id: 5, title: 'Feature parity with production', checks: ['fingerprint.diff'], subjectOnly: false },
  { id: 6, title: 'All tests pass through the ALB endpoint', checks: 'all', subjectOnly: false },
];

const STATUS_WORD = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIPPED' } as const;

/** Environments the criteria are about: role staging; else every non-production one; else all. */
export function subjectEnvs(environments: RunResults['environments'], checks: CheckResult[]): Set<string> {
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
    case 'deploy.consistency': {
      const v = versionsOf(ev);
      return v && `versions: ${list(v.map(([id, ver]) => `${id} ${ver}`))}`;
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
  return `${STATUS_WORD[c.status]} ${where}: ${summary ?? c.diagnosis}`;
}

function decide(checks: CheckResult[], missing: string[]): CriterionResult['status'] {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (missing.length || checks.length === 0 || checks.some((c) => c.status !== 'pass')) return 'not-verified';
  return 'pass';
}

/** Evaluate the six criteria over a run's checks. */
export function evaluateCriteria(
  checks: CheckResult[],
  environments: RunResults['environments'] = {},
): CriterionResult[] {
  const subject = subjectEnvs(environments, checks);
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
    const mine = checks.filter((c) => def.checks.includes(c.id) && (!def.subjectOnly || subject.has(c.env)));
    const missing = def.checks.filter((id) => !mine.some((c) => c.id === id));
    const ordered = def.checks.flatMap((id) => mine.filter((c) => c.id === id));
    const evidence = [
      ...ordered.map(evidenceLine),
      ...missing.map((id) => `NOT RUN ${id}: no result in this run`),
    ];
    return { id: def.id, title: def.title, status: decide(mine, missing), checks: [...def.checks], evidence };
  });
}

function envCounts(checks: CheckResult[]): string {
  const by = new Map<string, number>();
  for (const c of checks) by.set(c.env, (by.get(c.env) ?? 0) + 1);
  return [...by].map(([env, n]) => `${n} on ${env}`).join(', ');
}
