// The k6 tier: the bundled scenario in real k6 against the simulator, through `talkload run`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { CALL_ENDPOINT_IDS } from '../../shared/endpoints.ts';
import { TalkSimulator } from '../simulator/server.ts';
import type { RunSummary } from './results.ts';

const BIN = fileURLToPath(new URL('../../../bin/talkload.mjs', import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function talkload(args: string[], opts: { interruptAfterMs?: number; onStdout?: (s: string) => void } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Bounded: no test run may outlive this.
    const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    if (opts.interruptAfterMs) setTimeout(() => child.kill('SIGINT'), opts.interruptAfterMs);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

const readSummary = (dir: string, runId: string): RunSummary => JSON.parse(readFileSync(join(dir, runId, 'summary.json'), 'utf8')) as RunSummary;

test('healthy simulator: exit 0, every call endpoint and the long-poll used, guests listed for a stay beyond 30 s', { timeout: 240_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
  // A 33 s stay: a guest is listed by GET /call only while its long-poll keeps pinging.
  const r = await talkload(['run', '--profile', 'smoke', '--guests', '3', '--duration', '34s', '--stay', '33s', '--out', out, '--run-id', 'healthy']);
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  const s = readSummary(out, 'healthy');
  assert.equal(s.verdict, 'pass');
  for (const id of [...CALL_ENDPOINT_IDS, 'signaling_poll'] as const) {
    assert.ok((s.endpoints[id]?.requests ?? 0) > 0, `${id} was requested`);
  }
  for (const [id, e] of Object.entries(s.endpoints)) assert.equal(e.unexpected, 0, `${id} unexpected statuses`);
  assert.equal(s.journeys.selfListedRate, 1);
  assert.ok(s.journeys.count >= 3);
  assert.ok((s.endpoints['call_peers']?.requests ?? 0) >= 3 * 6, 'peers polled through the whole stay');
  for (const f of ['summary.md', 'junit.xml', 'report.html', 'k6-summary.json', 'samples.csv.gz']) assert.ok(existsSync(join(out, 'healthy', f)), f);
  assert.match(r.stdout, /talkload: PASS\. Results in .*healthy\//);
});

test('--chat: each guest keeps the chat long-poll open and posts; the others receive', { timeout: 240_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
  const r = await talkload(['run', '--guests', '3', '--call-size', '3', '--duration', '12s', '--stay', '10s', '--chat', '--chat-every', '2s', '--no-moderator', '--out', out, '--run-id', 'chat']);
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  const s = readSummary(out, 'chat');
  const sent = s.endpoints['chat_send'];
  const received = s.endpoints['chat_receive'];
  assert.ok((sent?.statuses['201'] ?? 0) >= 3 * 3, `every guest posted: ${JSON.stringify(sent?.statuses)}`);
  // Long-polls that returned with messages from the other guests (200), not only timeouts (304).
  assert.ok((received?.statuses['200'] ?? 0) >= 3 * 2, `messages received: ${JSON.stringify(received?.statuses)}`);
  for (const [id, e] of Object.entries(s.endpoints)) assert.equal(e.unexpected, 0, `${id} unexpected statuses`);
  assert.deepEqual(s.load['chat'], true);
});

test('--chat with nobody posting: each chat poll is held only as long as the stay has left, never the full 30 s', { timeout: 240_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
  const r = await talkload(['run', '--guests', '1', '--duration', '10s', '--stay', '9s', '--chat', '--chat-every', '1m', '--no-moderator', '--out', out, '--run-id', 'quiet-chat']);
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  const received = readSummary(out, 'quiet-chat').endpoints['chat_receive'];
  // The history holds Talk's system messages (200); the held polls, with nobody posting, end in 304.
  assert.ok((received?.statuses['304'] ?? 0) >= 1 && (received?.statuses['200'] ?? 0) >= 1, `history 200 and held polls 304: ${JSON.stringify(received?.statuses)}`);
  // The stay is 9 s ±20 % (at most 10.8 s): a poll held for what the stay has left ends before 12 s.
  assert.ok((received?.latencyMs.max ?? Infinity) < 12_000, `longest chat poll ${received?.latencyMs.max} ms`);
});

test('faults on call_flags: exit 99 and the endpoint is named', { timeout: 240_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
  const r = await talkload(['run', '--guests', '2', '--duration', '8s', '--stay', '6s', '--flags-every', '2s', '--no-moderator', '--sim-fault', 'call_flags=error:500', '--out', out, '--run-id', 'faulty']);
  assert.equal(r.code, 99, r.stdout.slice(-2000) + r.stderr);
  assert.match(r.stdout, /threshold broken: \[call_flags\] http_req_failed\{name:call_flags\} rate<0\.01/);
  assert.match(r.stdout, /unexpected statuses on call_flags: 500×\d+/);
  const s = readSummary(out, 'faulty');
  assert.equal(s.verdict, 'fail');
  assert.ok((s.endpoints['call_flags']?.unexpectedStatuses['500'] ?? 0) > 0);
  assert.equal(s.endpoints['call_join']?.unexpected, 0);
  assert.match(readFileSync(join(out, 'faulty', 'junit.xml'), 'utf8'), /classname="talkload.call_flags" name="no unexpected statuses"><failure/);
});

test('a cut body on call_join (200, truncated JSON): counted on call_join as bad_body, not blamed on call_flags', { timeout: 240_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
  const r = await talkload(['run', '--guests', '2', '--duration', '8s', '--stay', '6s', '--flags-every', '2s', '--no-moderator', '--sim-fault', 'call_join=badjson', '--out', out, '--run-id', 'cut']);
  assert.equal(r.code, 99, r.stdout.slice(-2000) + r.stderr);
  const s = readSummary(out, 'cut');
  assert.ok((s.endpoints['call_join']?.unexpectedStatuses['bad_body'] ?? 0) > 0, JSON.stringify(s.endpoints['call_join']));
  assert.equal(s.endpoints['call_flags']?.unexpected ?? 0, 0, 'a guest that is not in the call does not change its flags');
  assert.match(r.stdout, /unexpected statuses on call_join: bad_body×\d+/);
});

test('a hung target (room_join never answers): not a PASS, no guest in a call, the endpoint named as timing out', { timeout: 240_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
  // k6's request timeout is 60 s: each guest's join times out once, inside the graceful stop.
  const r = await talkload(['run', '--guests', '2', '--duration', '4s', '--stay', '2s', '--no-moderator', '--sim-fault', 'room_join=hang', '--out', out, '--run-id', 'hung']);
  assert.equal(r.code, 99, r.stdout.slice(-2000) + r.stderr);
  assert.match(r.stdout, /threshold broken: talk_call_joins count>=1/);
  assert.match(r.stdout, /unexpected statuses on room_join: timeout×\d+/);
  assert.equal(readSummary(out, 'hung').verdict, 'fail');
});

// A terminal's Ctrl-C and a CI runner's cancel signal the whole process group, k6 included.
const INTERRUPTS: [signal: NodeJS.Signals, times: number][] = [
  ['SIGINT', 1],
  ['SIGINT', 2],
  ['SIGTERM', 1],
  ['SIGTERM', 2],
];
for (const [signal, times] of INTERRUPTS) {
  test(`${signal} ${times === 1 ? 'once' : 'twice'} to the process group: conversations deleted, partial results marked interrupted, exit 105, no password leaked`, { timeout: 120_000 }, async () => {
    const secret = 'pw-7f3a9c-do-not-leak';
    const sim = new TalkSimulator({ users: [{ id: 'moderator', password: secret, displayName: 'Moderator' }], settings: { bruteForce: 'off' } });
    const url = await sim.listen(0, '127.0.0.1');
    const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
    const pwFile = join(out, 'pw');
    writeFileSync(pwFile, `${secret}\n`);
    const child = spawn(process.execPath, [BIN, 'run', '--target', url, '--user', 'moderator', '--password-file', pwFile, '--guests', '4', '--call-size', '2', '--duration', '60s', '--stay', '20s', '--out', out, '--run-id', 'aborted', '--', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 90_000);
    try {
      // In the call: conversations exist and guests hold long-polls.
      const until = Date.now() + 30_000;
      while (sim.state.rooms.size === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.ok(sim.state.rooms.size > 0, `no conversation was created: ${output.slice(-1000)}`);
      await new Promise((r) => setTimeout(r, 3000));
      for (let i = 0; i < times; i++) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // The group has gone already: talkload finished on the first signal.
        }
        await new Promise((r) => setTimeout(r, 30));
      }
      const code = await exited;
      assert.equal(code, 105, output.slice(-1500));
      assert.equal(sim.state.rooms.size, 0, `conversations left: ${[...sim.state.rooms.keys()].join(',')}; ${output.slice(-1500)}`);
      assert.match(output, /talkload: INTERRUPTED \(partial results\)\. Results in /);
      const summary = readSummary(out, 'aborted');
      assert.equal(summary.interrupted, true);
      assert.equal(summary.verdict, 'fail');
      assert.ok((summary.endpoints['room_join']?.requests ?? 0) > 0, 'the partial samples are kept');
      assert.ok(!output.includes(secret), 'password in output');
      for (const f of readdirSync(join(out, 'aborted'))) {
        const buf = readFileSync(join(out, 'aborted', f));
        const text = f.endsWith('.gz') ? gunzipSync(buf, { finishFlush: 2 }).toString() : buf.toString();
        assert.ok(!text.includes(secret), `password in ${f}`);
      }
    } finally {
      clearTimeout(killer);
      await sim.close();
    }
  });
}

test('several guests per VU: each with its own session, all in the call at once', { timeout: 240_000 }, async () => {
  const sim = new TalkSimulator({ users: [{ id: 'moderator', password: 'moderator-pw', displayName: 'Moderator' }], settings: { bruteForce: 'off' } });
  const url = await sim.listen(0, '127.0.0.1');
  const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
  const pwFile = join(out, 'pw');
  writeFileSync(pwFile, 'moderator-pw\n');
  let peakInCall = 0;
  const sampler = setInterval(() => {
    let n = 0;
    for (const s of sim.state.sessionsById.values()) if (s.inCall !== 0) n++;
    peakInCall = Math.max(peakInCall, n);
  }, 100);
  try {
    // 12 guests on 3 VUs: if the four guests of a VU shared a cookie jar they would share one
    // Talk session, and joins would conflict or guests would miss themselves in GET /call.
    const r = await talkload(['run', '--target', url, '--user', 'moderator', '--password-file', pwFile, '--profile', 'smoke', '--guests', '12', '--guests-per-vu', '4', '--call-size', '6', '--duration', '10s', '--stay', '8s', '--flags-every', '2s', '--peers-every', '2s', '--no-moderator', '--out', out, '--run-id', 'per-vu']);
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    const s = readSummary(out, 'per-vu');
    for (const [id, e] of Object.entries(s.endpoints)) assert.equal(e.unexpected, 0, `${id} unexpected statuses`);
    assert.equal(s.journeys.selfListedRate, 1);
    assert.equal(s.journeys.successRate, 1);
    assert.equal(s.journeys.count % 4, 0, 'whole VU iterations of four guests');
    assert.equal(peakInCall, 12, 'all twelve guests in a call at the same time');
  } finally {
    clearInterval(sampler);
    await sim.close();
  }
});

test('a Nextcloud in a subfolder (http://host/nextcloud): the run reaches every endpoint under it', { timeout: 240_000 }, async () => {
  const { createServer, request } = await import('node:http');
  const sim = new TalkSimulator({ users: [{ id: 'moderator', password: 'pw', displayName: 'Moderator' }], settings: { bruteForce: 'off' } });
  const simUrl = new URL(await sim.listen(0, '127.0.0.1'));
  // A reverse proxy that serves the simulator under /nextcloud only, as a web server does.
  let outside = 0;
  const proxy = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith('/nextcloud/')) {
      outside++;
      res.writeHead(404).end();
      return;
    }
    const up = request({ host: simUrl.hostname, port: simUrl.port, method: req.method, path: url.slice('/nextcloud'.length), headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as { port: number }).port;
  const out = mkdtempSync(join(tmpdir(), 'talkload-run-'));
  writeFileSync(join(out, 'pw'), 'pw\n');
  try {
    const r = await talkload(['run', '--target', `http://127.0.0.1:${port}/nextcloud/`, '--user', 'moderator', '--password-file', join(out, 'pw'), '--guests', '2', '--call-size', '2', '--duration', '6s', '--stay', '3s', '--out', out, '--run-id', 'subfolder', '--', '--quiet']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-1500));
    const summary = readSummary(out, 'subfolder');
    assert.ok(summary.journeys.count >= 2 && summary.journeys.successRate === 1, JSON.stringify(summary.journeys));
    assert.equal(outside, 0, 'a request went outside the subfolder');
  } finally {
    proxy.closeAllConnections();
    proxy.close();
    await sim.close();
  }
});
