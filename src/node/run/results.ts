// Turns k6's raw samples (CSV) and summary export into our own stable summary.json, a summary.md a
// person reads first, and junit.xml for CI. Percentiles come from the raw samples, never averaged.

import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { relative } from 'node:path';
import { K6Metric } from '../../shared/metric-names.ts';
import { Hpb } from '../../shared/constants.ts';
import { k6StatusLabel } from '../../shared/outcome.ts';

export const SUMMARY_SCHEMA = 'talkload.summary/v1';

export interface LatencyMs {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface EndpointSummary {
  requests: number;
  statuses: Record<string, number>;
  /** Responses outside the step's expected statuses. */
  unexpected: number;
  unexpectedStatuses: Record<string, number>;
  throttled: number;
  tooManyRequests: number;
  latencyMs: LatencyMs;
}

export interface ThresholdResult {
  readonly metric: string;
  readonly expression: string;
  readonly ok: boolean;
  /** Catalogue id when the threshold is about one endpoint. */
  readonly endpoint: string | null;
}

/** The HPB side of a run: WebSocket steps, how fast changes reached the others, what went wrong. */
export interface HpbSummary {
  /** WebSocket sessions opened to the HPB. */
  sessions: number;
  helloMs: LatencyMs | null;
  /** From the WebSocket's open event to sending hello (the HPB closes at 2 s). */
  helloSentAfterConnectMs?: LatencyMs | null;
  /** Opening the WebSocket: TCP and the upgrade, until the HPB accepted it (k6's ws_connecting). */
  connectMs?: LatencyMs | null;
  /** Guests whose hello the generator made late (k6's event loop lagged), by step; not in `unexpected`. */
  generatorLate?: Record<string, number>;
  /**
   * WebSockets that opened and got no welcome within a second, so the guest said hello without one
   * (k6 drops up to one in 10,000; a server that sends none shows here for every guest). Absent when none.
   */
  welcomeMissing?: number;
  roomJoinMs: LatencyMs | null;
  /** From `POST /call` to the HPB event showing the guest in the call. */
  callJoinPropagationMs: LatencyMs | null;
  /** From `PUT /call` to the HPB event showing the new flags. */
  flagsPropagationMs: LatencyMs | null;
  /** Unexpected outcomes per step and code (HPB error codes, timeouts, closes). */
  unexpected: number;
  unexpectedByStep: Record<string, Record<string, number>>;
  /** Closes the guests did not ask for, by close code. */
  unexpectedCloses: Record<string, number>;
  messagesReceived: number;
  bytesReceived: number;
}

export interface RunSummary {
  schema: typeof SUMMARY_SCHEMA;
  runId: string;
  scenario: string;
  profile: string;
  target: string;
  targetKind: 'simulator' | 'external';
  startedAt: string;
  durationSeconds: number;
  load: Record<string, string | number | boolean>;
  k6: { version: string; exitCode: number };
  endpoints: Record<string, EndpointSummary>;
  journeys: {
    count: number;
    successRate: number | null;
    selfListedRate: number | null;
    /** Peer lists that left the guest out while its long-poll was between two requests (not in the rate). */
    selfUnlistedAtPingEdge?: number;
    /**
     * Guests whose join answered 200 and whose next request answered 404: the server removed them
     * (one finding per guest, not unexpected statuses). `firstAtSeconds` is into the run.
     */
    guestsVanished?: { count: number; byStep: Record<string, number>; firstAtSeconds: number };
    /** Times the room took a guest out of the call (lobby, read-only), by the answer that showed it. */
    evictions?: Record<string, number>;
  };
  thresholds: ThresholdResult[];
  /** Guests that signalled through an HPB (absent when none did). */
  hpb?: HpbSummary;
  /** Stopped by a signal (Ctrl-C, SIGTERM): the figures cover only part of the planned run. */
  interrupted?: boolean;
  /** talkload's version, and for the embedded simulator what decides its latencies (simulator/cli.ts simulatorProvenance). */
  talkload?: string;
  simulator?: Record<string, unknown>;
  /** Sample files that ended early or could not be read: the figures cover only what was read. */
  incompleteSamples?: string[];
  verdict: 'pass' | 'fail';
}

/** Linear interpolation between closest ranks, as k6 computes trend percentiles. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

class Samples {
  private buf = new Float64Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  sorted(): Float64Array {
    return this.buf.slice(0, this.length).sort();
  }
}

export interface RawAggregate {
  endpoints: Map<string, { summary: Omit<EndpointSummary, 'latencyMs'>; latency: Samples; failed: { n: number; total: number } }>;
  dropped: number;
  journeys: { ok: number; total: number };
  callJoins: number;
  selfListed: { ok: number; total: number; edge: number };
  firstTs: number;
  lastTs: number;
  vanished: { count: number; byStep: Map<string, number>; firstTs: number };
  evictions: Map<string, number>;
  /** Files that were missing, cut short (a gzip stream without its end) or not readable, with why. */
  incomplete: IncompleteFile[];
  hpb: { seen: boolean; sessions: number; trends: Map<string, Samples>; unexpected: Map<string, Map<string, number>>; closes: Map<string, number>; late: Map<string, number>; welcome: { total: number; ok: number }; messages: number; bytes: number };
}

/** k6's own WebSocket connect time; the guests open no other WebSocket than the HPB's. */
const WS_CONNECTING = 'ws_connecting';
const HPB_TRENDS: readonly string[] = [K6Metric.hpbHello, K6Metric.hpbHelloSent, K6Metric.hpbRoom, K6Metric.callPropagation, K6Metric.flagsPropagation, WS_CONNECTING];

/** Adds n to a count kept in a map. */
export const bump = (m: Map<string, number>, key: string, n: number): void => {
  m.set(key, (m.get(key) ?? 0) + n);
};

/** k6's `extra_tags` column (`a=1&b=2`) as a map. */
export function parseTags(extra: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!extra) return out;
  for (const [k, v] of new URLSearchParams(extra)) out.set(k, v);
  return out;
}

/**
 * Reads one k6 CSV output (plain or .gz) line by line, handing each whole sample line to `onRow`
 * with the header's column index. A k6 that was aborted (or a full disk) leaves a gzip stream
 * without its end: what is there is read, and the reason comes back (null when the file was whole),
 * so that no caller uses partial data unawares. A line cut short by an abort is not a sample.
 */
export async function readSampleRows(file: string, onRow: (f: string[], col: Readonly<Record<string, number>>) => void): Promise<string | null> {
  const raw = createReadStream(file);
  const gunzip = file.endsWith('.gz') ? createGunzip() : null;
  let broken: string | null = null;
  const onError = (e: Error): void => {
    broken ??= (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message) ? 'cut short (the gzip stream has no end)' : `unreadable (${(e as NodeJS.ErrnoException).code ?? e.message})`;
  };
  raw.on('error', onError);
  gunzip?.on('error', onError);
  const input = gunzip ? raw.pipe(gunzip) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  // readline passes its input's error on, and its iterator throws it: what was read is kept.
  lines.on('error', onError);
  let col: Record<string, number> = {};
  let width = 0;
  let header = false;
  try {
    for await (const line of lines) {
      if (line.startsWith('metric_name,')) {
        const names = line.split(',');
        col = Object.fromEntries(names.map((c, i) => [c, i]));
        width = names.length;
        header = true;
        continue;
      }
      if (!header) {
        broken ??= 'not a k6 CSV output (no metric_name header)';
        break;
      }
      const f = line.split(',');
      if (f.length >= width) onRow(f, col);
    }
  } catch (e) {
    onError(e as Error);
  }
  if (!header) broken ??= 'empty (no k6 CSV header)';
  return broken;
}

/** A sample file that was missing, cut short or unreadable, and why. */
export interface IncompleteFile {
  readonly file: string;
  readonly why: string;
}

/** `path: why; ...`, paths relative to `from`. */
export function incompleteText(list: readonly IncompleteFile[], from = process.cwd()): string {
  return list.map((f) => `${relative(from, f.file)}: ${f.why}`).join('; ');
}

/** Reads one or more k6 CSV outputs (plain or .gz) into per-endpoint aggregates. */
/** A k6 Rate sample: one more, and one more passed unless it is 0. */
function countRate(r: { total: number; ok: number }, value: number): void {
  r.total++;
  if (value !== 0) r.ok++;
}

export async function aggregateSamples(files: readonly string[]): Promise<RawAggregate> {
  const agg: RawAggregate = {
    endpoints: new Map(),
    dropped: 0,
    journeys: { ok: 0, total: 0 },
    callJoins: 0,
    selfListed: { ok: 0, total: 0, edge: 0 },
    firstTs: Infinity,
    lastTs: 0,
    vanished: { count: 0, byStep: new Map(), firstTs: Infinity },
    evictions: new Map(),
    incomplete: [],
    hpb: { seen: false, sessions: 0, trends: new Map(HPB_TRENDS.map((m) => [m, new Samples()])), unexpected: new Map(), closes: new Map(), late: new Map(), welcome: { total: 0, ok: 0 }, messages: 0, bytes: 0 },
  };
  const hpb = agg.hpb;
  const ep = (id: string) => endpointEntry(agg, id);
  for (const file of files) {
    if (!existsSync(file)) {
      agg.incomplete.push({ file, why: 'missing' });
      continue;
    }
    const broken = await readSampleRows(file, (f, col) => {
      const metric = f[col['metric_name']!] ?? '';
      const value = Number(f[col['metric_value']!]);
      const ts = Number(f[col['timestamp']!]);
      if (ts < agg.firstTs) agg.firstTs = ts;
      if (ts > agg.lastTs) agg.lastTs = ts;
      switch (metric) {
        case 'http_reqs': {
          const e = ep(f[col['name']!] || 'unnamed').summary;
          // No status: timeout, connect, reset, tls (k6's error_code), as the prober labels them.
          const status = k6StatusLabel(Number(f[col['status']!] || 0), f[col['error_code']!], f[col['error']!]);
          e.requests += value;
          e.statuses[status] = (e.statuses[status] ?? 0) + value;
          break;
        }
        case 'http_req_duration':
          ep(f[col['name']!] || 'unnamed').latency.push(value);
          break;
        case 'http_req_failed': {
          const e = ep(f[col['name']!] || 'unnamed').failed;
          e.total++;
          if (value !== 0) e.n++;
          break;
        }
        case 'dropped_iterations':
          agg.dropped += value;
          break;
        case 'ws_sessions':
          hpb.seen = true;
          hpb.sessions += value;
          break;
        case WS_CONNECTING:
        case K6Metric.hpbHello:
        case K6Metric.hpbHelloSent:
        case K6Metric.hpbRoom:
        case K6Metric.callPropagation:
        case K6Metric.flagsPropagation:
          hpb.seen = true;
          hpb.trends.get(metric)!.push(value);
          break;
        case K6Metric.hpbUnexpected:
        case K6Metric.hpbCloses: {
          hpb.seen = true;
          const tags = parseTags(f[col['extra_tags']!] ?? '');
          const code = tags.get('code') ?? 'unknown';
          if (metric === K6Metric.hpbCloses) bump(hpb.closes, code, value);
          else {
            const step = tags.get('step') ?? 'unknown';
            let byCode = hpb.unexpected.get(step);
            if (!byCode) hpb.unexpected.set(step, (byCode = new Map()));
            bump(byCode, code, value);
          }
          break;
        }
        case K6Metric.hpbGeneratorLate:
          hpb.seen = true;
          bump(hpb.late, parseTags(f[col['extra_tags']!] ?? '').get('step') ?? 'unknown', value);
          break;
        case K6Metric.hpbWelcomeMissing:
          hpb.seen = true;
          // `ok` counts the missing ones: the rate is of missing welcomes.
          countRate(hpb.welcome, value);
          break;
        case K6Metric.hpbEvents:
          hpb.messages += value;
          break;
        case K6Metric.hpbBytes:
          hpb.bytes += value;
          break;
        case K6Metric.unexpectedStatus:
        case K6Metric.throttled:
        case K6Metric.tooManyRequests: {
          const tags = parseTags(f[col['extra_tags']!] ?? '');
          const e = ep(tags.get('endpoint') ?? 'unnamed').summary;
          if (metric === K6Metric.unexpectedStatus) {
            // `status` is a k6 system tag, so it lands in its own column, not in extra_tags.
            const status = f[col['status']!] || tags.get('status') || '0';
            e.unexpected += value;
            e.unexpectedStatuses[status] = (e.unexpectedStatuses[status] ?? 0) + value;
          } else if (metric === K6Metric.throttled) e.throttled += value;
          else e.tooManyRequests += value;
          break;
        }
        case K6Metric.journeySuccess:
          countRate(agg.journeys, value);
          break;
        case K6Metric.callJoins:
          agg.callJoins += value;
          break;
        case K6Metric.selfListed:
          countRate(agg.selfListed, value);
          break;
        case K6Metric.selfListedPingEdge:
          agg.selfListed.edge += value;
          break;
        case K6Metric.guestVanished: {
          const step = parseTags(f[col['extra_tags']!] ?? '').get('endpoint') ?? 'unknown';
          agg.vanished.count += value;
          bump(agg.vanished.byStep, step, value);
          if (ts < agg.vanished.firstTs) agg.vanished.firstTs = ts;
          break;
        }
        case K6Metric.evicted: {
          const reason = parseTags(f[col['extra_tags']!] ?? '').get('reason') ?? 'unknown';
          bump(agg.evictions, reason, value);
          break;
        }
        default:
          break;
      }
    });
    if (broken !== null) agg.incomplete.push({ file, why: broken });
  }
  return agg;
}

/** An endpoint's row of the aggregate, made empty on first use. */
function endpointEntry(agg: RawAggregate, id: string): RawAggregate['endpoints'] extends Map<string, infer E> ? E : never {
  let e = agg.endpoints.get(id);
  if (!e) {
    e = { summary: { requests: 0, statuses: {}, unexpected: 0, unexpectedStatuses: {}, throttled: 0, tooManyRequests: 0 }, latency: new Samples(), failed: { n: 0, total: 0 } };
    agg.endpoints.set(id, e);
  }
  return e;
}

/** A request talkload made itself (not k6), added to its endpoint's row. */
export function addRequest(agg: RawAggregate, r: { readonly id: string; readonly status: string; readonly ms: number }): void {
  const e = endpointEntry(agg, r.id);
  e.summary.requests++;
  e.summary.statuses[r.status] = (e.summary.statuses[r.status] ?? 0) + 1;
  e.latency.push(r.ms);
  e.failed.total++;
  if (!/^2\d\d$/.test(r.status)) e.failed.n++;
}

/**
 * For commands that judge or keep samples (baseline accept, gate, compare, report): partial data is
 * a one-line usage error (exit 2), never used silently (issue 24 item 2).
 */
export function requireComplete(agg: RawAggregate, what: string): RawAggregate {
  if (agg.incomplete.length > 0) throw new IncompleteSamplesError(`${what}: samples incomplete, refusing to use them: ${incompleteText(agg.incomplete)}`);
  return agg;
}

export class IncompleteSamplesError extends Error {}

/** Sorted latency samples (ms) per endpoint. */
export function sortedLatencies(agg: RawAggregate): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [id, e] of agg.endpoints) out.set(id, e.latency.sorted());
  return out;
}

/** The run's guest journeys: how many ended, the share that succeeded, the share of polls that listed the guest. */
export function journeysOf(agg: RawAggregate): RunSummary['journeys'] {
  return {
    count: agg.journeys.total,
    successRate: agg.journeys.total ? agg.journeys.ok / agg.journeys.total : null,
    selfListedRate: agg.selfListed.total ? agg.selfListed.ok / agg.selfListed.total : null,
    ...(agg.selfListed.edge > 0 ? { selfUnlistedAtPingEdge: agg.selfListed.edge } : {}),
    ...(agg.vanished.count > 0
      ? { guestsVanished: { count: agg.vanished.count, byStep: Object.fromEntries([...agg.vanished.byStep].sort(([a], [b]) => a.localeCompare(b))), firstAtSeconds: Math.max(0, agg.vanished.firstTs - agg.firstTs) } }
      : {}),
    ...(agg.evictions.size > 0 ? { evictions: Object.fromEntries([...agg.evictions].sort(([a], [b]) => a.localeCompare(b))) } : {}),
  };
}

/** Percentiles of sorted samples, rounded to µs. */
function latencyOf(s: Float64Array): LatencyMs {
  let sum = 0;
  for (const v of s) sum += v;
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    p50: r3(percentile(s, 0.5)),
    p95: r3(percentile(s, 0.95)),
    p99: r3(percentile(s, 0.99)),
    max: r3(s.length ? s[s.length - 1]! : 0),
    mean: r3(s.length ? sum / s.length : 0),
  };
}

export function endpointSummaries(agg: RawAggregate): Record<string, EndpointSummary> {
  const out: Record<string, EndpointSummary> = {};
  for (const id of [...agg.endpoints.keys()].sort()) {
    const e = agg.endpoints.get(id)!;
    out[id] = { ...e.summary, latencyMs: latencyOf(e.latency.sorted()) };
  }
  return out;
}

/** HPB steps as the gate and compare judge them, beside the endpoints: `hpb_<step>` -> sorted ms. */
export const HPB_STEP_METRICS: Readonly<Record<string, string>> = {
  hpb_hello: K6Metric.hpbHello,
  hpb_room_join: K6Metric.hpbRoom,
  hpb_call_join_propagation: K6Metric.callPropagation,
  hpb_flags_propagation: K6Metric.flagsPropagation,
};

export function hpbLatencies(agg: RawAggregate): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [id, metric] of Object.entries(HPB_STEP_METRICS)) {
    const s = agg.hpb.trends.get(metric)!.sorted();
    if (s.length > 0) out.set(id, s);
  }
  return out;
}

/** The run's HPB figures, or undefined when no guest used an HPB. */
export function hpbOf(agg: RawAggregate): HpbSummary | undefined {
  const h = agg.hpb;
  if (!h.seen) return undefined;
  const trend = (m: string): LatencyMs | null => {
    const s = h.trends.get(m)!.sorted();
    return s.length > 0 ? latencyOf(s) : null;
  };
  const byStep: Record<string, Record<string, number>> = {};
  let unexpected = 0;
  for (const [step, codes] of [...h.unexpected].sort(([a], [b]) => a.localeCompare(b))) {
    byStep[step] = Object.fromEntries([...codes].sort(([a], [b]) => a.localeCompare(b)));
    for (const n of codes.values()) unexpected += n;
  }
  return {
    sessions: h.sessions,
    helloMs: trend(K6Metric.hpbHello),
    helloSentAfterConnectMs: trend(K6Metric.hpbHelloSent),
    connectMs: trend(WS_CONNECTING),
    ...(h.late.size > 0 ? { generatorLate: Object.fromEntries([...h.late].sort(([a], [b]) => a.localeCompare(b))) } : {}),
    ...(h.welcome.ok > 0 ? { welcomeMissing: h.welcome.ok } : {}),
    roomJoinMs: trend(K6Metric.hpbRoom),
    callJoinPropagationMs: trend(K6Metric.callPropagation),
    flagsPropagationMs: trend(K6Metric.flagsPropagation),
    unexpected,
    unexpectedByStep: byStep,
    unexpectedCloses: Object.fromEntries([...h.closes].sort(([a], [b]) => a.localeCompare(b))),
    messagesReceived: h.messages,
    bytesReceived: h.bytes,
  };
}

/**
 * Evaluates a threshold list (src/shared/thresholds.ts) on merged raw samples, for runs split over
 * several k6 processes, where each process only judged its own part.
 */
export function evaluateThresholds(spec: Record<string, string[]>, agg: RawAggregate): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  const sumOf = (pick: (e: Omit<EndpointSummary, 'latencyMs'>) => number): number => {
    let n = 0;
    for (const e of agg.endpoints.values()) n += pick(e.summary);
    return n;
  };
  for (const [metric, expressions] of Object.entries(spec)) {
    const endpoint = /\{name:([a-z_]+)\}/.exec(metric)?.[1] ?? null;
    const base = metric.replace(/\{.*\}$/, '');
    const e = endpoint ? agg.endpoints.get(endpoint) : undefined;
    for (const expression of expressions) {
      const m = /^(p\((\d+(?:\.\d+)?)\)|rate|count)\s*(<=|>=|==|<|>)\s*([\d.]+)$/.exec(expression);
      if (!m) throw new Error(`cannot evaluate threshold ${metric} ${expression}`);
      let value: number | null = null;
      if (HPB_TRENDS.includes(base)) {
        const sorted = agg.hpb.trends.get(base)!.sorted();
        value = sorted.length > 0 && m[1]!.startsWith('p(') ? percentile(sorted, Number(m[2]) / 100) : null;
      } else if (m[1]!.startsWith('p(')) {
        const sorted = e?.latency.sorted();
        value = sorted && sorted.length > 0 ? percentile(sorted, Number(m[2]) / 100) : null;
      } else if (base === 'http_req_failed') value = e && e.failed.total > 0 ? e.failed.n / e.failed.total : null;
      else if (base === K6Metric.unexpectedStatus) value = sumOf((s) => s.unexpected);
      else if (base === K6Metric.tooManyRequests) value = sumOf((s) => s.tooManyRequests);
      else if (base === K6Metric.journeySuccess) value = agg.journeys.total ? agg.journeys.ok / agg.journeys.total : null;
      else if (base === K6Metric.journeysEnded) value = agg.journeys.total;
      else if (base === K6Metric.callJoins) value = agg.callJoins;
      else if (base === K6Metric.guestVanished) value = agg.vanished.count;
      else if (base === K6Metric.selfListed) value = agg.selfListed.total ? agg.selfListed.ok / agg.selfListed.total : null;
      else if (base === 'dropped_iterations') value = agg.dropped;
      else if (base === K6Metric.hpbUnexpected) value = hpbOf(agg)?.unexpected ?? null;
      else if (base === K6Metric.hpbGeneratorLate) value = agg.hpb.seen ? [...agg.hpb.late.values()].reduce((a, b) => a + b, 0) : null;
      else if (base === K6Metric.hpbWelcomeMissing) value = agg.hpb.welcome.total > 0 ? agg.hpb.welcome.ok / agg.hpb.welcome.total : null;
      else if (base === K6Metric.hpbCloses) value = agg.hpb.seen ? [...agg.hpb.closes.values()].reduce((a, b) => a + b, 0) : null;
      const limit = Number(m[4]);
      // Like k6, a metric with no samples does not fail its threshold.
      const ok = value === null || { '<': value < limit, '<=': value <= limit, '>': value > limit, '>=': value >= limit, '==': value === limit }[m[3] as '<'];
      out.push({ metric, expression, ok, endpoint });
    }
  }
  return out.sort((a, b) => a.metric.localeCompare(b.metric) || a.expression.localeCompare(b.expression));
}

/** Thresholds from k6's summary export: `{"p(95)<500": false}` means not crossed. */
export function readThresholds(summaryExport: string): ThresholdResult[] {
  if (!existsSync(summaryExport)) return [];
  let parsed: { metrics?: Record<string, { thresholds?: Record<string, boolean> }> };
  try {
    parsed = JSON.parse(readFileSync(summaryExport, 'utf8'));
  } catch {
    return [];
  }
  const out: ThresholdResult[] = [];
  for (const [metric, m] of Object.entries(parsed.metrics ?? {})) {
    for (const [expression, crossed] of Object.entries(m.thresholds ?? {})) {
      const endpoint = /\{name:([a-z_]+)\}/.exec(metric)?.[1] ?? null;
      out.push({ metric, expression, ok: crossed !== true, endpoint });
    }
  }
  return out.sort((a, b) => a.metric.localeCompare(b.metric) || a.expression.localeCompare(b.expression));
}

export function setupData(summaryExport: string): { created?: string[] } | null {
  try {
    return (JSON.parse(readFileSync(summaryExport, 'utf8')) as { setup_data?: { created?: string[] } }).setup_data ?? null;
  } catch {
    return null;
  }
}

// ---- human and CI renderings -------------------------------------------------------------------

const ms = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);

/** HTTP statuses in order, then the error classes of requests that got none (timeout, connect, ...). */
export function statusText(statuses: Record<string, number>): string {
  const key = (c: string): number => (/^\d+$/.test(c) ? Number(c) : 1000);
  return Object.entries(statuses)
    .sort(([a], [b]) => key(a) - key(b) || a.localeCompare(b))
    .map(([code, n]) => `${code === '0' ? 'no-status' : code}×${n}`)
    .join(' ');
}

/** Every unexpected outcome of a run, one line per endpoint or HPB step: `call_peers: 502×1 timeout×3`. */
export function unexpectedLines(s: RunSummary): string[] {
  const out: string[] = [];
  for (const [id, e] of Object.entries(s.endpoints)) if (e.unexpected > 0) out.push(`${id}: ${statusText(e.unexpectedStatuses)}`);
  for (const [step, codes] of Object.entries(s.hpb?.unexpectedByStep ?? {})) out.push(`hpb ${step}: ${statusText(codes)}`);
  if (Object.keys(s.hpb?.unexpectedCloses ?? {}).length > 0) out.push(`hpb closes: ${statusText(s.hpb!.unexpectedCloses)}`);
  return out;
}

/**
 * What a person should know beyond the table, in words: findings that are one thing although they
 * touch several endpoints (a guest that vanished), and what a broken self-listed check points at in
 * the signaling mode the run used.
 */
export function findingLines(s: RunSummary): string[] {
  const out: string[] = [];
  const j = s.journeys;
  if (j.guestsVanished) {
    const v = j.guestsVanished;
    out.push(
      `guest's session vanished right after joining: ${v.count} guest${v.count === 1 ? '' : 's'} (first ${v.firstAtSeconds} s into the run; seen on ${statusText(v.byStep)}): the join answered 200, then the server answered 404; on Talk 19 a moderator's participant list removes guests without a session yet (cleanGuestParticipants), a race of the server`,
    );
  }
  const hpbMode = s.load['signaling'] === 'hpb' || (s.load['signaling'] === undefined && s.hpb !== undefined);
  if (j.selfListedRate !== null && j.selfListedRate < 1) {
    out.push(
      hpbMode
        ? `own session not listed by GET /call in ${((1 - j.selfListedRate) * 100).toFixed(1)} % of polls in the call: with an HPB, Talk keeps a guest listed from the HPB's pings (its backend ping requests); check the HPB's backend connection to Talk and its ping interval`
        : `own session not listed by GET /call in ${((1 - j.selfListedRate) * 100).toFixed(1)} % of polls in the call: the guest's signaling long-poll (its ping) waited too long for a PHP worker; more PHP workers, or an HPB`,
    );
  }
  const late = s.hpb?.generatorLate;
  if (late) {
    const n = Object.values(late).reduce((a, b) => a + b, 0);
    const sent = s.hpb?.helloSentAfterConnectMs;
    out.push(
      `the load generator was late: ${n} guest${n === 1 ? '' : 's'} missed the HPB's ${Hpb.helloTimeoutSeconds} s hello limit while k6's event loop lagged a second or more (${statusText(late)}; hello sent after the open event p95 ${sent ? `${Math.round(sent.p95)} ms` : '-'}): not counted against the HPB; fewer guests per VU (--guests-per-vu), more k6 processes (--instances), or a slower ramp`,
    );
  }
  const noWelcome = s.hpb?.welcomeMissing;
  if (noWelcome) {
    out.push(
      `no welcome from the HPB on ${noWelcome} of ${s.hpb!.sessions} WebSocket${s.hpb!.sessions === 1 ? '' : 's'} within ${Hpb.welcomeWaitSeconds} s of opening; those guests said hello without it: k6/websockets drops up to one first message in 10,000 (npm run bench:ws-first-message); a server that sends none shows here for every guest, fails the run from 5 % of the WebSockets and breaks the web client (it waits 3 s for a welcome, the HPB closes at 2 s)`,
    );
  }
  if (j.evictions) out.push(`taken out of the call by the room (lobby, read-only): ${statusText(j.evictions)}; those guests joined again when the room allowed it`);
  if (s.incompleteSamples) out.push(`samples incomplete: ${s.incompleteSamples.join('; ')}`);
  return out;
}

/** The per-endpoint table, as aligned text for the terminal. */
export function textTable(s: RunSummary): string {
  const rows = [['endpoint', 'requests', 'statuses', 'unexpected', 'p50', 'p95', 'p99', 'max']];
  for (const [id, e] of Object.entries(s.endpoints)) {
    rows.push([id, String(e.requests), statusText(e.statuses), String(e.unexpected), ms(e.latencyMs.p50), ms(e.latencyMs.p95), ms(e.latencyMs.p99), ms(e.latencyMs.max)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export function throttlingWarning(s: RunSummary): string | null {
  const hit = Object.entries(s.endpoints).filter(([, e]) => e.throttled > 0 || e.tooManyRequests > 0);
  if (hit.length === 0) return null;
  const parts = hit.map(([id, e]) => `${id} (${e.throttled} delayed, ${e.tooManyRequests}×429)`);
  return `BRUTE-FORCE THROTTLING: the server slowed or blocked this load generator's address on ${parts.join(', ')}. All virtual users share one address; every later join pays the delay. Reset it on the server (occ security:bruteforce:reset <ip>) or allow-list the generator.`;
}

export function markdown(s: RunSummary, files: Record<string, string>): string {
  const lines = [
    `# talkload run ${s.runId}: ${s.interrupted ? 'INTERRUPTED (partial results)' : s.verdict === 'pass' ? 'PASS' : 'FAIL'}`,
    '',
    `Scenario **${s.scenario}**, profile **${s.profile}**, target ${s.targetKind === 'simulator' ? 'embedded simulator' : s.target}, started ${s.startedAt}, ${s.durationSeconds} s, k6 ${s.k6.version} (exit ${s.k6.exitCode}).`,
    '',
  ];
  const warning = throttlingWarning(s);
  if (warning) lines.push(`> **${warning}**`, '');
  const failed = s.thresholds.filter((t) => !t.ok);
  if (failed.length > 0) {
    lines.push('## Broken thresholds', '', '| endpoint | metric | threshold |', '|---|---|---|');
    for (const t of failed) lines.push(`| ${t.endpoint ?? '(all)'} | \`${t.metric}\` | \`${t.expression}\` |`);
    lines.push('');
  }
  lines.push('## Endpoints', '', '| endpoint | requests | statuses | unexpected | p50 | p95 | p99 | max |', '|---|---:|---|---:|---:|---:|---:|---:|');
  for (const [id, e] of Object.entries(s.endpoints)) {
    const unexpected = e.unexpected > 0 ? `**${e.unexpected}** (${statusText(e.unexpectedStatuses)})` : '0';
    lines.push(`| ${id} | ${e.requests} | ${statusText(e.statuses)} | ${unexpected} | ${ms(e.latencyMs.p50)} | ${ms(e.latencyMs.p95)} | ${ms(e.latencyMs.p99)} | ${ms(e.latencyMs.max)} |`);
  }
  const j = s.journeys;
  lines.push('', `Guest journeys: ${j.count}, success ${j.successRate === null ? 'n/a' : (j.successRate * 100).toFixed(1) + ' %'}; own session listed by GET /call: ${j.selfListedRate === null ? 'n/a' : (j.selfListedRate * 100).toFixed(1) + ' %'}${j.selfUnlistedAtPingEdge ? ` (left out ${j.selfUnlistedAtPingEdge} more times while its long-poll was between two requests: the server's 30 s window, not counted)` : ''}.`, '');
  const findings = findingLines(s);
  if (findings.length > 0) lines.push('## Findings', '', ...findings.map((f) => `- ${f}`), '');
  lines.push('`signaling_poll` is the internal-signaling long-poll: it is held up to 30 s by design, so its latency is not a budget.', '');
  if (s.hpb) lines.push(...hpbMarkdown(s.hpb));
  lines.push('## Files', '', ...Object.entries(files).map(([k, v]) => `- ${k}: \`${v}\``), '');
  return lines.join('\n');
}

export const xml = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One test case per threshold and one per endpoint ("no unexpected statuses"). */
export function junit(s: RunSummary): string {
  const cases: string[] = [];
  for (const t of s.thresholds) {
    const name = xml(`${t.metric} ${t.expression}`);
    const cls = xml(`talkload.${t.endpoint ?? 'run'}`);
    cases.push(t.ok ? `  <testcase classname="${cls}" name="${name}"/>` : `  <testcase classname="${cls}" name="${name}"><failure message="threshold broken: ${name}"/></testcase>`);
  }
  for (const [id, e] of Object.entries(s.endpoints)) {
    const name = 'no unexpected statuses';
    cases.push(
      e.unexpected === 0
        ? `  <testcase classname="talkload.${xml(id)}" name="${name}"/>`
        : `  <testcase classname="talkload.${xml(id)}" name="${name}"><failure message="${e.unexpected} unexpected: ${xml(statusText(e.unexpectedStatuses))}"/></testcase>`,
    );
  }
  if (s.journeys.guestsVanished) {
    const v = s.journeys.guestsVanished;
    cases.push(`  <testcase classname="talkload.journey" name="no guest vanished after joining"><failure message="${v.count} guests' sessions vanished right after joining (404 on ${xml(statusText(v.byStep))})"/></testcase>`);
  }
  for (const [step, codes] of Object.entries(s.hpb?.unexpectedByStep ?? {})) {
    const n = Object.values(codes).reduce((a, b) => a + b, 0);
    cases.push(`  <testcase classname="talkload.hpb_${xml(step)}" name="no unexpected outcomes"><failure message="${n} unexpected: ${xml(statusText(codes))}"/></testcase>`);
  }
  const failures = cases.filter((c) => c.includes('<failure')).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="talkload ${xml(s.runId)}" tests="${cases.length}" failures="${failures}" time="${s.durationSeconds}">\n${cases.join('\n')}\n</testsuite>\n`;
}

function hpbMarkdown(h: HpbSummary): string[] {
  const row = (name: string, l: LatencyMs | null): string => (l ? `| ${name} | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${ms(l.max)} |` : `| ${name} | n/a | n/a | n/a | n/a |`);
  const lines = [
    '## HPB (external signaling)',
    '',
    `${h.sessions} WebSocket sessions; ${h.messagesReceived} messages (${(h.bytesReceived / 1024).toFixed(0)} KiB) received.`,
    '',
    '| step | p50 | p95 | p99 | max |',
    '|---|---:|---:|---:|---:|',
    ...(h.connectMs !== undefined ? [row('connect (TCP and upgrade)', h.connectMs)] : []),
    ...(h.helloSentAfterConnectMs !== undefined ? [row('hello sent after the open event', h.helloSentAfterConnectMs)] : []),
    row('hello', h.helloMs),
    row('room join', h.roomJoinMs),
    row('call join propagation', h.callJoinPropagationMs),
    row('flags propagation', h.flagsPropagationMs),
    '',
  ];
  if (h.unexpected > 0) {
    lines.push(`**${h.unexpected} unexpected HPB outcomes**: ${Object.entries(h.unexpectedByStep).map(([step, codes]) => `${step} (${statusText(codes)})`).join(', ')}.`, '');
  }
  if (Object.keys(h.unexpectedCloses).length > 0) lines.push(`Closed by the HPB: ${statusText(h.unexpectedCloses)} (close codes).`, '');
  return lines;
}
