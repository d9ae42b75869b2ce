// The stored-baseline gate's self-test (`talkload gate`, `npm run gate -- --stored`), in real k6
// against the simulator with its fixed workload: healthy runs pass against each other (noise
// only), and each injected regression fails, naming the endpoint and the budget it broke. The A/B
// form is tested in src/node/compare/. Compared runs run side by side, at the same
// time, each with its own simulator: a busy CI runner slows both alike, where a baseline from
// another minute would make a busy neighbour look like a regression (or hide one).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TALKLOAD_BIN, talkloadAsync } from '../testing/talkload.ts';
// @ts-expect-error -- a plain .mjs module shared with scripts/gate-job.mjs
import { GATE_WORKLOAD } from '../../../scripts/gate-workload.mjs';

const OUT = mkdtempSync(join(tmpdir(), 'talkload-gate-'));

function talkload(args: string[]): { code: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [TALKLOAD_BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout + r.stderr };
}

/** One run of the gate's workload; resolves when it has ended (exit 0, or 99 for a fault). */
async function runWorkload(runId: string, extra: string[] = []): Promise<void> {
  const r = await talkloadAsync(['run', ...(GATE_WORKLOAD as string[]), ...extra, '--out', OUT, '--run-id', runId, '--', '--quiet']);
  if (r.code !== 0 && r.code !== 99) throw new Error(`run ${runId} exited ${r.code}:\n${r.out.slice(-2000)}`);
}

function baseline(runId: string): string {
  const file = join(OUT, `baseline-${runId}.json`);
  const r = talkload(['baseline', 'accept', join(OUT, runId), '--out', file]);
  assert.equal(r.code, 0, r.stdout);
  return file;
}

test('noise only: two healthy runs side by side pass against each other as baseline, both ways', { timeout: 300_000 }, async () => {
  await Promise.all([runWorkload('h1'), runWorkload('h2')]);
  for (const [id, base] of [['h1', 'h2'], ['h2', 'h1']] as const) {
    const r = talkload(['gate', join(OUT, id), '--baseline', baseline(base)]);
    assert.equal(r.code, 0, `${id} against ${base}:\n${r.stdout.split('\n').filter((l) => l.startsWith('gate: FAIL')).join('\n')}`);
  }
});

// All four injected at once into one run, beside its healthy twin: each must be named on its own.
const REGRESSIONS: [fault: string, what: string, message: RegExp][] = [
  ['call_join=delay:20', 'added latency on call_join (about 60 %)', /^gate: FAIL call_join regression-p50: /m],
  ['call_flags=error:500@30', 'an error rate on call_flags', /^gate: FAIL call_flags error-rate: error rate \d+\.\d+ % \(budget 1\.00 %\)$/m],
  ['call_peers=error:418@10', 'an unexpected status on call_peers', /^gate: FAIL call_peers unexpected: \d+ unexpected \(418×\d+\) \(allowed 0\)$/m],
  ['signaling_poll=error:429@20', 'throttling on the signaling poll', /^gate: FAIL signaling_poll throttled: 0 throttled, \d+×429 \(allowed 0\)$/m],
];

test('regressions against a healthy twin: the gate fails and names each endpoint and budget', { timeout: 300_000 }, async (t) => {
  await Promise.all([runWorkload('twin'), runWorkload('faulty', REGRESSIONS.flatMap(([fault]) => ['--sim-fault', fault]))]);
  const r = talkload(['gate', join(OUT, 'faulty'), '--baseline', baseline('twin')]);
  assert.equal(r.code, 99, r.stdout.slice(-1500));
  for (const [, what, message] of REGRESSIONS) {
    await t.test(what, () => assert.match(r.stdout, message));
  }
  const gate = JSON.parse(readFileSync(join(OUT, 'faulty', 'gate.json'), 'utf8')) as { verdict: string };
  assert.equal(gate.verdict, 'fail');
  assert.match(readFileSync(join(OUT, 'faulty', 'gate-junit.xml'), 'utf8'), /<failure message=/);
  assert.match(readFileSync(join(OUT, 'faulty', 'gate.md'), 'utf8'), /### talkload gate: FAIL/);
});
