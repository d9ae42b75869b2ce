// Gate rules and usage errors, without k6: budgets files, quantile intervals, the regression rule.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultBudgets, evaluate, parseBudgets, quantileCI, statsOf } from './gate.ts';
import type { RunSummary } from '../run/results.ts';

const BIN = fileURLToPath(new URL('../../../bin/talkload.mjs', import.meta.url));

const BAD_BUDGETS: [string, RegExp][] = [
  ['{', /budgets file b.json is not valid JSON/],
  ['[]', /budgets file b.json must hold a JSON object/],
  ['{"endpoint": {}}', /unknown key "endpoint" \(defaults, endpoints\)/],
  ['{"endpoints": {"call_jion": {"p95Ms": 100}}}', /unknown endpoint "call_jion"/],
  ['{"endpoints": {"call_join": {"p95Ms": -1}}}', /endpoints.call_join.p95Ms must be a number >= 0, got -1/],
  ['{"defaults": {"errorRate": 5}}', /defaults.errorRate is a share from 0 to 1, got 5/],
  ['{"defaults": {"p90Ms": 5}}', /unknown budget "p90Ms" in defaults/],
];
for (const [text, message] of BAD_BUDGETS) {
  test(`budgets ${text} is rejected: ${message.source}`, () => {
    assert.throws(() => parseBudgets(text, 'b.json'), message);
  });
}

test('budgets override defaults per endpoint and keep the rest', () => {
  const b = parseBudgets('{"defaults": {"minSamples": 3}, "endpoints": {"call_join": {"p95Ms": 100}}}', 'b.json');
  assert.equal(b.call_join.p95Ms, 100);
  assert.equal(b.call_join.minSamples, 3);
  assert.equal(b.call_peers.p95Ms, defaultBudgets().call_peers.p95Ms);
});

test('a quantile interval covers the estimate and widens for small samples', () => {
  const big = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  const ci = quantileCI(big, 0.5);
  assert.ok(ci.low < ci.value && ci.value < ci.high);
  assert.ok(ci.high - ci.low < 100);
  const small = Float64Array.from([10, 11, 12, 13, 14]);
  const s = quantileCI(small, 0.5);
  assert.equal(s.low, 10);
  assert.equal(s.high, 14);
});

function summary(latency: number): RunSummary {
  return {
    schema: 'talkload.summary/v1', runId: 'r', scenario: 's', profile: 'smoke', target: 'simulator', targetKind: 'simulator', startedAt: '', durationSeconds: 1, load: {},
    k6: { version: 'v2.2.0', exitCode: 0 },
    endpoints: { call_join: { requests: 100, statuses: { '200': 100 }, unexpected: 0, unexpectedStatuses: {}, throttled: 0, tooManyRequests: 0, latencyMs: { p50: latency, p95: latency, p99: latency, max: latency, mean: latency } } },
    journeys: { count: 1, successRate: 1, selfListedRate: 1 },
    thresholds: [],
    verdict: 'pass',
  };
}

const around = (center: number, spread: number): Float64Array => Float64Array.from({ length: 100 }, (_, i) => center - spread + (2 * spread * i) / 99);

test('a 30 % slower median regresses; the same distribution does not', () => {
  const budgets = parseBudgets('{"defaults": {"minSamples": 0}}', 'b.json');
  const base = { schema: 'talkload.baseline/v1' as const, acceptedAt: '', runId: 'base', profile: 'smoke', load: {}, endpoints: { call_join: statsOf(around(30, 3)) } };
  const opts = { tolerance: 0.1, tailTolerance: 0.25, minEffectMs: 2 };
  const same = evaluate(summary(30), { call_join: statsOf(around(30, 3)) }, budgets, base, opts);
  assert.ok(same.every((c) => c.ok));
  const slower = evaluate(summary(39), { call_join: statsOf(around(39, 3)) }, budgets, base, opts);
  const failed = slower.filter((c) => !c.ok).map((c) => `${c.endpoint} ${c.check}`);
  assert.ok(failed.includes('call_join regression-p50'), failed.join(', '));
  assert.ok(failed.every((f) => f.startsWith('call_join regression-')), failed.join(', '));
});

test('gate usage errors: one line, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-gate-'));
  mkdirSync(join(dir, 'truncated'));
  writeFileSync(join(dir, 'truncated', 'summary.json'), '{"schema": "talkload.summ');
  mkdirSync(join(dir, 'ok'));
  writeFileSync(join(dir, 'ok', 'summary.json'), JSON.stringify(summary(30)));
  writeFileSync(join(dir, 'neg.json'), '{"endpoints": {"call_join": {"p99Ms": -5}}}');
  writeFileSync(join(dir, 'unknown.json'), '{"endpoints": {"video_call": {}}}');
  const cases: [string[], RegExp][] = [
    [['gate'], /^talkload gate: give exactly one RESULTS_DIR/],
    [['gate', join(dir, 'missing')], /^talkload gate: no results folder /],
    [['gate', dir], /^talkload gate: no run summary at .*summary\.json\n$/],
    [['gate', join(dir, 'truncated')], /^talkload gate: run summary .* is not valid JSON \(truncated\?\)\n$/],
    [['gate', join(dir, 'ok'), '--budgets', join(dir, 'neg.json')], /must be a number >= 0, got -5\n$/],
    [['gate', join(dir, 'ok'), '--budgets', join(dir, 'unknown.json')], /unknown endpoint "video_call"\n$/],
    [['gate', join(dir, 'ok'), '--budgets', join(dir, 'nope.json')], /^talkload gate: cannot read budgets file /],
    [['gate', join(dir, 'ok'), '--tolerance', 'lots'], /^talkload gate: --tolerance must be a number >= 0, got "lots"\n$/],
    [['gate', join(dir, 'ok'), '--baseline', join(dir, 'ok', 'summary.json')], /is not a talkload baseline/],
    [['baseline', 'reject', dir], /^talkload baseline: unknown baseline action "reject" \(accept\)\n$/],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
