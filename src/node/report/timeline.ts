// A run over time, from k6's raw samples: per time window and endpoint, requests completed, their
// statuses and latency quantiles; the people (VUs, guests seen in a call, journeys ended); HPB steps.
// Pre-aggregated per window with log-scale latency buckets, so that a 10,000-guest run's report stays
// small: its size grows with windows x endpoints, not with requests.

import { existsSync } from 'node:fs';
import { K6Metric } from '../../shared/metric-names.ts';
import { k6StatusLabel } from '../../shared/outcome.ts';
import { bump, parseTags, readSampleRows } from '../run/results.ts';

/** Log-scale latency histogram: bucket i holds values up to 0.1 ms x 1.04^i (4 % resolution). */
const GROWTH = 1.04;
const FLOOR_MS = 0.1;
const bucketOf = (ms: number): number => (ms <= FLOOR_MS ? 0 : Math.ceil(Math.log(ms / FLOOR_MS) / Math.log(GROWTH)));
const upperOf = (b: number): number => FLOOR_MS * GROWTH ** b;

export class LogHistogram {
  readonly counts = new Map<number, number>();
  n = 0;
  add(ms: number): void {
    const b = bucketOf(ms);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.n++;
  }
  merge(o: LogHistogram): void {
    for (const [b, c] of o.counts) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.n += o.n;
  }
  /** The q-quantile within 4 %, or null when empty. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return upperOf(b);
    }
    return null;
  }
}

export interface EndpointWindow {
  n: number;
  statuses: Map<string, number>;
  unexpected: Map<string, number>;
  latency: LogHistogram;
}

export interface Timeline {
  /** Unix seconds of the first sample, and the window length in seconds. */
  readonly start: number;
  readonly windowSeconds: number;
  readonly windows: number;
  /** endpoint id -> per window (sparse: undefined = nothing completed). */
  readonly endpoints: Map<string, (EndpointWindow | undefined)[]>;
  /** Per window: the most VUs, the largest GET /call list a guest saw, journeys ended. */
  readonly vus: number[];
  readonly peersSeen: number[];
  readonly journeysEnded: number[];
  readonly journeysFailed: number[];
  readonly vanished: number[];
  readonly throttled: number[];
  /** HPB step -> per window latency histogram. */
  readonly hpb: Map<string, (LogHistogram | undefined)[]>;
  readonly hpbUnexpected: number[];
  /** Per window: requests of the short endpoints (not the long-polls) that were waiting for an answer. */
  readonly waiting: number[];
}

const HPB_STEP_OF: Readonly<Record<string, string>> = {
  [K6Metric.hpbHello]: 'hello',
  [K6Metric.hpbRoom]: 'room join',
  [K6Metric.callPropagation]: 'call join propagation',
  [K6Metric.flagsPropagation]: 'flags propagation',
};

/** Windows so that a run has at most `maxWindows` of them, whole seconds, at least 1 s. */
export function windowFor(durationSeconds: number, maxWindows = 240): number {
  const raw = Math.max(1, Math.ceil(durationSeconds / maxWindows));
  for (const nice of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]) if (raw <= nice) return nice;
  return Math.ceil(raw / 3600) * 3600;
}

/** The first and last sample time (unix seconds) of the files. */
export interface Span {
  readonly first: number;
  readonly last: number;
}

/**
 * Reads the samples into windows of their time span: the span aggregateSamples found already
 * (`firstTs`, `lastTs`), so that the files are read once here. A file cut short gives the timeline
 * of what was read (the summary says it is incomplete).
 */
export async function readTimeline(files: readonly string[], held: readonly string[], span: Span, maxWindows = 240): Promise<Timeline> {
  const present = files.filter((f) => existsSync(f));
  let first = span.first;
  let last = span.last;
  if (!Number.isFinite(first)) first = last = 0;
  const windowSeconds = windowFor(last - first + 1, maxWindows);
  const windows = Math.max(1, Math.floor((last - first) / windowSeconds) + 1);
  const zeros = (): number[] => new Array<number>(windows).fill(0);
  const t: Timeline = {
    start: first,
    windowSeconds,
    windows,
    endpoints: new Map(),
    vus: zeros(),
    peersSeen: zeros(),
    journeysEnded: zeros(),
    journeysFailed: zeros(),
    vanished: zeros(),
    throttled: zeros(),
    hpb: new Map(),
    hpbUnexpected: zeros(),
    waiting: zeros(),
  };
  const endpointWindow = (id: string, w: number): EndpointWindow => {
    let series = t.endpoints.get(id);
    if (!series) t.endpoints.set(id, (series = Array.from<EndpointWindow | undefined>({ length: windows })));
    let e = series[w];
    if (!e) series[w] = e = { n: 0, statuses: new Map(), unexpected: new Map(), latency: new LogHistogram() };
    return e;
  };
  for (const file of present) {
    await readSampleRows(file, (f, col) => {
      const metric = f[col['metric_name']!]!;
      const value = Number(f[col['metric_value']!]);
      const w = Math.min(windows - 1, Math.max(0, Math.floor((Number(f[col['timestamp']!]) - first) / windowSeconds)));
      switch (metric) {
        case 'http_reqs': {
          const e = endpointWindow(f[col['name']!] || 'unnamed', w);
          const status = k6StatusLabel(Number(f[col['status']!] || 0), f[col['error_code']!], f[col['error']!]);
          e.n += value;
          bump(e.statuses, status, value);
          break;
        }
        case 'http_req_duration': {
          const id = f[col['name']!] || 'unnamed';
          endpointWindow(id, w).latency.add(value);
          // The sample is written when the answer came: the request waited from value ms before.
          if (!held.includes(id)) {
            const from = Math.max(0, w - Math.floor(value / 1000 / windowSeconds));
            for (let i = from; i <= w; i++) t.waiting[i]!++;
          }
          break;
        }
        case 'vus':
          if (value > t.vus[w]!) t.vus[w] = value;
          break;
        case K6Metric.peersSeen:
          if (value > t.peersSeen[w]!) t.peersSeen[w] = value;
          break;
        case K6Metric.journeySuccess:
          t.journeysEnded[w]!++;
          if (value === 0) t.journeysFailed[w]!++;
          break;
        case K6Metric.guestVanished:
          t.vanished[w]! += value;
          break;
        case K6Metric.throttled:
        case K6Metric.tooManyRequests:
          t.throttled[w]! += value;
          break;
        case K6Metric.unexpectedStatus: {
          const tags = parseTags(f[col['extra_tags']!] ?? '');
          const status = f[col['status']!] || tags.get('status') || '0';
          const e = endpointWindow(tags.get('endpoint') ?? 'unnamed', w);
          bump(e.unexpected, status, value);
          break;
        }
        case K6Metric.hpbUnexpected:
          t.hpbUnexpected[w]! += value;
          break;
        default: {
          const step = HPB_STEP_OF[metric];
          if (step !== undefined) {
            let series = t.hpb.get(step);
            if (!series) t.hpb.set(step, (series = Array.from<LogHistogram | undefined>({ length: windows })));
            (series[w] ??= new LogHistogram()).add(value);
          }
        }
      }
    });
  }
  return t;
}

/**
 * Stalls: runs of windows, at least `minSeconds` long, in which requests of the short endpoints (all
 * but the long-polls) were waiting and none of them completed. A saturated PHP pool looks like this:
 * every worker holds a long-poll and nothing else gets through (the real server in
 * shared/reference/realtalk-2026-12-06 completed no GET /call for 30 s). A quiet moment with nothing
 * asked is no stall.
 */
export function stalls(t: Timeline, held: readonly string[], minSeconds = 10): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  const busy = new Array<boolean>(t.windows).fill(false);
  for (const [id, series] of t.endpoints) {
    if (held.includes(id)) continue;
    series.forEach((e, w) => {
      if (e && e.n > 0) busy[w] = true;
    });
  }
  let runStart = -1;
  const active = (w: number): boolean => (t.waiting[w] ?? 0) > 0;
  for (let w = 0; w <= t.windows; w++) {
    const idle = w < t.windows && !busy[w] && active(w);
    if (idle && runStart < 0) runStart = w;
    if (!idle && runStart >= 0) {
      const from = runStart * t.windowSeconds;
      const to = w * t.windowSeconds;
      if (to - from >= minSeconds) out.push({ from, to });
      runStart = -1;
    }
  }
  return out;
}
