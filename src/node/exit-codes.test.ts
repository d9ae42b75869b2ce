// One exit-code contract over every subcommand (issue 24 item 5): the same condition gives the same
// code whichever command meets it, in one line on stderr, and every --help prints the one table.
// Real processes and real HTTP on loopback; no k6 is started (each condition is met before it).

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { talkloadAsync } from './testing/talkload.ts';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.ts';
import { TalkSimulator } from './simulator/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'talkload-exit-'));
const wrong = join(dir, 'wrong-pw');
const secret = join(dir, 'secret');
writeFileSync(wrong, 'not-the-password\n');
writeFileSync(secret, 'a-secret-of-enough-length-for-the-hpb\n');

let sim: TalkSimulator;
let simUrl = '';
let holder: Server;
let busyPort = 0;

before(async () => {
  sim = new TalkSimulator({ settings: { bruteForce: 'off' } });
  simUrl = await sim.listen(0, '127.0.0.1');
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  busyPort = (holder.address() as { port: number }).port;
});

after(async () => {
  await sim.close();
  holder.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A results folder with a summary that passes the field checks and samples as given. */
function resultsDir(name: string, samples: Buffer, summary: Record<string, unknown> = {}): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d);
  const s = {
    schema: 'talkload.summary/v1', runId: name, scenario: 'guest-call', profile: 'smoke', target: 'simulator', targetKind: 'simulator', startedAt: '', durationSeconds: 1, load: {},
    k6: { version: 'v2', exitCode: 0 },
    endpoints: { call_join: { requests: 3, statuses: { '200': 2, '500': 1 }, unexpected: 1, unexpectedStatuses: { '500': 1 }, throttled: 0, tooManyRequests: 0, latencyMs: { p50: 5, p95: 6, p99: 6, max: 6, mean: 5 } } },
    journeys: { count: 3, successRate: 1, selfListedRate: 1 },
    thresholds: [],
    verdict: 'pass',
    ...summary,
  };
  writeFileSync(join(d, 'summary.json'), JSON.stringify(s));
  writeFileSync(join(d, 'samples.csv.gz'), samples);
  return d;
}

/** A baseline that fits the summaries above, so that the gate reaches the samples. */
function baselineFile(): string {
  const f = join(dir, 'fits.json');
  const stats = { n: 10, p50: { value: 5, low: 4, high: 6 }, p95: { value: 6, low: 5, high: 7 } };
  writeFileSync(f, JSON.stringify({ schema: 'talkload.baseline/v1', acceptedAt: '', runId: 'b', targetKind: 'simulator', target: 'simulator', scenario: 'guest-call', profile: 'smoke', load: {}, producedBy: { talkload: '0.1.0', simulator: null }, endpoints: { call_join: stats } }));
  return f;
}

const CSV = 'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,scenario,status,extra_tags,metadata\n' + Array.from({ length: 200 }, (_, i) => `http_req_duration,${1700000000 + i},${10 + (i % 7)},,,,true,,POST,call_join,guests,200,,\n`).join('');
const whole = gzipSync(Buffer.from(CSV));
const cut = whole.subarray(0, Math.floor(whole.length / 2));

interface Row {
  readonly name: string;
  readonly args: () => string[];
  readonly code: number;
  /** The one line on stderr. */
  readonly line: RegExp;
}

const ROWS: Row[] = [
  // Usage: an unknown flag, for every subcommand.
  ...['sim', 'hpb', 'run', 'probe', 'stack', 'k8s', 'gate', 'compare'].map((c) => ({ name: `${c}: unknown flag`, args: () => [c, '--no-such-flag'], code: EXIT.usage, line: new RegExp(`^talkload ${c}: .*--no-such-flag`) })),
  { name: 'baseline accept: unknown flag', args: () => ['baseline', 'accept', '--no-such-flag'], code: EXIT.usage, line: /^talkload baseline: .*--no-such-flag/ },
  // Usage: a port in use, for every command that listens.
  { name: 'sim: port in use', args: () => ['sim', '--port', String(busyPort)], code: EXIT.usage, line: /in use/ },
  { name: 'hpb: port in use', args: () => ['hpb', '--backend', simUrl, '--secret-file', secret, '--listen', `127.0.0.1:${busyPort}`], code: EXIT.usage, line: /in use/ },
  { name: 'probe: port in use', args: () => ['probe', '--target', simUrl, '--room', 'abcd1234', '--listen', `127.0.0.1:${busyPort}`], code: EXIT.usage, line: /in use/ },
  { name: 'stack: port in use', args: () => ['stack', '--listen', `127.0.0.1:${busyPort}`, '--data', join(dir, 'stack')], code: EXIT.usage, line: /in use/ },
  // Failure: the target is unreachable, for both commands that load one.
  { name: 'run: target unreachable', args: () => ['run', '--target', 'http://127.0.0.1:9', '--rooms', 'abcd1234', '--no-moderator', '--out', join(dir, 'out')], code: EXIT.failure, line: /unreachable/ },
  { name: 'compare: target unreachable', args: () => ['compare', '--a', 'http://127.0.0.1:9', '--b', simUrl, '--user', 'admin', '--password-file', wrong, '--out', join(dir, 'out')], code: EXIT.failure, line: /^talkload compare: A: target http:\/\/127\.0\.0\.1:9 is unreachable/ },
  // Usage: refused credentials, for both.
  { name: 'run: credentials refused', args: () => ['run', '--target', simUrl, '--user', 'admin', '--password-file', wrong, '--out', join(dir, 'out')], code: EXIT.usage, line: /rejected the credentials of user admin/ },
  { name: 'compare: credentials refused (checked before any round)', args: () => ['compare', '--a', 'sim', '--b', simUrl, '--user', 'admin', '--password-file', wrong, '--out', join(dir, 'out')], code: EXIT.usage, line: /^talkload compare: B: the target rejected the credentials of user admin/ },
  // Usage: a target that contradicts a flag.
  { name: 'run: --signaling hpb on internal signaling', args: () => ['run', '--target', simUrl, '--rooms', 'abcd1234', '--no-moderator', '--signaling', 'hpb', '--out', join(dir, 'out')], code: EXIT.usage, line: /--signaling hpb: target .* has no HPB \(its signaling settings say signalingMode "internal"\)/ },
  { name: 'run: --signaling internal on a Talk with an HPB', args: () => ['run', '--sim-signaling', 'external', '--signaling', 'internal', '--out', join(dir, 'out')], code: EXIT.usage, line: /--signaling internal: target .* signals through an HPB \(signalingMode "external"/ },
  // Failure: the HPB in the target's settings does not answer from here.
  { name: 'run: the target\'s HPB unreachable', args: () => ['run', '--hpb', 'http://127.0.0.1:9', '--hpb-secret-file', secret, '--out', join(dir, 'out')], code: EXIT.failure, line: /the target's HPB does not answer from here: http:\/\/127\.0\.0\.1:9\/api\/v1\/welcome failed \(ECONNREFUSED\)/ },
  // Usage: partial samples, for every command that judges or keeps them.
  { name: 'gate --baseline: samples cut short', args: () => ['gate', resultsDir('cut-gate', cut), '--baseline', baselineFile()], code: EXIT.usage, line: /samples\.csv\.gz is incomplete \(cut short/ },
  { name: 'baseline accept: samples cut short', args: () => ['baseline', 'accept', resultsDir('cut-accept', cut, { endpoints: {}, verdict: 'pass' }), '--out', join(dir, 'b.json')], code: EXIT.usage, line: /samples\.csv\.gz is incomplete \(cut short \(the gzip stream has no end\)\)/ },
  { name: 'baseline accept: samples not gzip', args: () => ['baseline', 'accept', resultsDir('garbage-accept', Buffer.from('not gzip'), { endpoints: {}, verdict: 'pass' }), '--out', join(dir, 'b.json')], code: EXIT.usage, line: /incomplete \(unreadable \(Z_DATA_ERROR\)\)/ },
  // Verdict FAIL: 99 for the gate as for k6's thresholds.
  { name: 'gate: a budget broken', args: () => ['gate', resultsDir('fail-gate', whole)], code: EXIT.verdictFail, line: /^$/ },
  // Usage: a namespace that is no DNS label.
  { name: 'k8s: bad namespace', args: () => ['k8s', '--parallelism', '2', '--target', 'https://cloud.example.com', '--secret', 's', '--namespace', 'bad ns!', '--out', join(dir, 'k8s')], code: EXIT.usage, line: /--namespace "bad ns!" is not a Kubernetes namespace/ },
];

for (const row of ROWS) {
  test(`exit ${row.code}: ${row.name}`, { timeout: 60_000 }, async () => {
    const r = await talkloadAsync(row.args(), 50_000);
    assert.equal(r.code, row.code, r.out);
    if (row.code !== EXIT.verdictFail) {
      const lines = r.out.trim().split('\n').filter((l) => l.startsWith('talkload'));
      assert.ok(lines.some((l) => row.line.test(l)), `${row.line} in:\n${r.out}`);
      assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace');
    }
  });
}

test('every --help ends with the one exit-code table', { timeout: 60_000 }, async () => {
  for (const c of [['sim'], ['hpb'], ['run'], ['probe'], ['stack'], ['k8s'], ['gate'], ['baseline'], ['compare'], []]) {
    const r = await talkloadAsync([...c, '--help'], 20_000);
    assert.equal(r.code, 0, `${c.join(' ')}: ${r.out}`);
    assert.ok(r.out.includes(EXIT_CODES_HELP.trim()), `talkload ${c.join(' ')} --help shows the table`);
  }
});

test('talkload baseline --help is baseline\'s help, not the gate\'s', async () => {
  const r = await talkloadAsync(['baseline', '--help'], 20_000);
  assert.match(r.out, /^Usage: talkload baseline accept RESULTS_DIR/);
});

test('talkload hpb with an unreachable --backend says so at start, and keeps serving', { timeout: 30_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { TALKLOAD_BIN } = await import('./testing/talkload.ts');
  const child = spawn(process.execPath, [TALKLOAD_BIN, 'hpb', '--backend', 'http://127.0.0.1:9', '--secret-file', secret, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const until = Date.now() + 20_000;
    while (!err.includes('warning') && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    assert.match(err, /^talkload hpb: warning: backend http:\/\/127\.0\.0\.1:9 is unreachable \(ECONNREFUSED\); every hello will fail until it answers\n$/);
    assert.match(out, /talkload hpb listening on/);
    assert.equal(child.exitCode, null, 'still serving');
  } finally {
    child.kill('SIGTERM');
  }
});
