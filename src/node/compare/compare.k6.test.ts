// `talkload compare` in real k6 against two embedded simulators, beside a CPU hog (four bounded busy
// loops on the two cores, as a busy CI runner): a healthy A/B passes, and a B with a slower
// call_join, errors on call_flags and an unexpected status on call_peers fails naming each.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TALKLOAD_BIN, talkloadAsync } from '../testing/talkload.ts';
import { startCpuHog, stopCpuHog } from '../testing/cpu-hog.ts';
import type { CompareReport } from './command.ts';
// @ts-expect-error -- a plain .mjs module shared with scripts/gate-job.mjs
import { GATE_COMPARE } from '../../../scripts/gate-workload.mjs';

const OUT = mkdtempSync(join(tmpdir(), 'talkload-compare-'));

let hog: ChildProcess[] = [];
before(() => {
  // Bounded: each loop ends by itself after 6 minutes or with this process, and is killed when the file is done.
  hog = startCpuHog(4, 360_000);
});
after(() => stopCpuHog(hog));

const compare = (args: string[]): Promise<{ code: number | null; out: string }> => talkloadAsync(['compare', ...args], 280_000);

test('A/A with the settings of npm run gate, beside a CPU hog: no regression, exit 0, reports written', { timeout: 300_000 }, async () => {
  const r = await compare(['--a', 'sim', '--b', 'sim', ...(GATE_COMPARE as string[]), '--out', OUT, '--run-id', 'same']);
  assert.equal(r.code, 0, r.out.split('\n').filter((l) => l.startsWith('compare: FAIL')).join('\n') || r.out.slice(-1500));
  const report = JSON.parse(readFileSync(join(OUT, 'same', 'compare.json'), 'utf8')) as CompareReport;
  assert.equal(report.verdict, 'pass');
  assert.equal(report.order, '(AB)'.repeat(6));
  assert.ok(report.comparisons.some((c) => c.endpoint === 'call_join' && c.measure === 'median'), 'call_join median judged');
  assert.match(readFileSync(join(OUT, 'same', 'compare.md'), 'utf8'), /^### talkload compare: PASS/);
});

// Six pairs of rounds, as npm run gate: with four, the bound is the smallest pair difference, and
// one pair that a busy moment turned around hides a 30 % slowdown (seen here).
test('B slower on call_join, failing call_flags, a 418 on call_peers, beside a CPU hog: each named, exit 99', { timeout: 300_000 }, async () => {
  const faults = ['--b-sim-fault', 'call_join=delay:10', '--b-sim-fault', 'call_flags=error:500@30', '--b-sim-fault', 'call_peers=error:418@10'];
  const r = await compare(['--a', 'sim', '--b', 'sim', ...faults, ...(GATE_COMPARE as string[]), '--out', OUT, '--run-id', 'worse']);
  assert.equal(r.code, 99, r.out.slice(-2000));
  assert.match(r.out, /^compare: FAIL call_join median: median [\d.]+ ms vs [\d.]+ ms: \+/m);
  assert.match(r.out, /^compare: FAIL call_flags error-rate: error rate [\d.]+ % of \d+ vs 0\.00 % of \d+/m);
  assert.match(r.out, /^compare: FAIL call_peers unexpected: B answered 418×\d+ unexpectedly; A never did$/m);
  assert.match(readFileSync(join(OUT, 'worse', 'compare-junit.xml'), 'utf8'), /classname="talkload.compare.call_join" name="median"><failure message=/);
});

test('compare usage errors: one line, exit 2', async () => {
  const pw = join(OUT, 'pw');
  writeFileSync(pw, 'secret\n');
  const cases: [string[], RegExp][] = [
    [['--b', 'sim'], /^talkload compare: --a is missing: give a Nextcloud base URL or "sim"\n$/],
    [['--a', 'http://127.0.0.1:9', '--b', 'http://127.0.0.1:9/', '--user', 'u'], /^talkload compare: --a and --b are the same target \(http:\/\/127\.0\.0\.1:9\): compare two servers\n$/],
    [['--a', 'sim', '--b', 'sim', '--rounds', '3'], /^talkload compare: --rounds must be a whole number from 4 to 100, got "3"\n$/],
    [['--a', 'sim', '--b', 'sim', '--b-sim-fault', 'call_join=boom'], /unknown fault "boom"/],
  ];
  for (const [args, message] of cases) {
    const r = await compare([...args, '--out', OUT]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}`);
    assert.match(r.out, message);
    assert.equal(r.out.trim().split('\n').length, 1, r.out);
  }
});

test('Ctrl-C to the process group during a round: the round stops cleanly, no verdict, exit 105', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [TALKLOAD_BIN, 'compare', '--a', 'sim', '--b', 'sim', ...(GATE_COMPARE as string[]), '--duration', '30s', '--out', OUT, '--run-id', 'stopped'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 100_000);
  try {
    const until = Date.now() + 30_000;
    while (!out.includes('rounds each') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 5000)); // inside the first pair of rounds
    process.kill(-child.pid!, 'SIGINT');
    assert.equal(await exited, 105, out);
    assert.match(out, /^talkload compare: interrupted in round 0[12]-[AB]; the rounds so far are in .*; no pair of rounds was complete, nothing compared/m);
    assert.doesNotMatch(out, /talkload compare: (PASS|FAIL)/);
    // The reports say it was interrupted and what was compared (nothing, in the first pair).
    const report = JSON.parse(readFileSync(join(OUT, 'stopped', 'compare.json'), 'utf8')) as CompareReport;
    assert.deepEqual(report.interrupted, { pairsDone: 0 });
    assert.match(readFileSync(join(OUT, 'stopped', 'compare.md'), 'utf8'), /^### talkload compare: INTERRUPTED after 0 of 6 pairs of rounds/);
    assert.match(readFileSync(join(OUT, 'stopped', 'compare-junit.xml'), 'utf8'), /name="complete"><failure message="interrupted/);
  } finally {
    clearTimeout(killer);
  }
});

test('HPB mode: a B whose HPB fans events out 100 ms later regresses on propagation, named per step', { timeout: 300_000 }, async () => {
  const r = await compare(['--a', 'sim', '--b', 'sim', '--sim-signaling', 'external', '--b-sim-hpb-fault', 'fanout-delay:100', '--rounds', '4', '--schedule', 'together', '--no-moderator', '--out', OUT, '--run-id', 'hpb']);
  assert.equal(r.code, 99, r.out.slice(-2000));
  const report = JSON.parse(readFileSync(join(OUT, 'hpb', 'compare.json'), 'utf8')) as CompareReport;
  const regressed = report.comparisons.filter((c) => c.verdict === 'regressed').map((c) => `${c.endpoint} ${c.measure}`);
  assert.ok(regressed.includes('hpb_flags_propagation median'), regressed.join(', '));
  assert.ok(regressed.includes('hpb_call_join_propagation median'), regressed.join(', '));
  // Hello and room join do not go through the fan-out: not regressed.
  assert.ok(!regressed.some((c) => c.startsWith('hpb_hello') || c.startsWith('hpb_room_join')), regressed.join(', '));
  assert.match(r.out, /compare: FAIL hpb_flags_propagation median/);
});
