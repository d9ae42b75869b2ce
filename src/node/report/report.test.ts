// The report's size depends on windows and endpoints, not on how many requests a run made, so a
// 10,000-guest run's page stays small; stalls are found where requests waited and none was answered.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSummary } from '../run/results.ts';
import { reportHtml } from './html.ts';
import { LogHistogram, type Timeline, stalls, windowFor } from './timeline.ts';

function timeline(requestsPerWindow: number, windows = 240): Timeline {
  const endpoints = new Map<string, ({ n: number; statuses: Map<string, number>; unexpected: Map<string, number>; latency: LogHistogram } | undefined)[]>();
  for (const id of ['capabilities', 'room_join', 'guest_name', 'signaling_settings', 'call_join', 'call_flags', 'call_peers', 'call_leave', 'room_leave', 'signaling_poll', 'signaling_send', 'room_create', 'room_delete', 'room_participants', 'call_ring', 'chat_send', 'chat_receive', 'room_get']) {
    endpoints.set(
      id,
      Array.from({ length: windows }, (_, w) => {
        const latency = new LogHistogram();
        // Spread over the whole latency range: the worst case for the histogram's size.
        for (let i = 0; i < Math.min(requestsPerWindow, 2000); i++) latency.add(1 + ((i * 7919 + w) % 60_000));
        return { n: requestsPerWindow, statuses: new Map([['200', requestsPerWindow - 30], ['412', 10], ['500', 10], ['timeout', 10]]), unexpected: new Map([['500', 10], ['timeout', 10]]), latency };
      }),
    );
  }
  const series = (v: number): number[] => new Array<number>(windows).fill(v);
  return { start: 0, windowSeconds: 15, windows, endpoints, vus: series(10_000), peersSeen: series(10), journeysEnded: series(500), journeysFailed: series(3), vanished: series(0), throttled: series(0), hpb: new Map(), hpbUnexpected: series(0), waiting: series(100) };
}

const summary = {
  schema: 'talkload.summary/v1', runId: 'big', scenario: 'guest-call', profile: 'soak', target: 'simulator', targetKind: 'simulator', startedAt: '', durationSeconds: 3600,
  load: { guests: 10_000, callSize: 10 }, k6: { version: 'v2.2.0', exitCode: 0 }, endpoints: {}, journeys: { count: 1, successRate: 1, selfListedRate: 1 }, thresholds: [], verdict: 'pass',
} as unknown as RunSummary;

test('a 10,000-guest hour: the page stays far under 5 MB, and its size does not grow with the requests', () => {
  const small = reportHtml({ summary, timeline: timeline(100) }).length;
  const big = reportHtml({ summary, timeline: timeline(1_000_000) }).length;
  assert.ok(big < 5 * 1024 * 1024, `${big} bytes`);
  assert.ok(big < small * 1.2, `size with 1,000,000 requests a window ${big} vs 100 a window ${small}`);
});

test('windows are sized to the run: at most 240, in round seconds', () => {
  for (const [duration, want] of [[15, 1], [240, 1], [300, 2], [3600, 15], [86_400, 600]] as const) assert.equal(windowFor(duration), want, `${duration} s`);
});

test('a stall is requests waiting with none answered for 10 s or more; a quiet moment is none', () => {
  const t = timeline(0, 60);
  for (const series of t.endpoints.values()) for (let w = 0; w < 60; w++) series[w] = w >= 20 && w < 35 ? undefined : { n: 1, statuses: new Map([['200', 1]]), unexpected: new Map(), latency: new LogHistogram() };
  const waiting = new Array<number>(60).fill(1);
  assert.deepEqual(stalls({ ...t, waiting }, ['signaling_poll', 'chat_receive']), [{ from: 20 * 15, to: 35 * 15 }]);
  // Nothing asked in that gap: no stall.
  assert.deepEqual(stalls({ ...t, waiting: waiting.map((v, w) => (w >= 20 && w < 35 ? 0 : v)) }, ['signaling_poll', 'chat_receive']), []);
});
