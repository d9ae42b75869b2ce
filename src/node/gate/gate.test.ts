// Gate rules and usage errors, without k6: budgets files, quantile intervals, the regression rule.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { baselineMismatch, defaultBudgets, evaluate, parseBudgets, quantileCI, statsOf, type Baseline, withoutLatencyBudgets, defaultGateBudgets } from './gate.ts';
import type { RunSummary } from '../run/results.ts';

const BIN = fileURLToPath(new URL('../../../bin/talkload.mjs', import.meta.url));

const BAD_BUDGETS: [string, RegExp][] = [
  ['{', /budgets file b.json is not valid JSON/],
  ['[]', /budgets file b.json must hold a JSON object/],
  ['{"endpoint": {}}', /unknown key "endpoint" \(defaults, endpoints, journeys, hpb\)/],
  ['{"hpb": {"propagationP90Ms": 5}}', /unknown budget "propagationP90Ms" in hpb/],
  ['{"hpb": {"helloP95Ms": "fast"}}', /hpb.helloP95Ms must be a number >= 0, got "fast"/],
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
  assert.equal(b.endpoints.call_join.p95Ms, 100);
  assert.equal(b.endpoints.call_join.minSamples, 3);
  assert.equal(b.endpoints.call_peers.p95Ms, defaultBudgets().call_peers.p95Ms);
  assert.equal(parseBudgets('{"journeys": {"minSuccessRate": 0.9}}', 'b.json').journeys.minSuccessRate, 0.9);
  assert.throws(() => parseBudgets('{"journeys": {"minSuccessRate": 2}}', 'b.json'), /journeys.minSuccessRate is a share from 0 to 1, got 2/);
  assert.throws(() => parseBudgets('{"journeys": {"maxDuration": 2}}', 'b.json'), /unknown budget "maxDuration" in journeys/);
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

test('journeys: a run whose guests fail or do not find themselves fails the gate; a run without journeys too', () => {
  const opts = { tolerance: 0.1, tailTolerance: 0.25, minEffectMs: 2 };
  const budgets = parseBudgets('{"defaults": {"minSamples": 0}}', 'b.json');
  const failedOf = (j: RunSummary['journeys']) => evaluate({ ...summary(30), journeys: j }, {}, budgets, null, opts).filter((c) => !c.ok).map((c) => `${c.endpoint} ${c.check}: ${c.detail}`);
  assert.deepEqual(failedOf({ count: 200, successRate: 0.995, selfListedRate: 1 }), []);
  // Issue 12's real-server run: every endpoint fine, but guests missed themselves in GET /call.
  assert.deepEqual(failedOf({ count: 20, successRate: 0.1, selfListedRate: 0.05 }), [
    'journey journey-success: 10.0 % of journeys succeeded (budget 99.0 %)',
    'journey self-listed: own session listed in 5.0 % of GET /call polls while in the call (budget 99.0 %)',
  ]);
  assert.deepEqual(failedOf({ count: 0, successRate: null, selfListedRate: null }), ['journey journeys: 0 guest journeys completed (minimum 1)']);
  // Stopped by Ctrl-C: healthy figures, but of part of the run.
  const interrupted = evaluate({ ...summary(30), journeys: { count: 200, successRate: 1, selfListedRate: 1 }, interrupted: true }, {}, budgets, null, opts).filter((c) => !c.ok);
  assert.deepEqual(interrupted.map((c) => `${c.endpoint} ${c.check}`), ['journey complete']);
});

test('HPB runs: propagation and hello against their budgets and the baseline, unexpected outcomes and closes; endpoints an HPB run cannot use are not required', () => {
  const opts = { tolerance: 0.1, tailTolerance: 0.25, minEffectMs: 2 };
  const budgets = parseBudgets('{"hpb": {"propagationP95Ms": 500}}', 'b.json');
  const lat = (v: number) => ({ p50: v, p95: v, p99: v, max: v, mean: v });
  const hpb = (propagation: number, closes: Record<string, number> = {}): RunSummary => ({
    ...summary(30),
    load: { moderator: false },
    hpb: {
      sessions: 10, helloMs: lat(5), roomJoinMs: lat(5), callJoinPropagationMs: lat(propagation), flagsPropagationMs: lat(propagation),
      unexpected: Object.keys(closes).length, unexpectedByStep: Object.keys(closes).length ? { connect: { close_1006: 1 } } : {}, unexpectedCloses: closes, messagesReceived: 100, bytesReceived: 1000,
    },
  });
  const failedOf = (s: RunSummary, stats = {}, base: Parameters<typeof evaluate>[3] = null) => evaluate(s, stats, budgets, base, opts).filter((c) => !c.ok).map((c) => `${c.endpoint} ${c.check}`);
  // Only call_join has samples in this summary: the other endpoints with budgets are missing, but
  // not signaling_send (no internal signaling with an HPB) nor call_ring/room_participants (no moderator).
  const missing = failedOf(hpb(5)).filter((f) => f.endsWith('samples'));
  assert.ok(!missing.some((f) => /signaling_send|call_ring|room_participants/.test(f)), missing.join(', '));
  const healthy = failedOf(hpb(5)).filter((f) => !f.endsWith('samples'));
  assert.deepEqual(healthy, []);
  assert.deepEqual(failedOf(hpb(600)).filter((f) => f.startsWith('hpb')), ['hpb_call_join_propagation p95', 'hpb_flags_propagation p95']);
  assert.deepEqual(failedOf(hpb(5, { '1006': 1 })).filter((f) => f.startsWith('hpb')), ['hpb unexpected', 'hpb unexpected']);
  // Against a baseline: 5 ms propagation that became 40 ms regresses, though within budget.
  const base = { schema: 'talkload.baseline/v1' as const, acceptedAt: '', runId: 'base', profile: 'smoke', load: {}, endpoints: { hpb_flags_propagation: statsOf(around(5, 1)) } };
  assert.ok(failedOf(hpb(40), { hpb_flags_propagation: statsOf(around(40, 2)) }, base).includes('hpb_flags_propagation regression-p50'));
});

test('a baseline of another target, scenario, profile or workload does not fit', () => {
  const sim = { capacity: { workers: 64, cores: 16, spread: 0.45, defaultServiceMs: 20, serviceMs: { call_join: 27, room_delete: 12 } }, compat: 'latest', signaling: 'internal' };
  const base: Baseline = { schema: 'talkload.baseline/v1', acceptedAt: '', runId: 'b', targetKind: 'simulator', target: 'simulator', scenario: 's', profile: 'smoke', load: { guests: 10 }, producedBy: { talkload: '0.1.0', simulator: sim }, endpoints: {} };
  const run = { ...summary(30), load: { guests: 10 }, simulator: sim };
  assert.equal(baselineMismatch(run, base), null);
  assert.equal(baselineMismatch(run, { ...base, targetKind: undefined, target: undefined, scenario: undefined }), null, 'old baselines are simulator baselines');
  // What produced it (issue 24 item 8): a baseline of other service times measures another server.
  assert.match(baselineMismatch(run, { ...base, producedBy: undefined })!, /does not record the simulator that produced it/);
  const slower = { ...sim, capacity: { ...sim.capacity, serviceMs: { call_join: 27, room_delete: 45 } } };
  assert.equal(baselineMismatch({ ...run, simulator: slower }, base), 'the simulator changed since the baseline was accepted (service times room_delete 12 -> 45 ms)');
  assert.match(baselineMismatch({ ...run, simulator: { ...sim, compat: 'talk19' } }, base)!, /compat "latest" -> "talk19"/);
  assert.match(baselineMismatch({ ...run, targetKind: 'external', target: 'http://127.0.0.1:8080' }, base)!, /measured on the embedded simulator, this run on the server http:\/\/127\.0\.0\.1:8080/);
  assert.match(baselineMismatch({ ...run, targetKind: 'external', target: 'http://a' }, { ...base, targetKind: 'external', target: 'http://b' })!, /measured on http:\/\/b, this run on http:\/\/a/);
  assert.match(baselineMismatch({ ...run, profile: 'load' }, base)!, /profile smoke, this run load/);
  assert.match(baselineMismatch({ ...run, load: { guests: 16 } }, base)!, /workload differs \(guests 10 -> 16\)/);
});

test('gate usage errors: one line, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-gate-'));
  mkdirSync(join(dir, 'truncated'));
  writeFileSync(join(dir, 'truncated', 'summary.json'), '{"schema": "talkload.summ');
  mkdirSync(join(dir, 'ok'));
  writeFileSync(join(dir, 'ok', 'summary.json'), JSON.stringify(summary(30)));
  writeFileSync(join(dir, 'neg.json'), '{"endpoints": {"call_join": {"p99Ms": -5}}}');
  writeFileSync(join(dir, 'unknown.json'), '{"endpoints": {"video_call": {}}}');
  const realRun = { ...summary(30), targetKind: 'external', target: 'http://127.0.0.1:8080' };
  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'real', 'summary.json'), JSON.stringify(realRun));
  writeFileSync(join(dir, 'sim-baseline.json'), JSON.stringify({ schema: 'talkload.baseline/v1', acceptedAt: '', runId: 'b', targetKind: 'simulator', target: 'simulator', scenario: 's', profile: 'smoke', load: {}, producedBy: { talkload: '0.1.0', simulator: null }, endpoints: {} }));
  // Input files the gate must not trust: a null latency passes every budget if taken as it is.
  const malformed = (name: string, edit: (s: ReturnType<typeof summary>) => void): void => {
    const s = structuredClone(summary(30));
    edit(s);
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'summary.json'), JSON.stringify(s));
  };
  malformed('null-latency', (s) => ((s.endpoints['call_join']!.latencyMs as unknown as Record<string, unknown>)['p95'] = null));
  malformed('text-count', (s) => ((s.endpoints['call_join'] as unknown as Record<string, unknown>)['unexpected'] = '3'));
  malformed('no-journeys', (s) => ((s as unknown as Record<string, unknown>)['journeys'] = null));
  writeFileSync(join(dir, 'bad-baseline.json'), JSON.stringify({ schema: 'talkload.baseline/v1', acceptedAt: '', runId: 'b', profile: 'smoke', load: {}, endpoints: { call_join: { n: 30, p50: { value: 'fast', low: 1, high: 2 } } } }));
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
    [['gate', join(dir, 'real'), '--baseline', join(dir, 'sim-baseline.json')], /does not fit run r: the baseline was measured on the embedded simulator, this run on the server http:\/\/127\.0\.0\.1:8080 \(compare like with like, or pass --any-baseline\)\n$/],
    [['gate', join(dir, 'ok'), '--baseline', join(dir, 'sim-baseline.json')], /no raw samples \(samples.csv.gz\) in .*: a baseline comparison needs them\n$/],
    [['gate', join(dir, 'null-latency')], /summary\.json: endpoints\.call_join\.latencyMs\.p95 must be a number of ms >= 0\n$/],
    [['gate', join(dir, 'text-count')], /summary\.json: endpoints\.call_join\.unexpected must be a whole number >= 0\n$/],
    [['gate', join(dir, 'no-journeys')], /summary\.json: journeys must be an object\n$/],
    [['gate', join(dir, 'ok'), '--baseline', join(dir, 'bad-baseline.json')], /bad-baseline\.json: endpoints\.call_join\.p50\.value must be a number of ms >= 0\n$/],
    [['baseline', 'reject', dir], /^talkload baseline: unknown baseline action "reject" \(accept\)\n$/],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('a run against a real server without a ring user: rings are not required, fixed latency budgets not judged', () => {
  const slow = { ...summary(650), targetKind: 'external' as const, target: 'http://127.0.0.1:8080', load: { moderator: true, ring: false } };
  const opts = { tolerance: 0.1, tailTolerance: 0.25, minEffectMs: 2 };
  const fixed = evaluate(slow, {}, defaultGateBudgets(), null, opts).filter((c) => !c.ok).map((c) => `${c.endpoint} ${c.check}`);
  assert.ok(fixed.includes('call_join p95'), fixed.join(', '));
  const real = evaluate(slow, {}, withoutLatencyBudgets(defaultGateBudgets()), null, opts).filter((c) => !c.ok).map((c) => `${c.endpoint} ${c.check}`);
  assert.ok(!real.some((f) => f.endsWith(' p95') || f.endsWith(' p99')), real.join(', '));
  assert.ok(!real.includes('call_ring samples'), 'no ring user, no ring asked for');
});
