// The k6 tier in HPB mode: the bundled guest journey in real k6, over WebSockets to the HPB emulator
// beside the simulator (`talkload run --sim-signaling external`), healthy and with each fault, side
// by side in one go (each run has its own simulator and emulator). With HPB_BIN the healthy journey
// also runs unchanged against that real signaling server.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { talkloadAsync } from '../testing/talkload.ts';
import type { RunSummary } from '../run/results.ts';
import { HPB_BIN } from './testing.ts';
import { startRealHpb } from './real-server.ts';
import { freePort } from '../stack/prometheus.ts';

const out = mkdtempSync(join(tmpdir(), 'talkload-hpb-run-'));
const summary = (runId: string): RunSummary => JSON.parse(readFileSync(join(out, runId, 'summary.json'), 'utf8')) as RunSummary;
const summaryMd = (runId: string): string => readFileSync(join(out, runId, 'summary.md'), 'utf8');
const broken = (s: RunSummary): string[] => s.thresholds.filter((t) => !t.ok).map((t) => `${t.metric} ${t.expression}`);

/** The same small workload for every case; `stay` beyond 30 s where the ping path is the point. */
const run = (runId: string, stay: string, extra: string[]) =>
  talkloadAsync(['run', '--sim-signaling', 'external', '--guests', '3', '--call-size', '3', '--duration', stay === '33s' ? '36s' : '14s', '--stay', stay, '--flags-every', '3s', '--peers-every', '2s', '--no-moderator', '--seed', '7', '--out', out, '--run-id', runId, ...extra], 200_000);

test('HPB mode: healthy run passes with the pings proven; each fault fails the run naming its step', { timeout: 240_000 }, async () => {
  const [healthy, noPings, slowFanout, closes, backendErrors, noWelcome] = await Promise.all([
    run('healthy', '33s', []),
    run('drop-pings', '33s', ['--sim-hpb-fault', 'drop-pings']),
    run('fanout-delay', '10s', ['--sim-hpb-fault', 'fanout-delay:1500']),
    run('close', '10s', ['--sim-hpb-fault', 'close:3000']),
    run('backend-errors', '10s', ['--sim-fault', 'signaling_backend=error:500']),
    run('no-welcome', '10s', ['--sim-hpb-fault', 'no-welcome']),
  ]);

  // Healthy: every guest through the HPB, listed in every peer poll over a 33 s stay (pings reach Talk).
  assert.equal(healthy.code, 0, healthy.out.slice(-3000));
  const h = summary('healthy');
  assert.ok(h.hpb, 'summary.json has the HPB block');
  assert.equal(h.hpb.sessions, h.journeys.count);
  assert.equal(h.hpb.unexpected, 0);
  assert.deepEqual(h.hpb.unexpectedCloses, {});
  assert.equal(h.hpb.generatorLate, undefined, 'an idle generator is never late');
  assert.equal(h.hpb.welcomeMissing, undefined, 'every welcome reached the guests');
  assert.ok(h.hpb.helloSentAfterConnectMs && h.hpb.helloSentAfterConnectMs.max < 2000, JSON.stringify(h.hpb.helloSentAfterConnectMs));
  assert.ok(h.hpb.connectMs && h.hpb.connectMs.max > 0 && h.hpb.connectMs.max < 2000, JSON.stringify(h.hpb.connectMs));
  assert.match(summaryMd('healthy'), /\| connect \(TCP and upgrade\) \|/);
  assert.ok(h.hpb.callJoinPropagationMs && h.hpb.callJoinPropagationMs.p95 < 1000);
  assert.ok(h.hpb.flagsPropagationMs && h.hpb.flagsPropagationMs.p50 > 0);
  assert.equal(h.journeys.selfListedRate, 1);
  assert.equal(h.endpoints['signaling_poll'], undefined, 'no internal signaling in HPB mode');
  assert.match(summaryMd('healthy'), /## HPB \(external signaling\)/);

  // The HPB stops pinging: after 30 s the guests vanish from GET /call.
  assert.equal(noPings.code, 99, noPings.out.slice(-2000));
  const p = summary('drop-pings');
  assert.ok(p.journeys.selfListedRate !== null && p.journeys.selfListedRate < 0.99);
  assert.ok(broken(p).includes('talk_self_listed rate>=0.99'), broken(p).join(', '));

  // Slow fan-out: propagation breaks its budget.
  assert.equal(slowFanout.code, 99, slowFanout.out.slice(-2000));
  const f = summary('fanout-delay');
  assert.ok(f.hpb!.callJoinPropagationMs!.p50 >= 1500, JSON.stringify(f.hpb));
  assert.ok(broken(f).some((t) => t.startsWith('talk_hpb_call_join_propagation p(95)')), broken(f).join(', '));

  // The HPB drops the connections: unexpected closes, by code.
  assert.equal(closes.code, 99, closes.out.slice(-2000));
  const c = summary('close');
  assert.ok((c.hpb!.unexpectedCloses['1006'] ?? 0) > 0, JSON.stringify(c.hpb));
  assert.ok(c.hpb!.unexpectedByStep['connect'], JSON.stringify(c.hpb));
  assert.ok(broken(c).includes('talk_hpb_unexpected_closes count==0'), broken(c).join(', '));

  // Talk's backend answers errors: the HPB cannot authenticate or join; the step is named.
  assert.equal(backendErrors.code, 99, backendErrors.out.slice(-2000));
  const b = summary('backend-errors');
  assert.ok(b.hpb!.unexpected > 0, JSON.stringify(b.hpb));
  assert.ok(Object.keys(b.hpb!.unexpectedByStep).some((step) => step === 'room' || step === 'hello'), JSON.stringify(b.hpb));
  assert.match(readFileSync(join(out, 'backend-errors', 'junit.xml'), 'utf8'), /classname="talkload.hpb_(room|hello)"/);

  // No welcome: the guests still get in (hello v1 after a second, within the HPB's 2 s limit, as
  // the web client falls back after its wait), and the run fails naming the missing welcomes.
  assert.equal(noWelcome.code, 99, noWelcome.out.slice(-2000));
  const w = summary('no-welcome');
  assert.equal(w.hpb!.welcomeMissing, w.hpb!.sessions, JSON.stringify(w.hpb));
  assert.equal(w.hpb!.unexpected, 0, JSON.stringify(w.hpb!.unexpectedByStep));
  assert.ok(w.hpb!.helloSentAfterConnectMs!.p50 >= 1000 && w.hpb!.helloSentAfterConnectMs!.max < 2000, JSON.stringify(w.hpb!.helloSentAfterConnectMs));
  assert.equal(w.journeys.successRate, 1);
  assert.deepEqual(broken(w), ['talk_hpb_welcome_missing rate<0.05']);
  assert.match(summaryMd('no-welcome'), /no welcome from the HPB on \d+ of \d+ WebSockets within 1 s of opening/);
});


test('HPB mode against a real signaling server (HPB_BIN)', { skip: HPB_BIN ? false : 'HPB_BIN not set: the journey ran against the emulator only', timeout: 200_000 }, async () => {
  // The simulator must listen where the HPB's config says: a fixed free port for both.
  const [simPort, hpbPort] = [await freePort(), await freePort()];
  const secret = 'a-secret-shared-with-the-real-hpb';
  const dir = mkdtempSync(join(tmpdir(), 'talkload-realhpb-'));
  writeFileSync(join(dir, 'secret'), secret);
  // Up before the run starts the simulator: the HPB asks its backend only when a guest says hello.
  const hpb = await startRealHpb(HPB_BIN, { port: hpbPort, backendUrl: `http://127.0.0.1:${simPort}`, secret });
  try {
    const r = await talkloadAsync(['run', '--sim-port', String(simPort), '--hpb', `http://127.0.0.1:${hpbPort}`, '--hpb-secret-file', join(dir, 'secret'), '--guests', '3', '--call-size', '3', '--duration', '36s', '--stay', '33s', '--flags-every', '3s', '--no-moderator', '--out', out, '--run-id', 'real-hpb'], 200_000);
    assert.equal(r.code, 0, r.out.slice(-3000));
    const s = summary('real-hpb');
    assert.equal(s.hpb?.unexpected, 0);
    assert.equal(s.journeys.selfListedRate, 1, 'the real HPB pinged the guests through a 33 s stay');
  } finally {
    hpb.stop();
  }
});
