// Issue 24 in real k6 against the simulator: no request storms from failing guests, --chaos that
// passes on a healthy server, a vanished guest as one finding, an unreadable peer list as bad_body,
// and a connection closed without an answer labelled `reset`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TALKLOAD_BIN, talkloadAsync } from '../testing/talkload.ts';
import type { CompareReport } from '../compare/command.ts';
import { TalkSimulator } from '../simulator/server.ts';
import { findK6, projectRoot } from './k6-binary.ts';
import { aggregateSamples, endpointSummaries, type RunSummary } from './results.ts';

const OUT = mkdtempSync(join(tmpdir(), 'talkload-trust-'));
after(() => rmSync(OUT, { recursive: true, force: true }));

const summaryOf = (runId: string): RunSummary => JSON.parse(readFileSync(join(OUT, runId, 'summary.json'), 'utf8')) as RunSummary;

/** The README's bound: a failed guest waits at least 1 s before its next journey. */
const MAX_JOINS_PER_GUEST_SECOND = 1;
const MAX_REQUESTS_PER_GUEST_SECOND = 6;

/** k6 itself on the bundle, so that the HPB step fails as it did before talkload checked the mode. */
function k6Direct(target: string, env: Record<string, string>, csv: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(findK6().path, ['run', '--quiet', '--out', `csv=${csv}`, join(projectRoot(), 'dist', 'k6', 'guest-call.js')], {
      stdio: 'ignore',
      env: { ...process.env, K6_NO_USAGE_REPORT: 'true', TALK_TARGET: target, TALK_MODERATOR: 'false', TALK_USER: 'admin', TALK_PASSWORD: 'admin', TALK_RUN_ID: 'storm', ...env },
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve(code);
    });
  });
}

// Independent runs, each with its own simulator: side by side, so the file costs the longest one.
describe('trustworthy runs', { concurrency: true }, () => {
  test('every HPB step failing (HPB mode forced on internal signaling, straight in k6): no storm, every joined guest leaves', { timeout: 120_000 }, async () => {
    const sim = new TalkSimulator({ settings: { bruteForce: 'off' } });
    const url = await sim.listen(0, '127.0.0.1');
    try {
      const guests = 4;
      const seconds = 8;
      const csv = join(OUT, 'storm.csv.gz');
      await k6Direct(url, { TALK_SIGNALING: 'hpb', TALK_PROFILE: 'smoke', TALK_GUESTS: String(guests), TALK_DURATION: `${seconds}s`, TALK_STAY: '5s' }, csv);
      const e = endpointSummaries(await aggregateSamples([csv]));
      const joins = e['room_join']?.requests ?? 0;
      // The guests' requests: all but setup() and teardown().
      const setup = ['room_create', 'room_delete', 'room_add_participant'].reduce((n, id) => n + (e[id]?.requests ?? 0), 0);
      const all = Object.values(e).reduce((n, x) => n + x.requests, 0) - setup;
      // Before: 4 guests made 1,453 joins in 5 s (72 per guest per second).
      assert.ok(joins >= guests, `guests did try (${joins} joins)`);
      assert.ok(joins <= guests * seconds * MAX_JOINS_PER_GUEST_SECOND, `${joins} room joins from ${guests} guests in ${seconds} s`);
      assert.ok(all <= guests * seconds * MAX_REQUESTS_PER_GUEST_SECOND, `${all} requests from ${guests} guests in ${seconds} s`);
      // A guest whose HPB step failed leaves the conversation it joined.
      assert.equal(e['room_leave']?.requests ?? 0, joins, 'one leave per join');
    } finally {
      await sim.close();
    }
  });

  test('room_join=reset: bounded joins, and the errors are labelled reset', { timeout: 120_000 }, async () => {
    const r = await talkloadAsync(['run', '--profile', 'smoke', '--guests', '4', '--duration', '8s', '--stay', '5s', '--sim-fault', 'room_join=reset', '--out', OUT, '--run-id', 'reset', '--', '--quiet']);
    assert.equal(r.code, 99, r.out.slice(-2000));
    const s = summaryOf('reset');
    const joins = s.endpoints['room_join']!;
    assert.deepEqual(Object.keys(joins.statuses), ['reset'], JSON.stringify(joins.statuses));
    assert.ok(joins.requests <= 4 * 8 * MAX_JOINS_PER_GUEST_SECOND, `${joins.requests} joins`);
  });

  test('--chaos smoke on a healthy Talk 19 simulator passes: evicted guests are out of the call until they rejoin', { timeout: 150_000 }, async () => {
    const r = await talkloadAsync(['run', '--profile', 'smoke', '--chaos', '--sim-compat', 'talk19', '--duration', '24s', '--stay', '16s', '--peers-every', '2s', '--flags-every', '3s', '--seed', '7', '--out', OUT, '--run-id', 'chaos', '--', '--quiet']);
    assert.equal(r.code, 0, r.out.split('\n').filter((l) => /threshold broken|unexpected|own session/.test(l)).join('\n') || r.out.slice(-2000));
    const s = summaryOf('chaos');
    assert.equal(s.journeys.selfListedRate, 1);
    for (const [id, e] of Object.entries(s.endpoints)) assert.equal(e.unexpected, 0, id);
    // The lobby and read-only did take guests out of the call (else this test proves nothing).
    const evictions = Object.values(s.journeys.evictions ?? {}).reduce((a, b) => a + b, 0);
    assert.ok(evictions > 0, `guests were evicted: ${JSON.stringify(s.journeys.evictions)}`);
    assert.ok((s.endpoints['call_join']?.requests ?? 0) > (s.endpoints['room_join']?.requests ?? 0), 'evicted guests joined the call again');
  });

  test('a guest removed right after its join: one finding with its count and step, not unexpected statuses', { timeout: 120_000 }, async () => {
    const r = await talkloadAsync(['run', '--profile', 'smoke', '--guests', '4', '--duration', '8s', '--stay', '4s', '--sim-fault', 'guest_name=vanish@50', '--seed', '3', '--out', OUT, '--run-id', 'vanish', '--', '--quiet']);
    assert.equal(r.code, 99, r.out.slice(-2000));
    const s = summaryOf('vanish');
    const v = s.journeys.guestsVanished;
    assert.ok(v && v.count >= 1, JSON.stringify(s.journeys));
    assert.deepEqual(Object.keys(v.byStep), ['guest_name']);
    assert.equal(s.endpoints['guest_name']?.unexpected, 0, 'the 404 is the finding');
    for (const id of ['call_join', 'call_peers', 'signaling_poll', 'call_leave', 'room_leave']) assert.equal(s.endpoints[id]?.statuses['404'] ?? 0, 0, `no 404 on ${id}: the vanished guest stopped`);
    assert.match(r.out, /^guest's session vanished right after joining: \d+ guests? \(first \d+ s into the run; seen on guest_name×\d+\)/m);
    assert.ok(s.thresholds.some((t) => t.metric === 'talk_guest_vanished' && !t.ok));
    assert.match(readFileSync(join(OUT, 'vanish', 'summary.md'), 'utf8'), /## Findings\n\n- guest's session vanished right after joining/);
  });

  test('a garbled GET /call body is bad_body on call_peers, not a guest missing from its call', { timeout: 120_000 }, async () => {
    const r = await talkloadAsync(['run', '--profile', 'smoke', '--guests', '3', '--duration', '8s', '--stay', '5s', '--peers-every', '1s', '--sim-fault', 'call_peers=badjson@50', '--seed', '5', '--out', OUT, '--run-id', 'badpeers', '--', '--quiet']);
    assert.equal(r.code, 99, r.out.slice(-2000));
    const s = summaryOf('badpeers');
    assert.ok((s.endpoints['call_peers']?.unexpectedStatuses['bad_body'] ?? 0) > 0, JSON.stringify(s.endpoints['call_peers']));
    assert.equal(s.journeys.selfListedRate, 1, 'only readable lists are looked at for the guest');
  });

  test('a Talk with an HPB whose room creation answers 500: k6 stops in setup() and its code 107 is passed on; a line names the likely cause', { timeout: 120_000 }, async () => {
    const r = await talkloadAsync(['run', '--sim-signaling', 'external', '--sim-fault', 'room_create=error:500', '--duration', '5s', '--out', OUT, '--run-id', 'hpb500', '--', '--quiet']);
    assert.equal(r.code, 107, r.out.slice(-2000));
    assert.match(r.out, /^room_create answered 500: with an HPB, a 500 here is usually Talk's request to the HPB failing: check Talk's own URL as the HPB sees it/m);
    assert.match(r.out, /^talkload run: k6 exited with 107 \(k6: script exception: setup\(\) or a VU threw/m);
  });

  test('a spike run says how many guests it reaches at its peak, not the --guests default', { timeout: 120_000 }, async () => {
    const r = await talkloadAsync(['run', '--profile', 'spike', '--join-rate', '2', '--duration', '6s', '--stay', '2s', '--no-moderator', '--out', OUT, '--run-id', 'spike', '--', '--quiet']);
    assert.ok(r.code === 0 || r.code === 99, r.out.slice(-2000));
    const s = summaryOf('spike');
    assert.match(r.out, new RegExp(`^talkload: run spike: guest-call/spike, up to ${s.load['peakGuests'] ?? s.load['guests']} guests at once \\(2 joins/s at the peak\\)`, 'm'));
    assert.doesNotMatch(r.out, /spike, 4 guests/);
  });

  // Against a real Nextcloud with Talk when one is named (skipped otherwise): TALKLOAD_TEST_TARGET,
  // TALKLOAD_TEST_USER, TALKLOAD_TEST_PASSWORD_FILE, and TALKLOAD_TEST_RING_USER if it has a second user.
  const real = process.env['TALKLOAD_TEST_TARGET'];
  test('--chaos smoke passes against the real server named by TALKLOAD_TEST_TARGET', { timeout: 240_000, skip: real ? false : 'no TALKLOAD_TEST_TARGET (a real Nextcloud with Talk; see docs/development.md)' }, async () => {
    const host = new URL(real!).hostname;
    const ring = process.env['TALKLOAD_TEST_RING_USER'];
    const r = await talkloadAsync(['run', '--target', real!, '--allow-target', host, '--user', process.env['TALKLOAD_TEST_USER'] ?? 'admin', '--password-file', process.env['TALKLOAD_TEST_PASSWORD_FILE'] ?? '', ...(ring ? ['--ring-user', ring] : []), '--profile', 'smoke', '--chaos', '--duration', '30s', '--out', OUT, '--run-id', 'real-chaos', '--', '--quiet'], 230_000);
    assert.equal(r.code, 0, r.out.split('\n').filter((l) => /threshold broken|unexpected|own session|vanished/.test(l)).join('\n') || r.out.slice(-2000));
  });

  test("the README's pull-request example, A/A on two servers given as URLs: passes, and judges no ring it cannot make", { timeout: 300_000 }, async () => {
    // Two identical Talk servers (simulators here, each in its own process as a server would be);
    // the example's flags, with shorter rounds to keep the suite short.
    const servers = await Promise.all([startSim(), startSim()]);
    try {
      const pw = join(OUT, 'admin-pw');
      writeFileSync(pw, 'admin\n');
      const r = await talkloadAsync(['compare', '--a', servers[0]!.url, '--b', servers[1]!.url, '--user', 'admin', '--password-file', pw, '--rounds', '4', '--duration', '3s', '--stay', '2s', '--out', OUT, '--run-id', 'readme-pr']);
      assert.equal(r.code, 0, r.out.split('\n').filter((l) => l.startsWith('compare: FAIL')).join('\n') || r.out.slice(-1500));
      const report = JSON.parse(readFileSync(join(OUT, 'readme-pr', 'compare.json'), 'utf8')) as CompareReport;
      assert.ok(!report.budgets.some((c) => c.endpoint === 'call_ring'), 'no ring user: rings are not judged');
      assert.ok(!report.budgets.some((c) => c.check === 'p95' || c.check === 'p99'), 'a URL target has no fixed latency budgets');
    } finally {
      for (const s of servers) s.stop();
    }
  });

  /** `talkload sim` as a process of its own on a free port; resolves with its URL. */
  function startSim(): Promise<{ url: string; stop: () => void }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [TALKLOAD_BIN, 'sim', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const killer = setTimeout(() => child.kill('SIGKILL'), 280_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve({ url: m[1]!, stop: () => (clearTimeout(killer), child.kill('SIGTERM')) });
      });
      child.on('exit', () => reject(new Error(`talkload sim exited: ${out}`)));
    });
  }
});
