// Inline SVG charts for signoff.html: plain strings, explicit sizes, every text escaped.
import type { JourneyVariantView, LoadView } from './evidence.js';
import type { HistoryEntry } from './history.js';

export function esc(s: unknown): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// Colour-blind-safe palette (Paul Tol "bright").
const PALETTE = ['#4477AA', '#EE6677', '#228833', '#CCBB44', '#66CCEE', '#AA3377', '#BBBBBB'];

/** A stable colour per instance id (sorted, so every chart of a report agrees). */
export function colorMap(ids: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  return new Map(sorted.map((id, i) => [id, PALETTE[i % PALETTE.length]]));
}

const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

function svg(w: number, h: number, label: string, body: string[]): string {
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>${body.join('')}</svg>`;
}

const text = (x: number, y: number, s: string, attrs = '') =>
  `<text x="${f1(x)}" y="${f1(y)}"${attrs ? ' ' + attrs : ''}>${esc(s)}</text>`;
const rect = (x: number, y: number, w: number, h: number, fill: string, tip?: string) =>
  `<rect x="${f1(x)}" y="${f1(y)}" width="${f1(Math.max(w, 0))}" height="${f1(h)}" fill="${fill}">${tip ? `<title>${esc(tip)}</title>` : ''}</rect>`;
const vline = (x: number, y1: number, y2: number, cls: string) =>
  `<line class="${cls}" x1="${f1(x)}" y1="${f1(y1)}" x2="${f1(x)}" y2="${f1(y2)}"/>`;

const LABEL_W = 190;
const BAR_W = 300;

/** Horizontal bars: share of requests per instance, with the even share and the minimum share marked. */
export function shareChart(view: LoadView, colors: Map<string, string>, title: string): string {
  const rows = view.instances;
  const h = rows.length * 30 + 34;
  const body: string[] = [];
  rows.forEach((i, n) => {
    const y = 8 + n * 30;
    const share = i.share ?? 0;
    const tip = `${i.id}: ${f1(share * 100)}%${i.count !== undefined ? ` (${i.count} requests)` : ''}`;
    body.push(text(LABEL_W - 8, y + 15, i.id, 'text-anchor="end"'));
    body.push(rect(LABEL_W, y, share * BAR_W, 20, colors.get(i.id) ?? '#888', tip));
    body.push(
      text(
        LABEL_W + share * BAR_W + 6,
        y + 15,
        `${f1(share * 100)}%${i.count !== undefined ? ` · ${i.count} req` : ''}`,
      ),
    );
  });
  const bottom = 8 + rows.length * 30;
  body.push(vline(LABEL_W, 4, bottom, 'axis'));
  if (rows.length) {
    const even = LABEL_W + BAR_W / rows.length;
    body.push(vline(even, 4, bottom, 'even'), text(even, bottom + 14, 'even share', 'text-anchor="middle"'));
  }
  if (view.minShare !== undefined) {
    const x = LABEL_W + view.minShare * BAR_W;
    body.push(
      vline(x, 4, bottom, 'limit'),
      text(x, bottom + 26, `min ${f1(view.minShare * 100)}%`, 'text-anchor="middle" class="limit-label"'),
    );
  }
  return svg(LABEL_W + BAR_W + 130, h, title, body);
}

/** Latency percentiles per instance (p50/p90/p99 when present), with the p99 limit marked. */
export function latencyChart(view: LoadView, colors: Map<string, string>, title: string): string {
  const wanted = (p: Record<string, number>) => {
    const keys = ['p50', 'p90', 'p99'].filter((k) => p[k] !== undefined);
    return keys.length ? keys : Object.keys(p).slice(0, 3);
  };
  const rows = view.instances.filter((i) => i.percentiles);
  const top = Math.max(1, ...rows.flatMap((i) => Object.values(i.percentiles!)));
  // A limit far above the measured values would squash the bars: then it is only named.
  const limitOnScale = view.p99Limit !== undefined && view.p99Limit <= top * 3;
  const max = limitOnScale ? Math.max(top, view.p99Limit!) : top * 1.1;
  const body: string[] = [];
  let y = 8;
  for (const i of rows) {
    const p = i.percentiles!;
    const keys = wanted(p);
    body.push(text(LABEL_W - 8, y + 11 + ((keys.length - 1) * 16) / 2, i.id, 'text-anchor="end"'));
    for (const k of keys) {
      const w = (p[k] / max) * BAR_W;
      body.push(text(LABEL_W + 4, y + 11, k, 'class="pct"'));
      body.push(rect(LABEL_W + 34, y, w, 13, colors.get(i.id) ?? '#888', `${i.id} ${k}: ${p[k]} ms`));
      body.push(text(LABEL_W + 38 + w, y + 11, `${p[k]} ms`));
      y += 16;
    }
    y += 8;
  }
  body.push(vline(LABEL_W + 34, 4, y - 4, 'axis'));
  if (view.p99Limit !== undefined && limitOnScale) {
    const x = LABEL_W + 34 + (view.p99Limit / max) * BAR_W;
    body.push(
      vline(x, 4, y - 4, 'limit'),
      text(x, y + 10, `p99 limit ${view.p99Limit} ms`, 'text-anchor="middle" class="limit-label"'),
    );
  } else if (view.p99Limit !== undefined) {
    body.push(
      text(
        LABEL_W + 34 + BAR_W,
        y + 10,
        `p99 limit ${view.p99Limit} ms (off scale)`,
        'text-anchor="end" class="limit-label"',
      ),
    );
  }
  return svg(LABEL_W + BAR_W + 130, y + 18, title, body);
}

const MAX_CLIENTS = 12;
const MAX_REQUESTS = 60;

/** One row per virtual client, one cell per request, coloured by the instance that answered. */
export function pinningChart(seqs: string[][], colors: Map<string, string>, title: string): string {
  const rows = seqs.slice(0, MAX_CLIENTS);
  const cols = Math.min(MAX_REQUESTS, Math.max(1, ...rows.map((r) => r.length)));
  const body: string[] = [];
  rows.forEach((seq, n) => {
    const y = 6 + n * 20;
    const first = seq[0];
    const same = seq.filter((x) => x === first).length;
    body.push(text(84, y + 12, `client ${n + 1}`, 'text-anchor="end"'));
    seq.slice(0, MAX_REQUESTS).forEach((id, k) => {
      body.push(
        rect(92 + k * 12, y, 10, 14, colors.get(id) ?? '#888', `client ${n + 1}, request ${k + 1}: ${id}`),
      );
    });
    body.push(text(92 + cols * 12 + 6, y + 12, `${same}/${seq.length} → ${first}`));
  });
  let y = 6 + rows.length * 20 + 8;
  let x = 92;
  const seen = new Set(rows.flat());
  for (const [id, c] of [...colors].filter(([id]) => seen.has(id))) {
    body.push(rect(x, y, 10, 10, c), text(x + 14, y + 9, id));
    x += 24 + id.length * 7;
  }
  if (seqs.length > rows.length) body.push(text(92, y + 26, `+${seqs.length - rows.length} more clients`));
  y += seqs.length > rows.length ? 34 : 18;
  return svg(Math.max(92 + cols * 12 + 240, x + 10), y, title, body);
}

/** p99 per environment across the last runs (oldest left). */
export function p99TrendChart(history: HistoryEntry[], title: string): string {
  const envs = [...new Set(history.flatMap((h) => Object.keys(h.p99 ?? {})))].sort();
  const colors = colorMap(envs);
  const W = 560;
  const H = 180;
  const left = 56;
  const top = 12;
  const plotW = W - left - 20;
  const plotH = H - top - 40;
  const max = Math.max(1, ...history.flatMap((h) => Object.values(h.p99 ?? {})));
  const xOf = (i: number) => left + (history.length === 1 ? plotW / 2 : (i / (history.length - 1)) * plotW);
  const yOf = (v: number) => top + plotH - (v / max) * plotH;
  const body: string[] = [
    `<line class="axis" x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}"/>`,
    vline(left, top, top + plotH, 'axis'),
    text(left - 6, top + 8, `${Math.round(max)} ms`, 'text-anchor="end"'),
    text(left - 6, top + plotH, '0', 'text-anchor="end"'),
  ];
  envs.forEach((env, n) => {
    const pts = history
      .map((h, i) => [i, h.p99?.[env]] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined);
    const c = colors.get(env)!;
    body.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([i, v]) => `${f1(xOf(i))},${f1(yOf(v))}`).join(' ')}"/>`,
    );
    for (const [i, v] of pts)
      body.push(
        `<circle cx="${f1(xOf(i))}" cy="${f1(yOf(v))}" r="3.5" fill="${c}"><title>${esc(`${history[i].runId} ${env}: p99 ${v} ms`)}</title></circle>`,
      );
    body.push(rect(left + n * 120, H - 14, 10, 10, c), text(left + 14 + n * 120, H - 5, `${env} p99`));
  });
  history.forEach((h, i) =>
    body.push(text(xOf(i), top + plotH + 14, shortTime(h.time), 'text-anchor="middle" class="tick"')),
  );
  return svg(W, H, title, body);
}

/** 100 % stacked bars of instance shares per run for one environment. */
export function shareTrendChart(history: HistoryEntry[], env: string, title: string): string {
  const ids = history.flatMap((h) => Object.keys(h.shares?.[env] ?? {}));
  const colors = colorMap(ids);
  const barW = 30;
  const gap = 12;
  const H = 150;
  const plotH = 110;
  const body: string[] = [];
  history.forEach((h, i) => {
    const x = 40 + i * (barW + gap);
    let y = 8 + plotH;
    for (const [id, share] of Object.entries(h.shares?.[env] ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const hh = share * plotH;
      y -= hh;
      body.push(rect(x, y, barW, hh, colors.get(id)!, `${h.runId} ${id}: ${f1(share * 100)}%`));
    }
    body.push(text(x + barW / 2, H - 18, shortTime(h.time), 'text-anchor="middle" class="tick"'));
  });
  body.push(
    `<line class="even" x1="36" y1="${8 + plotH / 2}" x2="${40 + history.length * (barW + gap)}" y2="${8 + plotH / 2}"/>`,
  );
  body.push(text(34, 8 + plotH / 2 + 4, '50%', 'text-anchor="end" class="tick"'));
  let x = 40;
  for (const [id, c] of colors) {
    body.push(rect(x, H - 10, 10, 10, c), text(x + 14, H - 1, id));
    x += 24 + id.length * 7;
  }
  return svg(Math.max(40 + history.length * (barW + gap) + 20, x + 10, 200), H + 4, title, body);
}

/** "11-28" from an ISO time (UTC), short enough for an axis tick; run ids are in the tooltips. */
function shortTime(iso: string): string {
  const m = /^\d{4}-(\d\d-\d\d)/.exec(iso);
  return m ? m[1] : iso.slice(0, 10);
}

const OUTCOME_FILL = { ok: '#1a7f37', failed: '#cf222e', unsent: '#57606a' } as const;

/** What a step's outcome mark says: status, tries, lag. */
function stepOutcome(s: JourneyVariantView['steps'][number]): string {
  if (s.tries === 0) return s.reason ?? 'not sent';
  const parts = [s.status === null ? 'no answer' : String(s.status)];
  if (s.latencyMs !== undefined) parts.push(`${s.latencyMs} ms`);
  if (s.tries !== undefined && s.tries > 1) parts.push(`${s.tries} tries`);
  if (s.ok && s.lagMs) parts.push(`lag ${(s.lagMs / 1000).toFixed(1)} s`);
  if (!s.ok && s.settleSeconds !== undefined) parts.push(`not settled in ${s.settleSeconds} s`);
  return `${s.ok ? '✓' : '✗'} ${parts.join(' · ')}`;
}

/**
 * A journey's runs as a sequence chart: one lifeline for the user and one per instance; each
 * step is an arrow from the user to the instance that answered it, ending in its outcome.
 */
export function journeyChart(
  variants: JourneyVariantView[],
  colors: Map<string, string>,
  title: string,
): string {
  const instances = [...colors.keys()].filter((id) =>
    variants.some((v) => v.steps.some((s) => s.instance === id)),
  );
  const USER_X = 60;
  const COL = 190;
  const x0 = 150;
  const xOf = (id: string | undefined) => {
    const i = id === undefined ? -1 : instances.indexOf(id);
    // (an unsent step's arrow stops short of every lifeline)
    return i === -1 ? undefined : x0 + COL * i + COL / 2;
  };
  const textX = x0 + COL * Math.max(instances.length, 1) + 8;
  const body: string[] = [text(USER_X, 16, 'user', 'text-anchor="middle" font-weight="600"')];
  instances.forEach((id, i) => {
    const x = x0 + COL * i + COL / 2;
    body.push(rect(x - 80, 4, 160, 18, colors.get(id) ?? '#888', id));
    body.push(text(x, 17, id, 'text-anchor="middle" fill="#fff" font-size="11"'));
  });
  let y = 40;
  const rows: string[] = [];
  for (const v of variants) {
    rows.push(
      text(
        8,
        y + 4,
        `${v.variant}${v.outcome && v.outcome !== 'passed' ? ` (${v.outcome})` : ''}`,
        'font-weight="600"',
      ),
    );
    y += 22;
    for (const s of v.steps) {
      const to = s.tries === 0 ? undefined : xOf(s.instance);
      const fill = s.tries === 0 ? OUTCOME_FILL.unsent : s.ok ? OUTCOME_FILL.ok : OUTCOME_FILL.failed;
      const end = to ?? x0 + 20;
      rows.push(
        text(
          USER_X + 8,
          y - 4,
          `${s.step}${s.on && s.on !== 'same' ? ` (on ${s.on})` : ''}`,
          'font-size="11"',
        ),
      );
      rows.push(
        `<line x1="${USER_X}" y1="${y}" x2="${f1(end - 7)}" y2="${y}" stroke="${s.tries === 0 ? '#57606a' : '#1f2328'}"${s.tries === 0 ? ' stroke-dasharray="4 3"' : ''}/>`,
        `<polygon points="${f1(end - 7)},${y - 4} ${f1(end)},${y} ${f1(end - 7)},${y + 4}" fill="#1f2328"/>`,
        `<circle cx="${f1(end + 8)}" cy="${y}" r="6" fill="${fill}"><title>${esc(`${s.step} on ${s.instance ?? 'unknown'}: ${s.reason ?? ''}`)}</title></circle>`,
        text(textX, y + 4, stepOutcome(s), `fill="${fill}"`),
      );
      y += 30;
    }
    y += 6;
  }
  const lifelines = [USER_X, ...instances.map((id) => xOf(id)!)].map((x) => vline(x, 24, y - 10, 'axis'));
  return svg(textX + 300, y, title, [...body, ...lifelines, ...rows]);
}

// Version bands of the watch timeline: a second palette, so versions never look like instances.
const VERSION_COLORS = ['#BBBBBB', '#4477AA', '#CCBB44', '#AA3377', '#66CCEE'];

export interface WatchTimelineInput {
  instances: string[];
  timeline: {
    second: number;
    perInstance: Record<string, number>;
    instanceVersions: Record<string, string>;
    errors: number;
  }[];
  /** CMD's start and end, ms since the watch started. */
  deploy: { startMs: number; endMs: number | null } | null;
}

/**
 * The watch timeline: one band per instance (answers per second as bars, coloured by the
 * version it answered with), a row of errors per second (red) on top, and the deploy's start
 * and end as dashed lines.
 */
export function watchTimelineChart(w: WatchTimelineInput, title: string): string {
  const secs = Math.max(1, w.timeline.length);
  const plotW = Math.max(300, Math.min(900, secs * 12));
  const x = (s: number) => LABEL_W + (s / secs) * plotW;
  const bandH = 34;
  const top = 8;
  const max = Math.max(1, ...w.timeline.map((t) => Math.max(t.errors, ...Object.values(t.perInstance))));
  const versions = [...new Set(w.timeline.flatMap((t) => Object.values(t.instanceVersions)))];
  const vColor = (v: string | undefined) =>
    v === undefined ? '#888' : VERSION_COLORS[versions.indexOf(v) % VERSION_COLORS.length];
  const body: string[] = [];
  const rows = ['errors', ...w.instances];
  rows.forEach((row, n) => {
    const y = top + n * bandH;
    const bars: string[] = [];
    for (const t of w.timeline) {
      const count = row === 'errors' ? t.errors : (t.perInstance[row] ?? 0);
      if (!count) continue;
      const h = ((bandH - 8) * count) / max;
      const fill = row === 'errors' ? '#CC3311' : vColor(t.instanceVersions[row]);
      const tip =
        row === 'errors'
          ? `s ${t.second}: ${count} errors`
          : `s ${t.second}: ${row} answered ${count}${t.instanceVersions[row] ? ` (${t.instanceVersions[row]})` : ''}`;
      bars.push(rect(x(t.second), y + bandH - 4 - h, Math.max(1, plotW / secs - 1), h, fill, tip));
    }
    const cls = row === 'errors' ? 'watch-errors' : 'watch-band';
    body.push(
      `<g class="${cls}"${row === 'errors' ? '' : ` data-instance="${esc(row)}"`}>${text(LABEL_W - 8, y + bandH / 2 + 4, row, 'text-anchor="end"')}${bars.join('')}</g>`,
    );
  });
  const bottom = top + rows.length * bandH;
  body.push(vline(LABEL_W, top, bottom, 'axis'));
  if (w.deploy) {
    body.push(vline(x(w.deploy.startMs / 1000), top, bottom, 'mark deploy-start'));
    body.push(text(x(w.deploy.startMs / 1000) + 3, bottom + 14, 'deploy start'));
    if (w.deploy.endMs !== null) {
      body.push(vline(x(w.deploy.endMs / 1000), top, bottom, 'mark deploy-end'));
      body.push(text(x(w.deploy.endMs / 1000) - 3, bottom + 28, 'deploy end', 'text-anchor="end"'));
    }
  }
  versions.forEach((v, i) => {
    body.push(rect(LABEL_W + i * 110, bottom + 36, 12, 12, vColor(v)));
    body.push(text(LABEL_W + i * 110 + 16, bottom + 46, v));
  });
  body.push(text(LABEL_W + plotW, bottom + 14, `${secs} s`, 'text-anchor="end"'));
  return svg(LABEL_W + plotW + 20, bottom + 56, title, body);
}
