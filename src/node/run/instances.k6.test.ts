// `talkload run --instances 2`: two k6 processes split the load with execution segments and the
// results merge from raw samples. Same seeded load once with one process, once with two, side by
// side (each with its own simulator), so that a busy machine slows both alike.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { talkloadAsync } from '../testing/talkload.ts';
// @ts-expect-error -- a plain .mjs module shared with scripts/gate-job.mjs
import { GATE_WORKLOAD } from '../../../scripts/gate-workload.mjs';
import type { RunSummary } from './results.ts';

test('two instances: the same journeys once each, merged medians within 25 % (or 3 ms) of one instance', { timeout: 300_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'talkload-inst-'));
  const run = async (runId: string, extra: string[]): Promise<RunSummary> => {
    const r = await talkloadAsync(['run', ...(GATE_WORKLOAD as string[]), ...extra, '--out', out, '--run-id', runId, '--', '--quiet']);
    if (r.code !== 0) throw new Error(`${runId} exited ${r.code}: ${r.out.slice(-2000)}`);
    return JSON.parse(readFileSync(join(out, runId, 'summary.json'), 'utf8')) as RunSummary;
  };
  const [one, two] = await Promise.all([run('one', []), run('two', ['--instances', '2'])]);
  // Execution segments split the VUs: every guest journey ran exactly once across the two.
  assert.equal(two.journeys.count, one.journeys.count);
  assert.equal(two.endpoints['call_join']?.requests, one.endpoints['call_join']?.requests);
  assert.equal(two.verdict, 'pass');
  // The conversations talkload made itself for both processes are rows of the merged summary too.
  for (const id of ['room_create', 'room_add_participant', 'room_delete']) {
    assert.equal(two.endpoints[id]?.requests, one.endpoints[id]?.requests, `${id}: ${JSON.stringify(two.endpoints[id])}`);
  }
  assert.ok(two.thresholds.length > 20, 'thresholds judged on the merged samples');
  // The simulator's service time dominates these latencies. Medians, not p95s: with 20-odd requests
  // an endpoint's p95 is its one or two slowest, which a scheduler hiccup moves by half.
  for (const id of ['call_join', 'call_flags', 'call_peers', 'room_join'] as const) {
    const a = one.endpoints[id]!.latencyMs;
    const b = two.endpoints[id]!.latencyMs;
    assert.ok(Math.abs(b.p50 - a.p50) <= Math.max(0.25 * a.p50, 3), `${id} p50: one instance ${a.p50} ms, two ${b.p50} ms`);
    assert.ok(b.p50 <= b.p95 && b.p95 <= b.p99 && b.p99 <= b.max, `${id}: merged quantiles in order ${JSON.stringify(b)}`);
  }
});
