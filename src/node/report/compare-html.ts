// compare.html: per endpoint and measure, B against A as a forest plot (the estimate of B - A with
// its 90 % interval, the minimum effect drawn either side of zero), the verdict per row, and the
// same numbers as a table. Inline SVG, so the page draws with no script and no network.

import type { CompareReport } from '../compare/command.ts';
import type { Comparison } from '../compare/compare.ts';

const esc = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f1 = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));
const COLOR: Record<string, string> = { regressed: '#d62728', improved: '#2ca02c', 'no change': '#555' };

/** One row of the plot: its own scale (each row is relative to its own minimum effect). */
function forestRow(c: Comparison, width: number): string {
  const effect = c.effect ?? 0;
  const lo = c.low ?? 0;
  const hi = c.high ?? 0;
  const d = c.difference ?? 0;
  const span = Math.max(Math.abs(lo), Math.abs(hi), Math.abs(d), effect * 1.5, 0.5) * 1.1;
  const px = (v: number): number => Math.round(((v + span) / (2 * span)) * width);
  const color = COLOR[c.verdict] ?? '#555';
  return `<svg class="forest" width="${width}" height="22" role="img" aria-label="${esc(`${c.endpoint} ${c.measure}: ${f1(d)} [${f1(lo)}, ${f1(hi)}], minimum effect ${f1(effect)}`)}">
<rect x="${px(-effect)}" y="2" width="${Math.max(1, px(effect) - px(-effect))}" height="18" fill="#eee"/>
<line x1="${px(0)}" x2="${px(0)}" y1="0" y2="22" stroke="#999"/>
<line x1="${px(-effect)}" x2="${px(-effect)}" y1="0" y2="22" stroke="#bbb" stroke-dasharray="3,2"/>
<line x1="${px(effect)}" x2="${px(effect)}" y1="0" y2="22" stroke="#bbb" stroke-dasharray="3,2"/>
<line class="interval" x1="${px(lo)}" x2="${px(hi)}" y1="11" y2="11" stroke="${color}" stroke-width="3"/>
<circle cx="${px(d)}" cy="11" r="4" fill="${color}"/>
</svg>`;
}

export function compareHtml(r: CompareReport): string {
  const latency = r.comparisons.filter((c) => (c.measure === 'median' || c.measure === 'p95') && c.low !== null && c.high !== null);
  const rest = r.comparisons.filter((c) => !latency.includes(c));
  const verdict = r.interrupted ? `INTERRUPTED after ${r.interrupted.pairsDone} of ${r.rounds} pairs` : r.verdict.toUpperCase();
  const rows = latency
    .map(
      (c) =>
        `<tr class="${c.verdict.replace(' ', '-')}"><td>${esc(c.endpoint)}</td><td>${c.measure}</td><td class="num">${c.a !== undefined ? f1(c.a) : ''}</td><td class="num">${c.b !== undefined ? f1(c.b) : ''}</td><td class="num">${f1(c.difference ?? 0)} [${f1(c.low!)}, ${f1(c.high!)}]</td><td class="num">±${f1(c.effect ?? 0)}</td><td>${forestRow(c, 360)}</td><td class="verdict">${esc(c.verdict)}</td></tr>`,
    )
    .join('\n');
  const others = rest.map((c) => `<tr class="${c.verdict.replace(' ', '-')}"><td>${esc(c.endpoint)}</td><td>${c.measure}</td><td class="verdict">${esc(c.verdict)}</td><td>${esc(c.detail)}</td></tr>`).join('\n');
  const budgets = r.budgets.filter((b) => !b.ok);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>talkload compare ${esc(r.runId)}: ${esc(verdict)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1300px;padding:0 16px 40px;color:#222}
.v{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:700}.pass{background:#2ca02c}.fail{background:#d62728}.interrupted{background:#ff7f0e}
table{border-collapse:collapse;font:12px/1.3 ui-monospace,monospace;margin:8px 0}td,th{border:1px solid #ddd;padding:2px 6px}th{background:#f4f4f4}
td.num{text-align:right}tr.regressed td.verdict{color:#d62728;font-weight:700}tr.improved td.verdict{color:#2ca02c;font-weight:700}
svg.forest{display:block}
</style></head><body>
<h1>talkload compare ${esc(r.runId)} <span id="verdict" class="v ${r.interrupted ? 'interrupted' : r.verdict}">${esc(verdict)}</span></h1>
<p>B <code>${esc(r.b)}</code> against A <code>${esc(r.a)}</code>: ${r.rounds} rounds each, order ${esc(r.order)}; minimum effect ${r.minEffectPct} % of A's figure and at least ${r.minEffectMs} ms. Workload: <code>${esc(r.workload.join(' '))}</code>.</p>
<h2>Latency: B − A per endpoint (ms), 90 % interval over pairs of rounds</h2>
<p>Each row on its own scale: the dot is the estimate of B − A, the bar its interval, the grey band the minimum effect either side of zero. A change needs the dot outside the band and the bar clear of half of it.</p>
<table id="forest"><thead><tr><th>endpoint</th><th>measure</th><th>A ms</th><th>B ms</th><th>B − A [90 %]</th><th>min effect</th><th>plot</th><th>verdict</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Error rates and statuses</h2>
<table><thead><tr><th>endpoint</th><th>measure</th><th>verdict</th><th>detail</th></tr></thead><tbody>
${others}
</tbody></table>
<h2>B's budgets</h2>
${budgets.length === 0 ? `<p>All ${r.budgets.length} budget checks kept.</p>` : `<table><thead><tr><th>endpoint</th><th>check</th><th>detail</th></tr></thead><tbody>${budgets.map((b) => `<tr><td>${esc(b.endpoint)}</td><td>${b.check}</td><td>${esc(b.detail)}</td></tr>`).join('')}</tbody></table>`}
</body></html>
`;
}
