import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { addRequest, aggregateSamples, endpointSummaries, evaluateThresholds, findingLines, hpbOf, journeysOf, junit, percentile, requireComplete, statusText, unexpectedLines, type RunSummary } from './results.ts';
import { thresholdSpec } from '../../shared/thresholds.ts';

test('percentiles interpolate between closest ranks, like k6', () => {
  const s = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(percentile(s, 0.5), 5.5);
  assert.equal(Math.round(percentile(s, 0.95) * 100) / 100, 9.55);
  assert.equal(percentile(s, 1), 10);
  assert.equal(percentile(new Float64Array(0), 0.5), 0);
});

const HEADER = 'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,scenario,status,extra_tags,metadata';
const row = (metric: string, value: number, name: string, status: string, extra = '') => `${metric},1700000000,${value},,,,true,,GET,${name},guests,${status},${extra},`;

test('samples from several k6 CSV files merge into one per-endpoint summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-'));
  const a = [HEADER, row('http_reqs', 1, 'call_join', '200'), row('http_req_duration', 10, 'call_join', '200'), row('http_reqs', 1, 'call_join', '500'), row('http_req_duration', 30, 'call_join', '500'), row('talk_unexpected_status', 1, '', '500', 'endpoint=call_join&documented=no')];
  const b = [HEADER, row('http_reqs', 1, 'call_join', '200'), row('http_req_duration', 20, 'call_join', '200'), row('talk_journey_success', 1, '', ''), row('talk_journey_success', 0, '', '')];
  writeFileSync(join(dir, 'a.csv.gz'), gzipSync(a.join('\n') + '\n'));
  writeFileSync(join(dir, 'b.csv'), b.join('\n') + '\n');
  const agg = await aggregateSamples([join(dir, 'a.csv.gz'), join(dir, 'b.csv')]);
  const s = endpointSummaries(agg);
  assert.deepEqual(s['call_join']?.statuses, { '200': 2, '500': 1 });
  assert.equal(s['call_join']?.requests, 3);
  assert.equal(s['call_join']?.unexpected, 1);
  assert.deepEqual(s['call_join']?.unexpectedStatuses, { '500': 1 });
  assert.equal(s['call_join']?.latencyMs.p50, 20);
  assert.equal(s['call_join']?.latencyMs.max, 30);
  assert.deepEqual(agg.journeys, { ok: 1, total: 2 });
});

test('merged thresholds: a run in which no journey ended, or no guest joined the call, fails; one that did passes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-'));
  const spec = thresholdSpec({ profile: 'smoke', moderator: false });
  const judge = async (lines: string[]) => {
    writeFileSync(join(dir, 'x.csv'), [HEADER, ...lines].join('\n') + '\n');
    const broken = evaluateThresholds(spec, await aggregateSamples([join(dir, 'x.csv')])).filter((t) => !t.ok);
    return broken.map((t) => `${t.metric} ${t.expression}`).sort();
  };
  // The zero samples every k6 process writes in setup(), and nothing else: a hung target.
  const zeros = [row('talk_journeys', 0, '', ''), row('talk_call_joins', 0, '', '')];
  assert.deepEqual(await judge(zeros), ['talk_call_joins count>=1', 'talk_journeys count>=1']);
  assert.deepEqual(await judge([...zeros, row('talk_journeys', 1, '', ''), row('talk_journey_success', 1, '', '')]), ['talk_call_joins count>=1']);
  assert.deepEqual(await judge([...zeros, row('talk_journeys', 1, '', ''), row('talk_journey_success', 1, '', ''), row('talk_call_joins', 1, '', '')]), []);
});

test('merged thresholds with an HPB: missing welcomes fail the run from 5 % of the WebSockets, a rare one does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-'));
  const spec = thresholdSpec({ profile: 'smoke', moderator: false, signaling: 'hpb' });
  const judge = async (missing: number, of: number) => {
    const lines = [HEADER, row('talk_journeys', 1, '', ''), row('talk_journey_success', 1, '', ''), row('talk_call_joins', 1, '', '')];
    for (let i = 0; i < of; i++) lines.push(row('talk_hpb_welcome_missing', i < missing ? 1 : 0, '', ''));
    writeFileSync(join(dir, 'x.csv'), lines.join('\n') + '\n');
    const agg = await aggregateSamples([join(dir, 'x.csv')]);
    return { broken: evaluateThresholds(spec, agg).filter((t) => !t.ok).map((t) => `${t.metric} ${t.expression}`), welcomeMissing: hpbOf(agg)?.welcomeMissing };
  };
  assert.deepEqual(await judge(0, 40), { broken: [], welcomeMissing: undefined });
  assert.deepEqual(await judge(1, 40), { broken: [], welcomeMissing: 1 });
  assert.deepEqual(await judge(2, 40), { broken: ['talk_hpb_welcome_missing rate<0.05'], welcomeMissing: 2 });
  assert.deepEqual(await judge(40, 40), { broken: ['talk_hpb_welcome_missing rate<0.05'], welcomeMissing: 40 });
});

test('requests without a status are split by k6 error code: a timeout is not a network error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-'));
  const noStatus = (code: number) => `http_reqs,1700000000,1,,request timeout,${code},false,,GET,signaling_poll,guests,0,,`;
  const lines = [HEADER, noStatus(1050), noStatus(1050), noStatus(1212), row('http_reqs', 1, 'signaling_poll', '200'), row('talk_unexpected_status', 1, '', 'timeout', 'endpoint=signaling_poll&documented=no')];
  writeFileSync(join(dir, 'a.csv'), lines.join('\n') + '\n');
  const s = endpointSummaries(await aggregateSamples([join(dir, 'a.csv')]));
  assert.deepEqual(s['signaling_poll']?.statuses, { '200': 1, timeout: 2, connect: 1 });
  assert.deepEqual(s['signaling_poll']?.unexpectedStatuses, { timeout: 1 });
  assert.equal(statusText(s['signaling_poll']!.statuses), '200×1 connect×1 timeout×2');
});

test('junit has a failing case naming the endpoint of a broken threshold', () => {
  const xml = junit({
    schema: 'talkload.summary/v1', runId: 'r1', scenario: 's', profile: 'smoke', target: 'simulator', targetKind: 'simulator', startedAt: '', durationSeconds: 1, load: {},
    k6: { version: 'v2.2.0', exitCode: 99 },
    endpoints: {},
    journeys: { count: 0, successRate: null, selfListedRate: null },
    thresholds: [{ metric: 'http_req_failed{name:call_flags}', expression: 'rate<0.01', ok: false, endpoint: 'call_flags' }],
    verdict: 'fail',
  });
  assert.match(xml, /<testcase classname="talkload.call_flags" name="http_req_failed\{name:call_flags\} rate&lt;0.01"><failure/);
  assert.match(xml, /tests="1" failures="1"/);
});

test('unexpectedLines: one line per endpoint and HPB step with statuses in order, nothing when clean', () => {
  const ep = (unexpectedStatuses: Record<string, number>) => ({
    requests: 10, statuses: {}, unexpected: Object.values(unexpectedStatuses).reduce((a, b) => a + b, 0), unexpectedStatuses, throttled: 0, tooManyRequests: 0,
    latencyMs: { p50: 1, p95: 1, p99: 1, max: 1, mean: 1 },
  });
  const base = {
    schema: 'talkload.summary/v1' as const, runId: 'r', scenario: 's', profile: 'load', target: 'sim', targetKind: 'simulator' as const, startedAt: '', durationSeconds: 1, load: {},
    k6: { version: 'v2.2.0', exitCode: 0 }, journeys: { count: 1, successRate: 1, selfListedRate: 1 }, thresholds: [], verdict: 'pass' as const,
  };
  assert.deepEqual(unexpectedLines({ ...base, endpoints: { call_join: ep({}) } }), []);
  assert.deepEqual(
    unexpectedLines({
      ...base,
      endpoints: { call_join: ep({}), call_peers: ep({ timeout: 3, '502': 1 }), room_join: ep({ '0': 2 }) },
      hpb: { sessions: 1, helloMs: null, roomJoinMs: null, callJoinPropagationMs: null, flagsPropagationMs: null, unexpected: 2, unexpectedByStep: { hello: { too_many_requests: 2 } }, unexpectedCloses: { '1006': 4 }, messagesReceived: 0, bytesReceived: 0 },
    }),
    ['call_peers: 502×1 timeout×3', 'room_join: no-status×2', 'hpb hello: too_many_requests×2', 'hpb closes: 1006×4'],
  );
});

test('samples cut short, not gzip, or missing are listed as incomplete; what was read is kept; requireComplete refuses them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-'));
  const lines = [HEADER, ...Array.from({ length: 3000 }, (_, i) => row('http_reqs', 1, 'call_join', String(200 + (i % 3))))].join('\n') + '\n';
  const whole = gzipSync(Buffer.from(lines));
  writeFileSync(join(dir, 'whole.csv.gz'), whole);
  writeFileSync(join(dir, 'cut.csv.gz'), whole.subarray(0, Math.floor(whole.length * 0.6)));
  writeFileSync(join(dir, 'text.csv.gz'), 'this is not gzip');
  const ok = await aggregateSamples([join(dir, 'whole.csv.gz')]);
  assert.deepEqual(ok.incomplete, []);
  assert.equal(endpointSummaries(ok)['call_join']?.requests, 3000);
  assert.equal(requireComplete(ok, 'gate'), ok);
  const cut = await aggregateSamples([join(dir, 'cut.csv.gz')]);
  assert.deepEqual(cut.incomplete, [{ file: join(dir, 'cut.csv.gz'), why: 'cut short (the gzip stream has no end)' }]);
  const n = endpointSummaries(cut)['call_join']?.requests ?? 0;
  assert.ok(n > 0 && n < 3000, `read as far as it goes: ${n}`);
  assert.throws(() => requireComplete(cut, 'compare'), /compare: samples incomplete, refusing to use them: .*cut short/);
  assert.deepEqual((await aggregateSamples([join(dir, 'text.csv.gz')])).incomplete, [{ file: join(dir, 'text.csv.gz'), why: 'unreadable (Z_DATA_ERROR)' }]);
  assert.deepEqual((await aggregateSamples([join(dir, 'none.csv.gz')])).incomplete, [{ file: join(dir, 'none.csv.gz'), why: 'missing' }]);
});

test('requests talkload made itself become rows like k6 ones', async () => {
  const agg = await aggregateSamples([]);
  addRequest(agg, { id: 'room_create', status: '201', ms: 12 });
  addRequest(agg, { id: 'room_create', status: '500', ms: 30 });
  const e = endpointSummaries(agg)['room_create']!;
  assert.equal(e.requests, 2);
  assert.deepEqual(e.statuses, { '201': 1, '500': 1 });
  assert.equal(e.latencyMs.max, 30);
});

test('findings: a vanished guest in words, and a missing own session named after the signaling mode', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-'));
  const rows = [HEADER, row('talk_guest_vanished', 1, '', '', 'endpoint=guest_name'), row('talk_guest_vanished', 1, '', '', 'endpoint=call_join'), row('talk_call_evictions', 2, '', '', 'reason=412')];
  writeFileSync(join(dir, 'a.csv'), rows.join('\n') + '\n');
  const journeys = journeysOf(await aggregateSamples([join(dir, 'a.csv')]));
  assert.deepEqual(journeys.guestsVanished, { count: 2, byStep: { call_join: 1, guest_name: 1 }, firstAtSeconds: 0 });
  assert.deepEqual(journeys.evictions, { '412': 2 });
  const base: RunSummary = {
    schema: 'talkload.summary/v1', runId: 'r', scenario: 's', profile: 'smoke', target: 'sim', targetKind: 'simulator', startedAt: '', durationSeconds: 1, load: { signaling: 'internal' },
    k6: { version: 'v2.2.0', exitCode: 99 }, endpoints: {}, journeys: { ...journeys, count: 4, successRate: 0.5, selfListedRate: 0.9 }, thresholds: [], verdict: 'fail',
  };
  const internal = findingLines(base);
  assert.match(internal[0]!, /^guest's session vanished right after joining: 2 guests \(first 0 s into the run; seen on call_join×1 guest_name×1\)/);
  assert.match(internal[1]!, /own session not listed by GET \/call in 10\.0 % of polls in the call: the guest's signaling long-poll \(its ping\) waited too long for a PHP worker/);
  const hpb = findingLines({ ...base, load: { signaling: 'hpb' } });
  assert.match(hpb[1]!, /with an HPB, Talk keeps a guest listed from the HPB's pings/);
  assert.doesNotMatch(hpb.join('\n'), /PHP worker/);
  assert.match(internal[2]!, /taken out of the call by the room \(lobby, read-only\): 412×2/);
  assert.match(junit(base), /name="no guest vanished after joining"><failure/);
});
