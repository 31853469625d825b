// The work of `parity load` and `parity load merge` (registered in ./load.ts).
import { checkOf } from '../checks/load.js';
import type { CheckResult } from '../contract/result.js';
import { UsageError } from '../errors.js';
import { runLoad, type Progress } from '../load/driver.js';
import { parseRate, parseShard, planLoad, type LoadExpectations } from '../load/plan.js';
import type { LoadData } from '../load/result.js';
import { mergeParts, readShardFile, toShardFile, writeShardFile } from '../load/shard.js';
import { pacingLine, summarizeLoad, type LoadSummary } from '../load/summary.js';
import { exitCodeOfChecks } from '../exit-codes.js';
import { note, printJson, rewritesLines } from './output.js';
import { resolveCliTarget } from './target.js';
import { stopInProgress } from '../process/lifecycle.js';
import { ensureWritableFile } from './writable.js';
import { int } from '../util.js';

export interface LoadOpts {
  config?: string;
  env?: string;
  connections?: string;
  duration?: string;
  rate?: string;
  sticky?: boolean;
  json?: boolean;
  shard?: string;
  out?: string;
  allowProductionLoad?: boolean;
}

export async function mergeCommand(parts: string[], opts: { json?: boolean }): Promise<number> {
  const read = await Promise.all(
    parts.map(async (source) => ({ part: await readShardFile(source), source })),
  );
  const merged = mergeParts(read);
  return report(merged.expectations, merged.data, opts.json, `merged ${parts.length} part(s)`);
}

function intOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

export async function loadCommand(opts: LoadOpts): Promise<number> {
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (shard && !opts.out) throw new UsageError('--shard needs --out <file> (the part to merge)');
  // Before the first request (and before the lab starts): the part must have somewhere to go.
  if (opts.out) ensureWritableFile(opts.out, '--out');
  const connections = intOption(opts.connections, '--connections');
  const quiet = Boolean(opts.json);
  const target = await resolveCliTarget({ config: opts.config, env: opts.env });
  try {
    const plan = planLoad(target.ctx, {
      connections,
      duration: opts.duration,
      rate: opts.rate === undefined ? undefined : parseRate(opts.rate),
      sticky: opts.sticky,
      allowProductionLoad: opts.allowProductionLoad,
      shard,
    });
    const d = plan.driver;
    note(
      `parity load: ${target.ctx.name} ${d.url}, ${d.connections} connections for ${d.durationSeconds} s, ` +
        (d.overallRate ? `fixed rate ${d.overallRate} req/s` : 'all-out') +
        (plan.mode === 'sticky' ? `, sticky clients (${plan.expectations.stickyCookie})` : ', no cookies') +
        (shard ? `, shard ${shard.index}/${shard.count} of ${plan.totalConnections} connections` : ''),
    );
    const showProgress = !quiet && rewritesLines(process.stderr) && !process.env.CI;
    const data = await runLoad({ ...d, ...(showProgress ? { onProgress: progressLine } : {}) });
    if (showProgress) process.stderr.write('\r\x1b[K');
    // Stopped (a signal, the parent's death) during the load: no part file, no verdict.
    await stopInProgress();
    if (opts.out) {
      writeShardFile(opts.out, toShardFile(plan, data));
      note(`wrote ${opts.out}${shard ? `; merge the ${shard.count} parts with "parity load merge"` : ''}`);
    }
    if (shard) {
      // A shard is one part of the evidence: the verdict comes from the merge.
      if (quiet) printJson(contractJson(summarizeLoad(data), []));
      else printHuman(summarizeLoad(data), []);
      return data.responses > 0 ? 0 : 3;
    }
    return report(plan.expectations, data, quiet);
  } finally {
    await target.close();
  }
}

function report(exp: LoadExpectations, data: LoadData, json: boolean | undefined, title?: string): number {
  const check = checkOf(exp, data);
  const summary = summarizeLoad(data);
  if (json) printJson(contractJson(summary, [check]));
  else {
    if (title) note(`parity load: ${title}, ${data.url}, ${data.connections} connections`);
    printHuman(summary, [check]);
  }
  return exitCodeOfChecks([check]);
}

/** `parity load --json` (contract), plus a few extra fields. */
export function contractJson(s: LoadSummary, checks: CheckResult[]) {
  const instances: Record<string, unknown> = {};
  for (const [id, i] of Object.entries(s.instances)) {
    instances[id] = {
      count: i.count,
      share: i.share,
      p50Ms: i.p50Ms,
      p99Ms: i.p99Ms,
      p90Ms: i.p90Ms,
      p999Ms: i.p999Ms,
      statusCodes: i.statusCodes,
    };
  }
  return {
    requests: s.requests,
    durationSeconds: s.durationSeconds,
    rps: s.rps,
    errors: s.errors,
    instances,
    checks,
    mode: s.mode,
    pacing: s.pacing,
    url: s.url,
    connections: s.connections,
    errorRate: s.errorRate,
    unattributed: s.unattributed,
    statusCodes: s.statusCodes,
    latency: s.latency,
    latencyResolution: s.latencyResolution,
    ...(s.sticky ? { sticky: s.sticky } : {}),
  };
}

const MAX_ROWS = 20;
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);

function progressLine(p: Progress): void {
  const total = Object.values(p.perInstance).reduce((a, b) => a + b, 0) || 1;
  const split = Object.entries(p.perInstance)
    .map(([id, n]) => `${id} ${((n / total) * 100).toFixed(1)}%`)
    .join('  ');
  const errors = p.transportErrors ? `  ${int(p.transportErrors)} conn errors` : '';
  process.stderr.write(
    `\r\x1b[K${p.elapsedSeconds.toFixed(0)} s  ${int(p.responses)} req  ${int(p.rate)} req/s  ${split}${errors}`,
  );
}

function printHuman(s: LoadSummary, checks: CheckResult[]): void {
  const out = (line = '') => process.stdout.write(line + '\n');
  out(
    `${int(s.requests)} responses in ${s.durationSeconds.toFixed(2)} s (${int(Math.round(s.rps))} req/s), ` +
      `errors ${int(s.errors)} (${(s.errorRate * 100).toFixed(2)}%)` +
      (s.unattributed ? `, ${int(s.unattributed)} without identity header` : ''),
  );
  out(
    `latency ms: p50 ${ms(s.latency.p50Ms)}  p90 ${ms(s.latency.p90Ms)}  p99 ${ms(s.latency.p99Ms)}  ` +
      `p99.9 ${ms(s.latency.p999Ms)}  max ${ms(s.latency.maxMs)}  (resolution ${s.latencyResolution})`,
  );
  out(`pacing: ${pacingLine(s.pacing)}`);
  const width = Math.max(8, ...Object.keys(s.instances).map((k) => k.length));
  out();
  out(
    `${'instance'.padEnd(width)}  ${'count'.padStart(9)}  ${'share'.padStart(6)}  ${'p50'.padStart(7)}  ${'p90'.padStart(7)}  ${'p99'.padStart(7)}  ${'p99.9'.padStart(7)}` +
      (s.sticky ? `  ${'clients'.padStart(7)}` : ''),
  );
  // A misconfigured identity header can name thousands of "instances": show the busiest.
  const rows = Object.entries(s.instances).sort(([, a], [, b]) => b.count - a.count);
  for (const [id, i] of rows.slice(0, MAX_ROWS)) {
    out(
      `${id.padEnd(width)}  ${int(i.count).padStart(9)}  ${((i.share * 100).toFixed(1) + '%').padStart(6)}  ` +
        `${ms(i.p50Ms).padStart(7)}  ${ms(i.p90Ms).padStart(7)}  ${ms(i.p99Ms).padStart(7)}  ${ms(i.p999Ms).padStart(7)}` +
        (s.sticky ? `  ${String(s.sticky.pinned[id] ?? 0).padStart(7)}` : ''),
    );
  }
  if (rows.length > MAX_ROWS) out(`… and ${int(rows.length - MAX_ROWS)} more instances (all in --json)`);
  if (checks.length) out();
  for (const c of checks) out(`${c.status.toUpperCase().padEnd(5)} ${c.id} (${c.env}): ${c.diagnosis}`);
}
