// talkload's own reports in a real browser (Debian's chromium, driven by the pinned playwright-core;
// no browser download): a short smoke run's report.html and a compare.html render with no console
// error and no failed resource, every chart drew, the verdict shows; a screenshot of each is kept in
// the test's temp folder. Without a chromium the browser part says it skipped and why.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { talkloadAsync } from '../testing/talkload.ts';
import type { RunSummary } from '../run/results.ts';

const OUT = mkdtempSync(join(tmpdir(), 'talkload-report-'));
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? process.env['CHROMIUM_BIN'];
const noBrowser = CHROMIUM === undefined ? 'no chromium (apt-get install chromium, or set CHROMIUM_BIN); .ci/run installs it' : false;

interface Rendered {
  errors: string[];
  charts: number;
  drawn: number;
  verdict: string;
  ms: number;
}

async function render(file: string, png: string): Promise<Rendered> {
  const { chromium } = await import('playwright-core');
  // As the machine's notes say: headless, no sandbox as root, nothing that reaches the network.
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`failed resource ${r.url()}`));
    // Anything the page asks of the network is a resource the file should have carried.
    await page.route(/^(?!file:)/, (route) => {
      errors.push(`network request ${route.request().url()}`);
      return route.abort();
    });
    const t0 = Date.now();
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    // Page-side code as text: the Node tsconfig has no DOM types.
    const charts = (await page.evaluate("document.querySelectorAll('[data-chart]').length")) as number;
    if (charts > 0) await page.waitForFunction('document.body.dataset.charts !== undefined', null, { timeout: 10_000 });
    const ms = Date.now() - t0;
    const drawn = (await page.evaluate(`document.querySelectorAll('[data-drawn="true"] canvas').length`)) as number;
    const verdict = (await page.textContent('#verdict')) ?? '';
    await page.screenshot({ path: png, fullPage: false });
    return { errors, charts, drawn, verdict, ms };
  } finally {
    await browser.close();
  }
}

test("a 15 s smoke run's report.html: its own, self-contained, every chart drawn in Chromium, the verdict shown", { timeout: 180_000 }, async (t) => {
  const r = await talkloadAsync(['run', '--profile', 'smoke', '--duration', '15s', '--stay', '8s', '--out', OUT, '--run-id', 'smoke', '--', '--quiet']);
  assert.equal(r.code, 0, r.out.slice(-2000));
  const file = join(OUT, 'smoke', 'report.html');
  const html = readFileSync(file, 'utf8');
  const summary = JSON.parse(readFileSync(join(OUT, 'smoke', 'summary.json'), 'utf8')) as RunSummary;
  assert.match(r.out, /talkload: PASS\. Results in .*smoke\/ \(open .*smoke\/report\.html; text: /);
  assert.match(html, /<span class="verdict pass" id="verdict">PASS<\/span>/);
  assert.ok(!/(src|href)="https?:/.test(html), 'no resource from the network');
  assert.ok(statSync(file).size < 5 * 1024 * 1024);
  // The long-poll has its own chart, apart from the short requests.
  assert.match(html, /<h2 id="long-polls">/);
  assert.match(html, /data-chart="lat-signaling_poll"/);
  for (const id of Object.keys(summary.endpoints)) assert.match(html, new RegExp(`data-chart="lat-${id}"`), id);
  assert.doesNotMatch(r.out, /web dashboard/, 'no empty k6 dashboard line');
  if (noBrowser) return t.skip(noBrowser);
  const shown = await render(file, join(OUT, 'smoke.png'));
  assert.deepEqual(shown.errors, []);
  assert.ok(shown.charts > 10, `${shown.charts} charts`);
  assert.equal(shown.drawn, shown.charts, 'every chart drew a canvas');
  assert.equal(shown.verdict, 'PASS');
  assert.ok(shown.ms < 3000, `opened in ${shown.ms} ms`);
});

test('talkload report rebuilds the page; a cut samples file is refused', { timeout: 60_000 }, async () => {
  const dir = join(OUT, 'smoke');
  if (!existsSync(join(dir, 'summary.json'))) return;
  const before = statSync(join(dir, 'report.html')).mtimeMs;
  const r = await talkloadAsync(['report', dir], 30_000);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /talkload report: wrote .*report\.html/);
  assert.ok(statSync(join(dir, 'report.html')).mtimeMs >= before);
  const bad = await talkloadAsync(['report', join(OUT, 'nope')], 30_000);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /^talkload report: no results folder /);
});

test('compare.html: the forest plot of B against A, with a slower B regressed, drawn in Chromium', { timeout: 240_000 }, async (t) => {
  const r = await talkloadAsync(['compare', '--a', 'sim', '--b', 'sim', '--b-sim-fault', 'call_join=delay:20', '--rounds', '4', '--schedule', 'together', '--guests', '6', '--duration', '4s', '--stay', '1s', '--flags-every', '0.5s', '--peers-every', '0.5s', '--no-moderator', '--out', OUT, '--run-id', 'cmp']);
  assert.equal(r.code, 99, r.out.slice(-2000));
  const file = join(OUT, 'cmp', 'compare.html');
  const html = readFileSync(file, 'utf8');
  assert.match(html, /<tr class="regressed"><td>call_join<\/td><td>median<\/td>/);
  assert.match(html, /<svg class="forest"/);
  if (noBrowser) return t.skip(noBrowser);
  const shown = await render(file, join(OUT, 'compare.png'));
  assert.deepEqual(shown.errors, []);
  assert.equal(shown.verdict, 'FAIL');
});
