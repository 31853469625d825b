// signoff.html: one self-contained file (inline CSS and SVG, no scripts, no fetches; a CSP
// forbids any) mapping the run to the six criteria with its evidence and charts.
import type { CheckResult } from '../contract/result.js';
import { evidenceOf } from '../contract/evidence.js';
import type { CriterionResult, RunResults } from './model.js';
import {
  colorMap,
  esc,
  journeyChart,
  latencyChart,
  p99TrendChart,
  pinningChart,
  shareChart,
  shareTrendChart,
  watchTimelineChart,
} from './charts.js';
import {
  diffRows,
  drillView,
  endpointViews,
  isAllowedDiff,
  journeyView,
  loadView,
  pinningSequences,
  type DiffRow,
  type EndpointView,
} from './evidence.js';
import { CHECK_LABEL, CRITERION_LABEL, deployLine, duration, runDuration, toolLine } from './format.js';
import type { HistoryEntry } from './history.js';
import { signoffVerdict } from './verdict.js';

const CSS = `
:root{--pass:#1a7f37;--fail:#cf222e;--nv:#9a6700;--err:#8250df;--skip:#57606a;--line:#d0d7de}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:24px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;white-space:nowrap;color:#fff}
.st-pass{background:var(--pass)}.st-fail{background:var(--fail)}.st-error{background:var(--err)}.st-skip{background:var(--skip)}
.st-not-verified{background:#fff8c5;color:var(--nv);border:1px dashed var(--nv)}
.verdict{padding:12px 16px;border-radius:6px;font-size:17px;font-weight:600;margin:8px 0 12px}
.verdict.passed{background:#dafbe1;color:var(--pass);border:1px solid var(--pass)}
.verdict.failed{background:#ffebe9;color:var(--fail);border:1px solid var(--fail)}
.verdict.not-verified{background:#fff8c5;color:var(--nv);border:1px dashed var(--nv)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dl.meta dt{color:#57606a}dl.meta dd{margin:0}
ul.ev{margin:0;padding-left:18px}ul.ev li{margin:1px 0}
figure{margin:8px 0 14px}figcaption{color:#57606a;font-size:12.5px}
svg.chart{display:block;max-width:100%;height:auto;font:12px system-ui,sans-serif;fill:#1f2328}
svg .axis{stroke:#57606a;stroke-width:1}svg .mark{stroke:#1f2328;stroke-dasharray:4 3;stroke-width:1.5}svg .even{stroke:#57606a;stroke-dasharray:3 3}
svg .limit{stroke:var(--fail);stroke-dasharray:6 3;stroke-width:1.5}svg .limit-label{fill:var(--fail)}
svg .tick,svg .pct{fill:#57606a;font-size:11px}
table.trend{width:auto}table.criteria td:nth-child(2){width:32%}
td.cell,th.cell{width:18px;padding:0}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:-1px}
.cell-pass{background:var(--pass)}.cell-fail{background:var(--fail)}.cell-error{background:var(--err)}.cell-skip{background:var(--skip)}
.cell-none{background:repeating-linear-gradient(45deg,#eee 0 3px,#fff 3px 6px)}
details pre{max-height:320px;overflow:auto;background:#f6f8fa;padding:8px;margin:4px 0}
footer{margin-top:28px;color:#57606a;font-size:12px}
`;

const badge = (cls: string, label: string) => `<span class="badge st-${cls}">${esc(label)}</span>`;
const section = (id: string, title: string, body: string) =>
  `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
const figure = (svg: string, caption: string) =>
  `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
const where = (c: CheckResult) => `${c.id} (${c.env})`;

function criteriaTable(criteria: CriterionResult[]): string {
  const rows = criteria.map(
    (c) =>
      `<tr data-criterion="${c.id}" data-status="${esc(c.status)}"><td class="num">${c.id}</td><td>${esc(c.title)}<br><span class="mono">${esc(c.checks.join(', '))}</span></td>` +
      `<td>${badge(c.status, CRITERION_LABEL[c.status])}</td><td><ul class="ev">${(c.evidence ?? []).map((e) => `<li>${esc(e)}</li>`).join('')}</ul></td></tr>`,
  );
  return `<table class="criteria"><thead><tr><th>#</th><th>Criterion</th><th>Status</th><th>Evidence</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function loadSection(checks: CheckResult[], colors: Map<string, string>): string {
  const parts: string[] = [];
  for (const c of checks.filter((c) => c.id === 'load.distribution' || c.id === 'load.sticky')) {
    const view = loadView(c);
    parts.push(`<h3>${esc(where(c))} ${badge(c.status, CHECK_LABEL[c.status])}</h3>`);
    if (!view || !view.instances.length) {
      parts.push(`<p>No per-instance figures in the evidence: ${esc(c.diagnosis)}</p>`);
      continue;
    }
    parts.push(
      figure(
        shareChart(view, colors, `Share of requests per instance, ${where(c)}`),
        'Share of requests per instance',
      ),
    );
    if (view.instances.some((i) => i.percentiles))
      parts.push(
        figure(
          latencyChart(view, colors, `Latency percentiles per instance, ${where(c)}`),
          'Latency percentiles per instance (ms)',
        ),
      );
  }
  return parts.join('');
}

function pinningSection(checks: CheckResult[], colors: Map<string, string>): string {
  return checks
    .filter((c) => c.id === 'sticky.pinning')
    .map((c) => {
      const seqs = pinningSequences(c);
      const head = `<h3>${esc(where(c))} ${badge(c.status, CHECK_LABEL[c.status])}</h3>`;
      if (!seqs) return `${head}<p>No request sequence in the evidence: ${esc(c.diagnosis)}</p>`;
      return (
        head +
        figure(
          pinningChart(seqs, colors, `Sticky pinning sequence, ${where(c)}`),
          'Instance that answered each request of each sticky client',
        )
      );
    })
    .join('');
}

const yesNo = (v: boolean | undefined, yes = 'yes', no = 'NO') => (v === undefined ? '–' : v ? yes : no);

/** The failover drill: its figures as one table, the user's steps before and after the switch. */
/** deploy.watch: the timeline of what users saw while the deploy ran. */
function watchSection(checks: CheckResult[]): string {
  return checks
    .filter((c) => c.id === 'deploy.watch')
    .map((c) => {
      const head = `<h3>${esc(where(c))} ${badge(c.status, CHECK_LABEL[c.status])}</h3><p>${esc(c.diagnosis)}</p>`;
      const ev = evidenceOf(c, 'deploy.watch');
      if (!ev) return head;
      const chart = watchTimelineChart(
        {
          instances: ev.instances.map((i) => i.id),
          timeline: ev.timeline,
          deploy: ev.command ? { startMs: ev.command.startMs, endMs: ev.command.endMs } : null,
        },
        'Requests per second by instance (bars coloured by version), errors per second, the deploy',
      );
      const cmd = ev.command
        ? `command <code>${esc(ev.command.argv.join(' '))}</code>: ${esc(ev.command.signal ? `stopped by ${ev.command.signal}` : `exit ${ev.command.exitCode ?? '?'}`)}`
        : 'no command (a timed watch)';
      return `${head}<figure>${chart}<figcaption>${cmd}; ${ev.requests} requests from ${ev.users} users at ${ev.rate} req/s; ${ev.errorCount} errors</figcaption></figure>`;
    })
    .join('');
}

function drillSection(checks: CheckResult[]): string {
  return checks
    .filter((c) => c.id === 'failover.sticky')
    .map((c) => {
      const head = `<h3>${esc(where(c))} ${badge(c.status, CHECK_LABEL[c.status])}</h3><p>${esc(c.diagnosis)}</p>`;
      const d = drillView(c);
      if (!d) return head;
      const bg = d.background;
      const r = d.restore;
      const secs = (ms: number | null | undefined) =>
        typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : '–';
      const rows: [string, string][] = [
        ['Instance taken away (X)', d.from],
        ['Target group, deregistration delay', `${d.targetGroup}, ${d.deregistrationDelaySeconds} s`],
        ['X right after DeregisterTargets', d.stateAfterDeregister ?? '–'],
        ['User re-pinned to', d.to ?? 'NOT re-pinned'],
        ['Time until re-pinned', d.rePinMs === null ? '–' : `${d.rePinMs} ms`],
        [
          'New cookie pins to the new instance',
          d.to === null
            ? '–'
            : `${yesNo(d.pinnedAfter.length > 0 && d.pinnedAfter.every((i) => i === d.to))} (${d.pinnedAfter.join(' → ') || 'no request'})`,
        ],
        ['Session survived', yesNo(d.outcome?.session.survived)],
        [
          'Data survived',
          d.outcome?.data
            ? yesNo(d.outcome.data.survived) + (d.journey ? ` (journey ${d.journey})` : '')
            : '– (no journey)',
        ],
        [
          'Background clients during the switch',
          bg
            ? `${bg.connections} sticky connections, ${bg.requests} requests: ${bg.transportErrors} without response, ${bg.non2xx} non-2xx; ${bg.clientsRePinned} clients re-pinned`
            : '–',
        ],
        ['Drain completed (X left DescribeTargetHealth)', secs(d.drainedMs)],
        ['X registered again', yesNo(r?.registered, 'yes', `NO: ${r?.command ?? ''}`)],
        ['Time until X healthy again', `${secs(r?.healthyMs)} (${r?.statesSeen.join(' → ') || '–'})`],
        ['X answers again', yesNo(r?.answered)],
        ['Targets after the drill', d.targetsAfter.map((t) => `${t.id} ${t.state}`).join(', ') || '–'],
      ];
      const table = `<table class="drill"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td class="mono">${esc(v)}</td></tr>`).join('')}</tbody></table>`;
      const steps = d.steps.length
        ? `<table><thead><tr><th>When</th><th>Step</th><th>Instance</th><th>Status</th><th>Outcome</th></tr></thead><tbody>${d.steps
            .map(
              (st) =>
                `<tr><td>${esc(st.phase === 'before' ? 'before the switch' : 'after the switch')}</td><td>${esc(st.name)}</td><td class="mono">${esc(st.instance ?? '–')}</td><td class="num">${esc(String(st.status ?? '–'))}</td><td>${st.ok ? 'ok' : esc(st.detail ?? 'failed')}</td></tr>`,
            )
            .join('')}</tbody></table>`
        : '';
      return head + table + steps;
    })
    .join('');
}

function journeySection(checks: CheckResult[], colors: Map<string, string>): string {
  return checks
    .filter((c) => c.id.startsWith('journey.'))
    .map((c) => {
      const view = journeyView(c);
      const head = `<h3>${esc(where(c))} ${badge(c.status, CHECK_LABEL[c.status])}</h3><p>${esc(c.diagnosis)}</p>`;
      if (!view) return head;
      return (
        head +
        figure(
          journeyChart(
            view,
            colors,
            `Journey ${c.id.slice('journey.'.length)}, ${c.env}: step → instance → outcome`,
          ),
          'Each step of the pinned and the hopping run: the instance that answered it and the outcome',
        )
      );
    })
    .join('');
}

const cellValue = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

function diffTable(rows: DiffRow[], envA: string, envB: string): string {
  const head = `<tr><th>Path</th><th>${esc(envA)}</th><th>${esc(envB)}</th><th>Class</th></tr>`;
  const body = rows.map(
    (r) =>
      `<tr><td class="mono">${esc(r.path)}</td><td class="mono">${esc(cellValue(r.a ?? '(absent)'))}</td><td class="mono">${esc(cellValue(r.b ?? '(absent)'))}</td><td>${badge(isAllowedDiff(r.cls) ? 'skip' : 'fail', r.cls)}${r.note ? ` ${esc(r.note)}` : ''}</td></tr>`,
  );
  return `<table class="diff"><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

function endpointsTable(views: EndpointView[], envA: string, envB: string): string {
  const value = (v: unknown) => (v === undefined || v === null ? '(absent)' : cellValue(v));
  const body = views.flatMap((v) => {
    const state = v.unverified.length
      ? badge('error', `unverified: ${v.unverified[0]}`)
      : v.rows.length === 0 && v.inconsistencies.length === 0
        ? badge('pass', `${v.compared ?? 0} fields, all the same`)
        : esc(`${v.same ?? 0} of ${v.compared ?? 0} fields the same`);
    const head = `<tr class="endpoint"><th class="mono" colspan="3">${esc(v.path)} <small>(${esc(v.compare ?? 'shape')})</small></th><td>${state}</td></tr>`;
    const rows = v.rows.map(
      (r) =>
        `<tr><td class="mono">${esc(r.field)}</td><td class="mono">${esc(value(r.a))}</td><td class="mono">${esc(value(r.b))}</td><td>${badge(isAllowedDiff(r.cls) ? 'skip' : 'fail', r.cls)}${r.note ? ` ${esc(r.note)}` : ''}</td></tr>`,
    );
    const inconsistent = v.inconsistencies.map(
      (i) =>
        `<tr><td class="mono">${esc(i.field)}</td><td class="mono" colspan="2">${esc(
          Object.entries(i.values)
            .map(([id, x]) => `${id}=${String(x)}`)
            .join(', '),
        )}</td><td>${badge('error', `inconsistent inside ${envA}`)}</td></tr>`,
    );
    return [head, ...rows, ...inconsistent];
  });
  return `<h4>Endpoints</h4><table class="diff endpoints"><thead><tr><th>Endpoint / field</th><th>${esc(envA)}</th><th>${esc(envB)}</th><th>Class</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}

function fingerprintSection(checks: CheckResult[]): string {
  return checks
    .filter((c) => c.id === 'fingerprint.diff')
    .map((c) => {
      const endpoints = endpointViews(c);
      const diff = diffRows(c);
      const head = `<h3>${esc(where(c))} ${badge(c.status, CHECK_LABEL[c.status])}</h3><p>${esc(c.diagnosis)}</p>`;
      if (!diff) return head;
      // Endpoint fields are shown grouped under their path, below the structural ones.
      const rows = diff.rows.filter((r) => !(endpoints && r.path.startsWith('http.endpoints[')));
      return (
        head +
        (rows.length
          ? diffTable(rows, c.env, diff.against)
          : '<p>No structural differences from production.</p>') +
        (endpoints?.views.length ? endpointsTable(endpoints.views, c.env, endpoints.against) : '')
      );
    })
    .join('');
}

function checksTable(checks: CheckResult[]): string {
  const rows = checks.map((c) => {
    const json = JSON.stringify(c.evidence, null, 2) ?? '{}';
    const shown = json.length > 8000 ? `${json.slice(0, 8000)}\n… (truncated, see results.json)` : json;
    return `<tr data-check="${esc(c.id)}" data-status="${c.status}"><td class="mono">${esc(c.id)}</td><td>${esc(c.env)}</td><td>${badge(c.status, CHECK_LABEL[c.status])}</td><td class="num">${esc(duration(c.durationMs))}</td><td>${esc(c.diagnosis)}<details><summary>evidence</summary><pre class="mono">${esc(shown)}</pre></details></td></tr>`;
  });
  return `<table class="checks"><thead><tr><th>Check</th><th>Env</th><th>Status</th><th>Time</th><th>Diagnosis</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function trendSection(history: HistoryEntry[]): string {
  const keys = [...new Set(history.flatMap((h) => Object.keys(h.checks)))].sort();
  const head = `<tr><th>Check</th>${history.map((h) => `<th class="cell" title="${esc(`${h.runId} (${h.mode}) ${h.time}`)}"></th>`).join('')}</tr>`;
  const rows = keys.map(
    (k) =>
      `<tr><td class="mono">${esc(k)}</td>${history
        .map((h) => {
          const s = h.checks[k];
          return `<td class="cell cell-${s ?? 'none'}" title="${esc(`${h.runId}: ${s ? CHECK_LABEL[s] : 'not run'}`)}"></td>`;
        })
        .join('')}</tr>`,
  );
  const legend = (['pass', 'fail', 'error', 'skip'] as const)
    .map((s) => `<span class="cell-${s}"></span>${CHECK_LABEL[s]}`)
    .join('');
  const span = `${history[0].time.slice(0, 10)} to ${history[history.length - 1].time.slice(0, 10)}`;
  const parts = [
    `<p class="legend">Last ${history.length} runs, ${esc(span)}, oldest first (hover a cell for its run): ${legend}<span class="cell-none"></span>not run</p>`,
    `<table class="trend">${head}${rows.join('')}</table>`,
  ];
  if (history.some((h) => h.p99 && Object.keys(h.p99).length))
    parts.push(figure(p99TrendChart(history, 'p99 latency per run'), 'load.distribution p99 (ms) per run'));
  const envs = [...new Set(history.flatMap((h) => Object.keys(h.shares ?? {})))].sort();
  for (const env of envs)
    parts.push(
      figure(
        shareTrendChart(history, env, `Instance shares per run, ${env}`),
        `load.distribution instance shares per run, ${env}`,
      ),
    );
  return parts.join('');
}

export function renderHtml(r: RunResults, opts: { history?: HistoryEntry[] } = {}): string {
  const v = signoffVerdict(r.criteria);
  const ids = r.checks.flatMap((c) =>
    c.id.startsWith('load.')
      ? (loadView(c)?.instances.map((i) => i.id) ?? [])
      : c.id === 'sticky.pinning'
        ? (pinningSequences(c)?.flat() ?? [])
        : c.id.startsWith('journey.')
          ? (journeyView(c)?.flatMap((v) => v.steps.flatMap((s) => (s.instance ? [s.instance] : []))) ?? [])
          : [],
  );
  const colors = colorMap(ids);
  const s = r.summary;
  const meta: [string, string][] = [
    ['Run', r.runId],
    ['Mode', r.mode],
    ['Started', r.startedAt],
    ['Finished', `${r.finishedAt} (${runDuration(r)})`],
    ['Checks', `${s.passed} passed, ${s.failed} failed, ${s.errored} errored, ${s.skipped} skipped`],
  ];
  const deploy = deployLine(r);
  if (deploy) meta.push(['Deploy', deploy]);
  const tool = toolLine(r);
  if (tool) meta.push(['Tool', tool]);
  const envRows = Object.entries(r.environments)
    .map(
      ([name, e]) =>
        `<tr><td>${esc(name)}</td><td>${esc(e.role)}</td><td class="mono">${esc(e.url)}</td></tr>`,
    )
    .join('');

  const sections = [
    section('criteria', 'Success criteria', criteriaTable(r.criteria)),
    section(
      'environments',
      'Environments',
      `<table><thead><tr><th>Env</th><th>Role</th><th>ALB endpoint</th></tr></thead><tbody>${envRows}</tbody></table>`,
    ),
  ];
  const load = loadSection(r.checks, colors);
  if (load) sections.push(section('load', 'Load: distribution and latency per instance', load));
  const pin = pinningSection(r.checks, colors);
  if (pin) sections.push(section('sticky', 'Sticky sessions: pinning sequence', pin));
  const journeys = journeySection(r.checks, colors);
  if (journeys) sections.push(section('journeys', 'User journeys: step → instance → outcome', journeys));
  const watch = watchSection(r.checks);
  if (watch) sections.push(section('watch', 'Deploy watch: what users saw while the deploy ran', watch));
  const drill = drillSection(r.checks);
  if (drill) sections.push(section('drill', 'Failover drill: a sticky user loses its instance', drill));
  const fp = fingerprintSection(r.checks);
  if (fp) sections.push(section('fingerprint', 'Fingerprint diff against production', fp));
  sections.push(section('checks', 'Checks', checksTable(r.checks)));
  if (opts.history?.length)
    sections.push(section('trend', 'Trend over the last runs', trendSection(opts.history)));

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`parity ${r.mode} sign-off: ${r.runId}`)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Parity sign-off: staging vs production</h1>
<div class="verdict ${v.verdict}" id="verdict">Sign-off ${esc(v.line)}</div>
<dl class="meta">${meta.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${esc(val)}</dd>`).join('')}</dl>
</header>
${sections.join('\n')}
<footer>Generated by parity from results.json (the source of truth). Secrets are redacted before any report is written.</footer>
</body>
</html>
`;
}
