// The capacity model's service times: a measured spread around each endpoint's median.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../shared/random.ts';
import { Capacity, NC29_2CORE, parseCapacity } from './capacity.ts';

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

test('nc29-2core service times spread like a real server: median as measured, p95 1.5-3x the median', () => {
  const c = new Capacity(NC29_2CORE, seededRandom(7));
  for (const id of ['call_join', 'capabilities', 'call_peers'] as const) {
    const xs = Array.from({ length: 4000 }, () => c.serviceMs(id));
    const p50 = quantile(xs, 0.5);
    const want = NC29_2CORE.serviceMs[id]!;
    assert.ok(Math.abs(p50 / want - 1) < 0.06, `${id} median ${p50} vs ${want}`);
    const ratio = quantile(xs, 0.95) / p50;
    assert.ok(ratio > 1.5 && ratio < 3, `${id} p95/p50 ${ratio}`);
    assert.ok(xs.every((x) => x > 0 && Number.isFinite(x)));
  }
});

test('custom capacities stay constant unless a spread is asked for', () => {
  const flat = new Capacity(parseCapacity('workers=4,cores=2')!, seededRandom(1));
  assert.deepEqual(new Set(Array.from({ length: 50 }, () => flat.serviceMs('call_join'))), new Set([NC29_2CORE.serviceMs.call_join]));
  assert.equal(parseCapacity('workers=4,spread=0.3')!.spread, 0.3);
  assert.throws(() => parseCapacity('spread=5'), /spread is a log-normal sigma from 0 to 2, got 5/);
});

test('one endpoint\'s service time can be set (a slower build): the rest keep theirs; unknown names are refused', () => {
  const c = new Capacity(parseCapacity('workers=8,cores=2,call_join=30')!);
  const base = new Capacity(parseCapacity('workers=8,cores=2')!);
  assert.equal(c.serviceMs('call_join'), 30);
  assert.equal(c.serviceMs('call_flags'), base.serviceMs('call_flags'));
  assert.throws(() => parseCapacity('workers=8,video_call=30'), /unknown capacity setting "video_call"/);
});

test('a fractional service time is waited for exactly on average: timers get the whole ms or one more, the fraction carried over', () => {
  const c = new Capacity(parseCapacity('workers=8,cores=2,call_join=29.7')!, seededRandom(3));
  const waits = Array.from({ length: 4000 }, () => c.timerMs(c.serviceMs('call_join'), 'call_join'));
  assert.deepEqual(new Set(waits), new Set([29, 30]));
  const mean = waits.reduce((s, x) => s + x, 0) / waits.length;
  assert.ok(Math.abs(mean - 29.7) < 0.05, `mean wait ${mean}`);
  // Carried over, not drawn: any ten waits in a row hold seven of 30 ms, so a round's median is steady.
  assert.deepEqual(waits.slice(100, 110).filter((w) => w === 30).length, 7);
  assert.deepEqual(new Set(Array.from({ length: 20 }, () => c.timerMs(27, 'call_flags'))), new Set([27]));
});

test('enter() waits on a real timer for whole ms, the fraction carried over: ten waits of 21.5 ms are 215 ms', { timeout: 30_000 }, async (t) => {
  // Node's timers drop a fraction (21.5 waits 21), so what enter() hands them must be whole ms that
  // add up to the service time. Watched, not replaced: the waits are real. (Timing the waits beside
  // a CPU hog moved a 1.5 ms difference by ±0.6 ms either way.)
  const setTimeoutSpy = t.mock.method(globalThis, 'setTimeout');
  const c = new Capacity(parseCapacity('workers=8,cores=2,call_join=21.5')!, seededRandom(5));
  for (let i = 0; i < 10; i++) {
    await c.enter('call_join');
    c.leave();
  }
  const waits = setTimeoutSpy.mock.calls.map((call) => call.arguments[1] as number);
  assert.equal(waits.length, 10);
  assert.ok(waits.every((ms) => Number.isInteger(ms)), `waits ${waits.join(', ')}`);
  assert.equal(waits.reduce((sum, ms) => sum + ms, 0), 215);
});

test('nc29-1core is the measured server with one core: the same service times and spread, one core', () => {
  const one = parseCapacity('nc29-1core')!;
  assert.equal(one.cores, 1);
  assert.equal(one.workers, NC29_2CORE.workers);
  assert.deepEqual(one.serviceMs, NC29_2CORE.serviceMs);
  assert.equal(one.spread, NC29_2CORE.spread);
  assert.equal(parseCapacity('nc29-2core')!.cores, 2);
});
