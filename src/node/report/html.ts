// talkload's own report.html: one self-contained file (uPlot and its CSS inlined from the pinned npm
// package, the data pre-aggregated per time window), readable without the charts: every chart has
// a table of its numbers. Built from the run's summary.json and samples, for every run (short,
// interrupted, several k6 processes) and again by `talkload report RESULTS_DIR`.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HELD_ENDPOINT_IDS } from '../../shared/endpoints.ts';
import { Hpb } from '../../shared/constants.ts';
import { findingLines, type RunSummary, statusText } from '../run/results.ts';
import { LogHistogram, stalls, type Timeline } from './timeline.ts';

const require = createRequire(import.meta.url);

/** uPlot's script and stylesheet, from the installed package (no network when the page is viewed). */
export function uplotAssets(): { js: string; css: string } {
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js, css };
}

const esc = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
const fmt = (v: number | null, unit = ''): string => (v === null ? '' : `${v >= 100 ? Math.round(v) : Math.round(v * 10) / 10}${unit}`);

interface ChartSpec {
  readonly id: string;
  readonly title: string;
  /** y-axis label. */
  readonly unit: string;
  readonly kind: 'line' | 'stacked' | 'bars';
  /** x values (seconds into the run, or bucket upper bounds for histograms). */
  readonly x: number[];
  readonly series: { label: string; values: (number | null)[]; color: string; dash?: boolean }[];
  /** Seconds-into-run ranges to shade (stalls). */
  readonly bands?: { from: number; to: number }[];
  readonly xLabel?: string;
}

const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#7f7f7f', '#bcbd22', '#e377c2', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd', '#31a354', '#756bb1'];
const BAD = ['#d62728', '#ff7f0e', '#e6550d', '#a50f15', '#fd8d3c', '#fdae6b'];

function table(headers: string[], rows: (string | number | null)[][], caption: string): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c === null ? '' : esc(String(c))}</td>`).join('')}</tr>`).join('\n');
  return `<details><summary>${esc(caption)}</summary><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></details>`;
}

/** A chart's container and its table of numbers. */
function chartBlock(c: ChartSpec, tableHtml: string): string {
  return `<figure class="chart"><figcaption>${esc(c.title)}</figcaption><div class="plot" data-chart="${esc(c.id)}"></div>${tableHtml}</figure>`;
}

function seriesTable(c: ChartSpec, xName: string): string {
  const rows: (string | number | null)[][] = [];
  for (let i = 0; i < c.x.length; i++) {
    const cells = c.series.map((s) => s.values[i] ?? null);
    if (cells.every((v) => v === null || v === 0)) continue;
    rows.push([c.x[i]!, ...cells.map((v) => (v === null ? null : Math.round(v * 100) / 100))]);
  }
  return table([xName, ...c.series.map((s) => s.label)], rows, `numbers (${rows.length} rows)`);
}

export interface ReportInput {
  readonly summary: RunSummary;
  readonly timeline: Timeline;
}

/** The page, as one string. */
export function reportHtml({ summary: s, timeline: t }: ReportInput): string {
  const held: readonly string[] = HELD_ENDPOINT_IDS;
  const x = Array.from({ length: t.windows }, (_, w) => w * t.windowSeconds);
  const perSecond = (n: number): number => Math.round((n / t.windowSeconds) * 100) / 100;
  const stallList = stalls(t, held);
  const charts: ChartSpec[] = [];
  const blocks: string[] = [];

  // ---- throughput of the short requests, with stalls shaded -----------------------------------
  const shortIds = [...t.endpoints.keys()].filter((id) => !held.includes(id)).sort();
  const heldIds = [...t.endpoints.keys()].filter((id) => held.includes(id)).sort();
  const throughput: ChartSpec = {
    id: 'throughput',
    title: `Requests completed per second, by endpoint (long-polls apart)${stallList.length > 0 ? `; shaded: ${stallList.length} stall${stallList.length === 1 ? '' : 's'}, requests waiting and none answered` : ''}`,
    unit: 'req/s',
    kind: 'line',
    x,
    series: shortIds.map((id, i) => ({ label: id, values: t.endpoints.get(id)!.map((e) => perSecond(e?.n ?? 0)), color: PALETTE[i % PALETTE.length]! })),
    bands: stallList,
  };
  charts.push(throughput);
  const waiting: ChartSpec = {
    id: 'waiting',
    title: 'Short requests waiting for an answer (in flight) and answered, per window',
    unit: 'requests',
    kind: 'line',
    x,
    series: [
      { label: 'waiting', values: t.waiting, color: BAD[0]! },
      { label: 'answered', values: x.map((_, w) => shortIds.reduce((n, id) => n + (t.endpoints.get(id)![w]?.n ?? 0), 0)), color: PALETTE[1]! },
    ],
    bands: stallList,
  };
  charts.push(waiting);
  blocks.push('<h2 id="throughput">Throughput and stalls</h2>', chartBlock(throughput, seriesTable(throughput, 's')), chartBlock(waiting, seriesTable(waiting, 's')));

  // ---- per endpoint: latency quantiles and statuses by code -------------------------------------
  const endpointBlock = (id: string, i: number): string => {
    const series = t.endpoints.get(id)!;
    // Each window's quantiles once, for the chart and its table.
    const q = (p: number): (number | null)[] => series.map((e) => e?.latency.quantile(p) ?? null);
    const [p50, p95, p99] = [q(0.5), q(0.95), q(0.99)];
    const lat: ChartSpec = {
      id: `lat-${id}`,
      title: `${id}: latency p50 / p95 / p99`,
      unit: 'ms',
      kind: 'line',
      x,
      series: [
        { label: 'p50', values: p50.map(r1), color: PALETTE[i % PALETTE.length]! },
        { label: 'p95', values: p95.map(r1), color: '#ff7f0e' },
        { label: 'p99', values: p99.map(r1), color: BAD[0]!, dash: true },
      ],
      bands: held.includes(id) ? [] : stallList,
    };
    const codes = new Set<string>();
    for (const e of series) for (const c of e?.statuses.keys() ?? []) codes.add(c);
    const unexpected = new Set<string>();
    for (const e of series) for (const [c, n] of e?.unexpected ?? []) if (n > 0) unexpected.add(c);
    const ordered = [...codes].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    let good = 0;
    let bad = 0;
    const stat: ChartSpec = {
      id: `st-${id}`,
      title: `${id}: answers per second by status${unexpected.size > 0 ? ` (unexpected: ${[...unexpected].join(', ')})` : ''}`,
      unit: 'req/s',
      kind: 'stacked',
      x,
      series: ordered.map((code) => {
        const isBad = unexpected.has(code) || !/^\d+$/.test(code);
        return {
          label: isBad ? `${code} (unexpected)` : code,
          values: series.map((e) => perSecond(e?.statuses.get(code) ?? 0)),
          color: isBad ? BAD[bad++ % BAD.length]! : ['#2ca02c', '#98df8a', '#1f77b4', '#aec7e8', '#9467bd'][good++ % 5]!,
        };
      }),
    };
    charts.push(lat, stat);
    const rows: (string | number | null)[][] = [];
    series.forEach((e, w) => {
      if (!e || e.n === 0) return;
      rows.push([x[w]!, perSecond(e.n), fmt(p50[w] ?? null), fmt(p95[w] ?? null), fmt(p99[w] ?? null), statusText(Object.fromEntries(e.statuses)), statusText(Object.fromEntries(e.unexpected))]);
    });
    const totals = s.endpoints[id];
    const head = totals ? ` — ${totals.requests} requests, p50 ${fmt(totals.latencyMs.p50, ' ms')}, p95 ${fmt(totals.latencyMs.p95, ' ms')}, ${totals.unexpected} unexpected` : '';
    return `<section class="endpoint" id="ep-${esc(id)}"><h3>${esc(id)}${esc(head)}</h3><div class="pair">${chartBlock(lat, '')}${chartBlock(stat, '')}</div>${table(['s', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'statuses', 'unexpected'], rows, `numbers (${rows.length} windows)`)}</section>`;
  };
  blocks.push('<h2 id="endpoints">Endpoints</h2>', ...shortIds.map(endpointBlock));
  if (heldIds.length > 0) {
    blocks.push('<h2 id="long-polls">Long-polls (held by design: their latency is the wait, not a budget)</h2>', ...heldIds.map((id, i) => endpointBlock(id, i + shortIds.length)));
  }

  // ---- the people ---------------------------------------------------------------------------------
  const people: ChartSpec = {
    id: 'people',
    title: 'VUs, and the largest call a guest saw (GET /call list)',
    unit: 'count',
    kind: 'line',
    x,
    series: [
      { label: 'VUs', values: t.vus, color: PALETTE[0]! },
      { label: 'guests in the call (largest list)', values: t.peersSeen, color: PALETTE[1]! },
    ],
  };
  const journeys: ChartSpec = {
    id: 'journeys',
    title: 'Guest journeys ended per window: succeeded, failed, guests vanished',
    unit: 'journeys',
    kind: 'bars',
    x,
    series: [
      { label: 'succeeded', values: t.journeysEnded.map((n, w) => n - t.journeysFailed[w]!), color: PALETTE[1]! },
      { label: 'failed', values: t.journeysFailed, color: BAD[0]! },
      { label: 'vanished', values: t.vanished, color: BAD[1]! },
    ],
  };
  charts.push(people, journeys);
  const ok = (id: string): number => Object.entries(s.endpoints[id]?.statuses ?? {}).reduce((n, [c, k]) => n + (/^2\d\d$/.test(c) ? k : 0), 0);
  const callJoins = ok('call_join');
  const listed = s.journeys.selfListedRate;
  const funnel: [string, number | string][] = [
    ['joined the conversation (room join 2xx)', ok('room_join')],
    ['in the call (call join 2xx)', callJoins],
    ['own session listed by GET /call (share of polls in the call)', listed === null ? 'n/a' : `${(listed * 100).toFixed(1)} %`],
    ['left the call (call leave 2xx)', ok('call_leave')],
    ['left the conversation (room leave 2xx)', ok('room_leave')],
  ];
  const failures: [string, number][] = [];
  for (const [id, e] of Object.entries(s.endpoints)) if (e.unexpected > 0) failures.push([`${id}: ${statusText(e.unexpectedStatuses)}`, e.unexpected]);
  for (const [step, codes] of Object.entries(s.hpb?.unexpectedByStep ?? {})) failures.push([`HPB ${step}: ${statusText(codes)}`, Object.values(codes).reduce((a, b) => a + b, 0)]);
  for (const [step, n] of Object.entries(s.hpb?.generatorLate ?? {})) failures.push([`load generator late (HPB ${step}, k6's event loop lagged)`, n]);
  if (s.hpb?.welcomeMissing) failures.push([`no HPB welcome within ${Hpb.welcomeWaitSeconds} s of opening (hello said without it)`, s.hpb.welcomeMissing]);
  if (s.journeys.guestsVanished) failures.push([`guest's session vanished right after joining (${statusText(s.journeys.guestsVanished.byStep)})`, s.journeys.guestsVanished.count]);
  const maxFunnel = Math.max(1, ...funnel.map(([, n]) => (typeof n === 'number' ? n : 0)));
  const funnelHtml = `<table class="funnel"><tbody>${funnel
    .map(([label, n]) => `<tr><td>${esc(label)}</td><td class="num">${esc(String(n))}</td><td class="bar">${typeof n === 'number' ? `<span style="width:${Math.round((n / maxFunnel) * 100)}%"></span>` : ''}</td></tr>`)
    .join('')}</tbody></table>`;
  const failuresHtml = failures.length === 0 ? '<p>No step failed.</p>' : `<table><thead><tr><th>step and outcome</th><th>count</th></tr></thead><tbody>${failures.map(([l, n]) => `<tr><td>${esc(l)}</td><td class="num">${n}</td></tr>`).join('')}</tbody></table>`;
  blocks.push('<h2 id="people">The people</h2>', chartBlock(people, seriesTable(people, 's')), chartBlock(journeys, seriesTable(journeys, 's')), '<h3>Journey funnel</h3>', funnelHtml, '<h3>Failures by step</h3>', failuresHtml);

  // ---- HPB ------------------------------------------------------------------------------------------
  if (t.hpb.size > 0 || s.hpb) {
    const steps = [...t.hpb.keys()];
    const overTime: ChartSpec = {
      id: 'hpb-time',
      title: 'HPB steps over time: p95 per window (hello, room join, propagation of call join and flags)',
      unit: 'ms',
      kind: 'line',
      x,
      series: steps.map((st, i) => ({ label: `${st} p95`, values: t.hpb.get(st)!.map((h) => r1(h?.quantile(0.95) ?? null)), color: PALETTE[i % PALETTE.length]! })),
    };
    charts.push(overTime);
    blocks.push('<h2 id="hpb">HPB (external signaling)</h2>', chartBlock(overTime, seriesTable(overTime, 's')));
    steps.forEach((st, i) => {
      const all = new LogHistogram();
      for (const h of t.hpb.get(st)!) if (h) all.merge(h);
      const bounds = [...all.counts.keys()].sort((a, b) => a - b);
      const hist: ChartSpec = {
        id: `hpb-hist-${i}`,
        title: `${st}: distribution (${all.n} samples)`,
        unit: 'samples',
        kind: 'bars',
        x: bounds.map((b) => Math.round(0.1 * 1.04 ** b * 10) / 10),
        series: [{ label: st, values: bounds.map((b) => all.counts.get(b)!), color: PALETTE[i % PALETTE.length]! }],
        xLabel: 'ms',
      };
      charts.push(hist);
      blocks.push(chartBlock(hist, seriesTable(hist, 'up to ms')));
    });
    if (s.hpb && Object.keys(s.hpb.unexpectedCloses).length > 0) blocks.push(`<p class="bad">Closed by the HPB: ${esc(statusText(s.hpb.unexpectedCloses))} (close codes).</p>`);
  }
  if (t.throttled.some((n) => n > 0)) {
    const th: ChartSpec = { id: 'throttled', title: 'Brute-force throttling: answers slowed (header) or refused (429) per window', unit: 'answers', kind: 'bars', x, series: [{ label: 'throttled', values: t.throttled, color: BAD[0]! }] };
    charts.push(th);
    blocks.push('<h2 id="throttling">Brute-force throttling</h2>', chartBlock(th, seriesTable(th, 's')));
  }

  // ---- header -----------------------------------------------------------------------------------------
  const broken = s.thresholds.filter((x2) => !x2.ok);
  const verdict = s.interrupted ? 'INTERRUPTED (partial results)' : s.incompleteSamples ? 'FAIL (samples incomplete)' : s.verdict.toUpperCase();
  const load = s.load;
  const facts: [string, string][] = [
    ['run', s.runId],
    ['target', s.targetKind === 'simulator' ? 'embedded simulator' : s.target],
    ['profile', `${s.scenario} / ${s.profile}`],
    ['guests', `${load['peakGuests'] ?? load['guests'] ?? '?'}${load['peakGuests'] !== undefined ? ' at the peak' : ''}, calls of ${load['callSize'] ?? '?'}`],
    ['signaling', String(load['signaling'] ?? (s.hpb ? 'hpb' : 'internal'))],
    ['started', s.startedAt],
    ['duration', `${s.durationSeconds} s (windows of ${t.windowSeconds} s)`],
    ['versions', `talkload ${s.talkload ?? '?'}, k6 ${s.k6.version}`],
  ];
  const findings = findingLines(s);
  if (stallList.length > 0) findings.unshift(`${stallList.length} stall${stallList.length === 1 ? '' : 's'}: requests waited and none was answered for ${stallList.map((x2) => `${x2.from}-${x2.to} s`).join(', ')} into the run (every PHP worker held, e.g. by long-polls)`);
  const brokenHtml = broken.length === 0 ? '' : `<h3>Broken thresholds</h3><ul>${broken.map((b) => `<li>${esc(thresholdWords(b.metric, b.expression))} <code>${esc(`${b.metric} ${b.expression}`)}</code></li>`).join('')}</ul>`;
  const findingsHtml = findings.length === 0 ? '' : `<h3>Findings</h3><ul>${findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`;
  const toc = ['throughput', 'endpoints', ...(heldIds.length ? ['long-polls'] : []), 'people', ...(t.hpb.size > 0 || s.hpb ? ['hpb'] : []), ...(t.throttled.some((n) => n > 0) ? ['throttling'] : [])];
  const { js, css } = uplotAssets();
  const data = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>talkload ${esc(s.runId)}: ${esc(verdict)}</title>
<style>${css}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1400px;padding:0 16px 40px;color:#222}
header{border-bottom:2px solid #ddd;margin-bottom:12px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:700}
.pass{background:#2ca02c}.fail{background:#d62728}.interrupted{background:#ff7f0e}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}
dl.facts dt{color:#666}dl.facts dd{margin:0}
nav a{margin-right:12px}
figure.chart{margin:8px 0 16px}figcaption{font-weight:600;margin-bottom:4px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}
@media (max-width:900px){.pair{grid-template-columns:1fr}}
section.endpoint{border-top:1px solid #eee;padding-top:6px}
table{border-collapse:collapse;font:12px/1.3 ui-monospace,monospace}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f4f4f4}td:first-child{text-align:left}
table.funnel td.bar{width:300px;text-align:left}table.funnel span{display:inline-block;height:10px;background:#1f77b4}
.num{text-align:right}.bad{color:#d62728}
details summary{cursor:pointer;color:#1f77b4;font-size:12px}
</style></head><body>
<header><h1>talkload run ${esc(s.runId)} <span class="verdict ${s.interrupted ? 'interrupted' : s.verdict === 'pass' && !s.incompleteSamples ? 'pass' : 'fail'}" id="verdict">${esc(verdict)}</span></h1>
<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
${brokenHtml}${findingsHtml}
<nav>${toc.map((id) => `<a href="#${id}">${id.replace('-', ' ')}</a>`).join('')}</nav></header>
<main>${blocks.join('\n')}</main>
<script>${js}</script>
<script>
const CHARTS = ${data};
${CLIENT}
</script>
</body></html>
`;
}

/** A threshold in words: which endpoint or journey measure broke which limit. */
function thresholdWords(metric: string, expression: string): string {
  const ep = /\{name:([a-z_]+)\}/.exec(metric)?.[1];
  const base = metric.replace(/\{.*\}$/, '');
  const what: Record<string, string> = {
    http_req_duration: `${ep ?? 'requests'} latency`,
    http_req_failed: `${ep ?? 'requests'} error rate`,
    talk_unexpected_status: 'unexpected statuses',
    talk_journey_success: 'journeys that succeeded',
    talk_journeys: 'journeys ended',
    talk_call_joins: 'guests in a call',
    talk_self_listed: 'own session listed by GET /call',
    talk_guest_vanished: "guests' sessions vanished right after joining",
    talk_too_many_requests: '429 answers (brute-force maximum)',
    dropped_iterations: 'guests k6 could not start on time',
  };
  const m = /^(p\((\d+)\)|rate|count)\s*(<=|>=|==|<|>)\s*([\d.]+)$/.exec(expression);
  if (!m) return `${what[base] ?? base}: ${expression}`;
  const [, stat, q, op, limitText] = m as unknown as [string, string, string | undefined, string, string];
  const limit = Number(limitText);
  const value = stat.startsWith('p(') ? `${limit} ms` : stat === 'rate' ? `${Math.round(limit * 10000) / 100} %` : String(limit);
  const rel = { '<': 'below', '<=': 'at most', '>': 'above', '>=': 'at least', '==': 'exactly' }[op as '<'];
  return `${what[base] ?? base}: ${stat.startsWith('p(') ? `p${q} ` : ''}must be ${rel} ${value} —`;
}

/** The page's own script: draws each chart with uPlot; the numbers are in the tables already. */
const CLIENT = `
(function () {
  const stacked = (vals) => { const out = []; let acc = null; for (const v of vals) { acc = acc === null ? v.map((y) => y ?? 0) : acc.map((a, i) => a + (v[i] ?? 0)); out.push(acc.slice()); } return out; };
  function draw(el, c) {
    const width = Math.max(300, el.clientWidth || 600);
    const height = c.kind === 'line' && c.id === 'throughput' ? 280 : 200;
    let ys = c.series.map((s) => s.values);
    let order = c.series.map((_, i) => i);
    if (c.kind === 'stacked') { ys = stacked(ys); order = order.slice().reverse(); }
    const bars = c.kind !== 'line' ? uPlot.paths.bars({ size: [0.9, 40] }) : undefined;
    const series = [{ label: c.xLabel || 's' }].concat(order.map((i) => ({
      label: c.series[i].label, stroke: c.series[i].color, width: 1.5,
      fill: c.kind === 'line' ? undefined : c.series[i].color,
      dash: c.series[i].dash ? [4, 3] : undefined, paths: bars, spanGaps: false, points: { show: false },
    })));
    const data = [c.x].concat(order.map((i) => ys[i]));
    const bands = c.bands || [];
    const opts = {
      width, height, series, legend: { live: true },
      scales: { x: { time: false } },
      axes: [{ label: c.xLabel || 'seconds into the run', size: 40 }, { label: c.unit, size: 60 }],
      hooks: { drawClear: [(u) => {
        const ctx = u.ctx; ctx.save(); ctx.fillStyle = 'rgba(214,39,40,0.15)';
        for (const b of bands) { const x0 = u.valToPos(b.from, 'x', true), x1 = u.valToPos(b.to, 'x', true); ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height); }
        ctx.restore();
      }] },
    };
    new uPlot(opts, data, el);
    el.dataset.drawn = 'true';
  }
  for (const c of CHARTS) {
    const el = document.querySelector('[data-chart="' + c.id + '"]');
    if (el) draw(el, c);
  }
  document.body.dataset.charts = String(CHARTS.length);
})();
`;
