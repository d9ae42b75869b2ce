// `talkload run --instances 2`: two k6 processes split the load with execution segments and the
// results merge from raw samples. Same seeded load once with one process, once with two.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs module shared with scripts/gate-job.mjs
import { GATE_WORKLOAD } from '../../../scripts/gate-workload.mjs';
import type { RunSummary } from './results.ts';

const BIN = fileURLToPath(new URL('../../../bin/talkload.mjs', import.meta.url));

test('two instances: the same journeys once each, merged p95 within 25 % of one instance', { timeout: 300_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'talkload-inst-'));
  const run = (runId: string, extra: string[]): RunSummary => {
    const r = spawnSync(process.execPath, [BIN, 'run', ...(GATE_WORKLOAD as string[]), ...extra, '--out', out, '--run-id', runId, '--', '--quiet'], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stdout.slice(-2000) + r.stderr);
    return JSON.parse(readFileSync(join(out, runId, 'summary.json'), 'utf8')) as RunSummary;
  };
  const one = run('one', []);
  const two = run('two', ['--instances', '2']);
  // Execution segments split the VUs: every guest journey ran exactly once across the two.
  assert.equal(two.journeys.count, one.journeys.count);
  assert.equal(two.endpoints['call_join']?.requests, one.endpoints['call_join']?.requests);
  assert.equal(two.verdict, 'pass');
  assert.ok(two.thresholds.length > 20, 'thresholds judged on the merged samples');
  // The simulator's service time dominates these latencies; 25 % covers the run-to-run noise seen.
  for (const id of ['call_join', 'call_flags', 'call_peers', 'room_join'] as const) {
    const a = one.endpoints[id]!.latencyMs.p95;
    const b = two.endpoints[id]!.latencyMs.p95;
    assert.ok(Math.abs(b - a) / a <= 0.25, `${id} p95: one instance ${a} ms, two ${b} ms`);
  }
});
