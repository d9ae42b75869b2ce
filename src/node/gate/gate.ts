// The CI performance gate: per-endpoint budgets (latency, error rate, unexpected statuses,
// throttling, sample count) and, against a stored baseline, regressions judged with a noise-aware
// rule: a quantile regressed only when the lower bound of its confidence interval in this run is
// above the upper bound of the baseline's, grown by the tolerance, and by more than a minimum effect.

import { readFileSync } from 'node:fs';
import { BUDGETS, HPB_BUDGET, JOURNEY_BUDGET, POLL_ERROR_RATE } from '../../shared/budgets.ts';
import { ENDPOINT_IDS, type EndpointId, HELD_ENDPOINT_IDS, isEndpointId } from '../../shared/endpoints.ts';
import { parseUserJson, UsageError } from '../common/usage.ts';
import { type LatencyMs, percentile, statusText, type RunSummary } from '../run/results.ts';

export interface EndpointBudget {
  /** Latency budgets, ms (absent = none). */
  p95Ms?: number;
  p99Ms?: number;
  /** Share of responses outside the expected statuses. */
  errorRate: number;
  /** Unexpected responses allowed. */
  maxUnexpected: number;
  /** Responses slowed or refused by brute-force throttling (header or 429) allowed. */
  maxThrottled: number;
  /** Fewer requests than this and the endpoint cannot be judged: a failure. */
  minSamples: number;
}

export type BudgetTable = Record<EndpointId, EndpointBudget>;

/** Whole-journey budgets (src/shared/budgets.ts JOURNEY_BUDGET): the `journeys` key of a budgets file. */
export interface JourneyBudget {
  minSuccessRate: number;
  minSelfListedRate: number;
  minCount: number;
}

/** With an HPB (the `hpb` key of a budgets file): WebSocket steps and propagation, ms; outcomes allowed. */
export interface HpbGateBudget {
  helloP95Ms: number;
  roomP95Ms: number;
  propagationP95Ms: number;
  propagationP99Ms: number;
  maxUnexpected: number;
  maxUnexpectedCloses: number;
}

export interface Budgets {
  readonly endpoints: BudgetTable;
  readonly journeys: JourneyBudget;
  readonly hpb: HpbGateBudget;
}

const HPB_KEYS = ['helloP95Ms', 'roomP95Ms', 'propagationP95Ms', 'propagationP99Ms', 'maxUnexpected', 'maxUnexpectedCloses'] as const;
const defaultHpbBudget = (): HpbGateBudget => ({ ...HPB_BUDGET, maxUnexpected: 0, maxUnexpectedCloses: 0 });

const JOURNEY_KEYS = ['minSuccessRate', 'minSelfListedRate', 'minCount'] as const;

const BUDGET_KEYS = ['p95Ms', 'p99Ms', 'errorRate', 'maxUnexpected', 'maxThrottled', 'minSamples'] as const;

/** The defaults: src/shared/budgets.ts plus zero unexpected, zero throttled, one sample. */
export function defaultBudgets(): BudgetTable {
  const out = {} as BudgetTable;
  for (const id of ENDPOINT_IDS) {
    const b = BUDGETS[id];
    out[id] = {
      ...(b ? { p95Ms: b.p95Ms, p99Ms: b.p99Ms } : {}),
      errorRate: b?.errorRate ?? (id === 'signaling_poll' ? POLL_ERROR_RATE : 0.01),
      maxUnexpected: 0,
      maxThrottled: 0,
      // Endpoints without a latency budget are judged only when the run used them.
      minSamples: b ? 1 : 0,
    };
  }
  return out;
}

/**
 * Budgets file: `{"defaults": {...}, "endpoints": {"call_join": {"p95Ms": 300}}, "journeys":
 * {"minSuccessRate": 0.99}}`; every key optional; unknown keys, unknown endpoints and negative numbers
 * are rejected with their name.
 */
export function parseBudgets(text: string, file: string): Budgets {
  const raw = parseUserJson(text, `budgets file ${file} is not valid JSON`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`budgets file ${file} must hold a JSON object`);
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'defaults' && k !== 'endpoints' && k !== 'journeys' && k !== 'hpb') throw new UsageError(`budgets file ${file}: unknown key "${k}" (defaults, endpoints, journeys, hpb)`);
  const table = defaultBudgets();
  const journeys: JourneyBudget = { ...JOURNEY_BUDGET };
  const apply = (target: object, keys: readonly string[], value: unknown, where: string): void => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`budgets file ${file}: ${where} must be an object`);
    for (const [k, v] of Object.entries(value)) {
      if (!keys.includes(k)) throw new UsageError(`budgets file ${file}: unknown budget "${k}" in ${where} (${keys.join(', ')})`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new UsageError(`budgets file ${file}: ${where}.${k} must be a number >= 0, got ${JSON.stringify(v)}`);
      if ((k === 'errorRate' || k.endsWith('Rate')) && v > 1) throw new UsageError(`budgets file ${file}: ${where}.${k} is a share from 0 to 1, got ${v}`);
      (target as Record<string, number>)[k] = v;
    }
  };
  if (top['defaults'] !== undefined) for (const id of ENDPOINT_IDS) apply(table[id], BUDGET_KEYS, top['defaults'], 'defaults');
  if (top['endpoints'] !== undefined) {
    const eps = top['endpoints'];
    if (typeof eps !== 'object' || eps === null || Array.isArray(eps)) throw new UsageError(`budgets file ${file}: endpoints must be an object`);
    for (const [id, v] of Object.entries(eps)) {
      if (!isEndpointId(id)) throw new UsageError(`budgets file ${file}: unknown endpoint "${id}"`);
      apply(table[id], BUDGET_KEYS, v, `endpoints.${id}`);
    }
  }
  if (top['journeys'] !== undefined) apply(journeys, JOURNEY_KEYS, top['journeys'], 'journeys');
  const hpb = defaultHpbBudget();
  if (top['hpb'] !== undefined) apply(hpb, HPB_KEYS, top['hpb'], 'hpb');
  return { endpoints: table, journeys, hpb };
}

export function defaultGateBudgets(): Budgets {
  return { endpoints: defaultBudgets(), journeys: { ...JOURNEY_BUDGET }, hpb: defaultHpbBudget() };
}

// ---- quantiles with confidence intervals ------------------------------------------------------

export interface QuantileCI {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Distribution-free 95 % interval of a quantile from order statistics (normal approximation of the
 * binomial): no assumption about the latency distribution, honest about small samples.
 */
export function quantileCI(sorted: Float64Array, q: number): QuantileCI {
  const n = sorted.length;
  if (n === 0) return { value: 0, low: 0, high: 0 };
  const at = (rank: number): number => sorted[Math.min(n, Math.max(1, rank)) - 1]!;
  const half = 1.96 * Math.sqrt(n * q * (1 - q));
  const value = percentile(sorted, q);
  // One rank wider on top than the textbook interval: a gate that flaps is worse than one that is slow to trip.
  return { value, low: at(Math.floor(n * q - half)), high: at(Math.ceil(n * q + half) + 1) };
}

/**
 * Below these many samples (in both runs) a quantile's regression is not judged: the median has no
 * 95 % distribution-free interval under 6 samples (with 2, [min, max] covers it half the time), and
 * under 40 the p95 is one or two requests, one slow start flipping it.
 */
export const MIN_SAMPLES = { p50: 6, p95: 40 } as const;

export interface EndpointStats {
  readonly n: number;
  readonly p50: QuantileCI;
  readonly p95: QuantileCI;
}

export function statsOf(sorted: Float64Array): EndpointStats {
  return { n: sorted.length, p50: quantileCI(sorted, 0.5), p95: quantileCI(sorted, 0.95) };
}

export interface Baseline {
  readonly schema: 'talkload.baseline/v1';
  readonly acceptedAt: string;
  readonly runId: string;
  /** What was measured: a baseline compares only with runs of the same target and workload. */
  readonly targetKind?: RunSummary['targetKind'];
  readonly target?: string;
  readonly scenario?: string;
  readonly profile: string;
  readonly load: Record<string, string | number | boolean>;
  /**
   * What produced it: talkload's version and, on the embedded simulator, its capacity model and
   * service-time table (absent in baselines accepted before talkload recorded it: refused).
   */
  readonly producedBy?: { readonly talkload: string; readonly simulator: Record<string, unknown> | null };
  readonly endpoints: Record<string, EndpointStats>;
}

export function parseBaseline(text: string, file: string): Baseline {
  const raw = parseUserJson(text, `baseline file ${file} is not valid JSON`);
  const b = raw as Partial<Baseline> | null;
  if (!b || b.schema !== 'talkload.baseline/v1' || typeof b.endpoints !== 'object' || b.endpoints === null) {
    throw new UsageError(`baseline file ${file} is not a talkload baseline (schema talkload.baseline/v1); write one with "talkload baseline accept"`);
  }
  const bad = (field: string, want: string): never => {
    throw new UsageError(`baseline file ${file}: ${field} must be ${want}`);
  };
  if (typeof b.profile !== 'string') bad('profile', 'a profile name');
  if (!isRecord(b.load)) bad('load', 'an object');
  for (const [id, e] of Object.entries(b.endpoints as Record<string, unknown>)) {
    if (!isRecord(e)) bad(`endpoints.${id}`, 'an object');
    const st = e as Record<string, unknown>;
    if (!isCount(st['n'])) bad(`endpoints.${id}.n`, 'a whole number >= 0');
    for (const q of ['p50', 'p95']) {
      const ci = st[q];
      if (!isRecord(ci)) bad(`endpoints.${id}.${q}`, 'an object with value, low and high');
      for (const k of ['value', 'low', 'high']) if (!isMs((ci as Record<string, unknown>)[k])) bad(`endpoints.${id}.${q}.${k}`, 'a number of ms >= 0');
    }
  }
  return b as Baseline;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isMs = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isShare = (v: unknown): boolean => v === null || (typeof v === 'number' && v >= 0 && v <= 1);

/**
 * The fields of a run summary the gate judges, checked before it judges them: a null latency would
 * otherwise pass every budget (null <= 500 in JavaScript), a string count would compare as text.
 */
export function checkSummaryFields(s: RunSummary, file: string): void {
  const bad = (field: string, want: string): never => {
    throw new UsageError(`${file}: ${field} must be ${want}`);
  };
  if (typeof s.runId !== 'string') bad('runId', 'a string');
  if (typeof s.profile !== 'string') bad('profile', 'a profile name');
  if (!isRecord(s.load)) bad('load', 'an object');
  for (const [id, e] of Object.entries(s.endpoints as Record<string, unknown>)) {
    if (!isRecord(e)) bad(`endpoints.${id}`, 'an object');
    const ep = e as Record<string, unknown>;
    for (const k of ['requests', 'unexpected', 'throttled', 'tooManyRequests']) if (!isCount(ep[k])) bad(`endpoints.${id}.${k}`, 'a whole number >= 0');
    for (const k of ['statuses', 'unexpectedStatuses']) {
      if (!isRecord(ep[k])) bad(`endpoints.${id}.${k}`, 'an object of counts');
      for (const [status, n] of Object.entries(ep[k] as Record<string, unknown>)) if (!isCount(n)) bad(`endpoints.${id}.${k}.${status}`, 'a whole number >= 0');
    }
    if (!isRecord(ep['latencyMs'])) bad(`endpoints.${id}.latencyMs`, 'an object');
    const lat = ep['latencyMs'] as Record<string, unknown>;
    if ((ep['requests'] as number) > 0) for (const k of ['p50', 'p95', 'p99', 'max']) if (!isMs(lat[k])) bad(`endpoints.${id}.latencyMs.${k}`, 'a number of ms >= 0');
  }
  if (!isRecord(s.journeys)) bad('journeys', 'an object');
  if (!isCount(s.journeys.count)) bad('journeys.count', 'a whole number >= 0');
  if (!isShare(s.journeys.successRate)) bad('journeys.successRate', 'a share from 0 to 1, or null');
  if (!isShare(s.journeys.selfListedRate)) bad('journeys.selfListedRate', 'a share from 0 to 1, or null');
  if (s.hpb !== undefined) {
    if (!isRecord(s.hpb)) bad('hpb', 'an object');
    const h = s.hpb as unknown as Record<string, unknown>;
    for (const k of ['helloMs', 'roomJoinMs', 'callJoinPropagationMs', 'flagsPropagationMs']) {
      if (h[k] === null) continue;
      if (!isRecord(h[k])) bad(`hpb.${k}`, 'an object, or null');
      for (const q of ['p50', 'p95', 'p99', 'max']) if (!isMs((h[k] as Record<string, unknown>)[q])) bad(`hpb.${k}.${q}`, 'a number of ms >= 0');
    }
    if (!isCount(h['unexpected'])) bad('hpb.unexpected', 'a whole number >= 0');
    if (!isRecord(h['unexpectedByStep'])) bad('hpb.unexpectedByStep', 'an object');
    if (!isRecord(h['unexpectedCloses'])) bad('hpb.unexpectedCloses', 'an object of counts');
    for (const [code, n] of Object.entries(h['unexpectedCloses'] as Record<string, unknown>)) if (!isCount(n)) bad(`hpb.unexpectedCloses.${code}`, 'a whole number >= 0');
  }
}

/**
 * Why a run cannot be compared with a baseline, or null: another kind of target (a real server
 * against a simulator baseline gives nothing but "regressions"), another server, scenario, profile
 * or workload. Baselines written before these fields were recorded count as simulator baselines.
 */
export function baselineMismatch(s: RunSummary, b: Baseline): string | null {
  const kind = b.targetKind ?? 'simulator';
  if (kind !== s.targetKind) return `the baseline was measured on ${kind === 'simulator' ? 'the embedded simulator' : `the server ${b.target ?? '(unknown)'}`}, this run on ${s.targetKind === 'simulator' ? 'the embedded simulator' : `the server ${s.target}`}`;
  if (kind === 'external' && b.target !== undefined && b.target !== s.target) return `the baseline was measured on ${b.target}, this run on ${s.target}`;
  if (b.scenario !== undefined && b.scenario !== s.scenario) return `the baseline ran scenario ${b.scenario}, this run ${s.scenario}`;
  if (b.profile !== s.profile) return `the baseline ran profile ${b.profile}, this run ${s.profile}`;
  const keys = [...new Set([...Object.keys(b.load), ...Object.keys(s.load)])].sort();
  const differ = keys.filter((k) => JSON.stringify(b.load[k]) !== JSON.stringify(s.load[k]));
  if (differ.length > 0) return `the workload differs (${differ.map((k) => `${k} ${JSON.stringify(b.load[k] ?? null)} -> ${JSON.stringify(s.load[k] ?? null)}`).join(', ')})`;
  if (kind === 'simulator') {
    if (b.producedBy === undefined) return 'the baseline does not record the simulator that produced it (accepted by an older talkload)';
    const sim = simulatorDifference(b.producedBy.simulator, s.simulator ?? null);
    if (sim !== null) return `the simulator changed since the baseline was accepted (${sim})`;
  }
  return null;
}

/** Which of the simulator's settings differ, in words; null when none. */
export function simulatorDifference(base: Record<string, unknown> | null, now: Record<string, unknown> | null): string | null {
  if (JSON.stringify(base) === JSON.stringify(now)) return null;
  if (base === null || now === null) return base === null ? 'the baseline has no simulator settings' : 'this run has no simulator settings';
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(base), ...Object.keys(now)])].sort()) {
    const x = base[k];
    const y = now[k];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    const xs = (x as { serviceMs?: Record<string, number> } | undefined)?.serviceMs;
    const ys = (y as { serviceMs?: Record<string, number> } | undefined)?.serviceMs;
    if (k === 'capacity' && xs && ys) {
      const ids = [...new Set([...Object.keys(xs), ...Object.keys(ys)])].sort().filter((id) => xs[id] !== ys[id]);
      if (ids.length > 0) out.push(`service times ${ids.map((id) => `${id} ${xs[id] ?? '-'} -> ${ys[id] ?? '-'} ms`).join(', ')}`);
      const rest = (o: object): string => JSON.stringify({ ...o, serviceMs: undefined });
      if (rest(x as object) !== rest(y as object)) out.push(`capacity ${rest(x as object)} -> ${rest(y as object)}`);
    } else out.push(`${k} ${JSON.stringify(x ?? null)} -> ${JSON.stringify(y ?? null)}`);
  }
  return out.join('; ');
}

// ---- the verdict ------------------------------------------------------------------------------

export type CheckName = 'samples' | 'p95' | 'p99' | 'error-rate' | 'unexpected' | 'throttled' | 'regression-p50' | 'regression-p95' | 'journeys' | 'journey-success' | 'self-listed' | 'complete';

export interface Check {
  readonly endpoint: string;
  readonly check: CheckName;
  readonly ok: boolean;
  /** What was measured, and the limit, in words a reviewer reads. */
  readonly detail: string;
}

export interface GateOptions {
  /** Allowed slowdown of the median before it counts as regressed (0.1 = 10 %). */
  readonly tolerance: number;
  /** The same for p95: tails move more from run to run, so they get more room. */
  readonly tailTolerance: number;
  /** Smaller differences than this are never regressions, ms. */
  readonly minEffectMs: number;
}

const f1 = (v: number): string => (Math.round(v * 10) / 10).toString();

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** The whole-journey checks: journeys happened, succeeded, and found themselves in their call. */
function journeyChecks(summary: RunSummary, b: JourneyBudget): Check[] {
  const j = summary.journeys;
  const checks: Check[] = [{ endpoint: 'journey', check: 'journeys', ok: j.count >= b.minCount, detail: `${j.count} guest journeys completed (minimum ${b.minCount})` }];
  // A run stopped by a signal measured part of its load: never a pass, whatever its figures.
  if (summary.interrupted === true) checks.push({ endpoint: 'journey', check: 'complete', ok: false, detail: 'the run was interrupted (Ctrl-C or SIGTERM): its figures cover only part of the planned load' });
  if (j.successRate !== null) checks.push({ endpoint: 'journey', check: 'journey-success', ok: j.successRate >= b.minSuccessRate, detail: `${pct(j.successRate)} of journeys succeeded (budget ${pct(b.minSuccessRate)})` });
  if (j.guestsVanished) checks.push({ endpoint: 'journey', check: 'journey-success', ok: false, detail: `${j.guestsVanished.count} guests' sessions vanished right after joining (the server answered 404 after a 200 join)` });
  if (j.selfListedRate !== null) {
    checks.push({ endpoint: 'journey', check: 'self-listed', ok: j.selfListedRate >= b.minSelfListedRate, detail: `own session listed in ${pct(j.selfListedRate)} of GET /call polls while in the call (budget ${pct(b.minSelfListedRate)})` });
  }
  return checks;
}

export function evaluate(summary: RunSummary, stats: Record<string, EndpointStats>, all: Budgets, baseline: Baseline | null, opts: GateOptions): Check[] {
  const budgets = all.endpoints;
  const checks: Check[] = journeyChecks(summary, all.journeys);
  // Endpoints a run cannot use are not required: no moderator, no rings or participant lists; with an
  // HPB, no internal signaling.
  const unused = new Set<string>([
    ...(summary.load['moderator'] === false ? ['call_ring', 'room_participants'] : []),
    // No user to ring (a URL target without --ring-user): the workload makes no ring.
    ...(summary.load['ring'] === false ? ['call_ring'] : []),
    ...(summary.hpb ? ['signaling_send', 'signaling_poll'] : []),
  ]);
  const required = ENDPOINT_IDS.filter((id) => budgets[id].minSamples > 0 && !unused.has(id));
  const ids = new Set<string>([...Object.keys(summary.endpoints), ...required]);
  for (const id of [...ids].sort()) {
    if (!isEndpointId(id)) continue;
    const b = budgets[id];
    const e = summary.endpoints[id];
    const n = e?.requests ?? 0;
    if ((b.minSamples > 0 && !unused.has(id)) || n > 0) {
      checks.push({ endpoint: id, check: 'samples', ok: n >= b.minSamples, detail: `${n} requests (minimum ${b.minSamples})` });
    }
    if (!e || n === 0) continue;
    if (b.p95Ms !== undefined) checks.push({ endpoint: id, check: 'p95', ok: e.latencyMs.p95 <= b.p95Ms, detail: `p95 ${f1(e.latencyMs.p95)} ms (budget ${b.p95Ms} ms)` });
    if (b.p99Ms !== undefined) checks.push({ endpoint: id, check: 'p99', ok: e.latencyMs.p99 <= b.p99Ms, detail: `p99 ${f1(e.latencyMs.p99)} ms (budget ${b.p99Ms} ms)` });
    const rate = e.unexpected / n;
    checks.push({ endpoint: id, check: 'error-rate', ok: rate <= b.errorRate, detail: `error rate ${(rate * 100).toFixed(2)} % (budget ${(b.errorRate * 100).toFixed(2)} %)` });
    const codes = statusText(e.unexpectedStatuses);
    checks.push({ endpoint: id, check: 'unexpected', ok: e.unexpected <= b.maxUnexpected, detail: `${e.unexpected} unexpected${codes ? ` (${codes})` : ''} (allowed ${b.maxUnexpected})` });
    const throttled = e.throttled + e.tooManyRequests;
    checks.push({ endpoint: id, check: 'throttled', ok: throttled <= b.maxThrottled, detail: `${e.throttled} throttled, ${e.tooManyRequests}×429 (allowed ${b.maxThrottled})` });

    // Long-polls are held by design; their latency says nothing about a regression.
    if (!HELD_ENDPOINT_IDS.includes(id)) checks.push(...regressionChecks(id, stats[id], baseline?.endpoints[id], opts));
  }
  if (summary.hpb) checks.push(...hpbChecks(summary.hpb, stats, all.hpb, baseline, opts));
  return checks;
}

/** A quantile regressed: its interval's low bound above the baseline's high bound (grown by the tolerance), by more than the minimum effect. */
function regressionChecks(id: string, cur: EndpointStats | undefined, base: EndpointStats | undefined, opts: GateOptions): Check[] {
  const checks: Check[] = [];
  if (!base || !cur || cur.n === 0 || base.n === 0) return checks;
  for (const q of ['p50', 'p95'] as const) {
    if (cur.n < MIN_SAMPLES[q] || base.n < MIN_SAMPLES[q]) continue;
    const limit = base[q].high * (1 + (q === 'p50' ? opts.tolerance : opts.tailTolerance));
    const regressed = cur[q].low > limit && cur[q].value - base[q].value > opts.minEffectMs;
    const pct = base[q].value > 0 ? ((cur[q].value / base[q].value - 1) * 100).toFixed(0) : 'n/a';
    checks.push({
      endpoint: id,
      check: q === 'p50' ? 'regression-p50' : 'regression-p95',
      ok: !regressed,
      detail: `${q} ${f1(cur[q].value)} ms [${f1(cur[q].low)}-${f1(cur[q].high)}] vs baseline ${f1(base[q].value)} ms [${f1(base[q].low)}-${f1(base[q].high)}], ${pct} %; regressed when the low bound exceeds ${f1(limit)} ms by more than ${opts.minEffectMs} ms`,
    });
  }
  return checks;
}

/** With an HPB: step latencies and propagation against budgets (and the baseline), unexpected outcomes and closes. */
function hpbChecks(h: NonNullable<RunSummary['hpb']>, stats: Record<string, EndpointStats>, b: HpbGateBudget, baseline: Baseline | null, opts: GateOptions): Check[] {
  const checks: Check[] = [];
  const steps: [string, LatencyMs | null, number, number | null][] = [
    ['hpb_hello', h.helloMs, b.helloP95Ms, null],
    ['hpb_room_join', h.roomJoinMs, b.roomP95Ms, null],
    ['hpb_call_join_propagation', h.callJoinPropagationMs, b.propagationP95Ms, b.propagationP99Ms],
    ['hpb_flags_propagation', h.flagsPropagationMs, b.propagationP95Ms, b.propagationP99Ms],
  ];
  for (const [id, l, p95, p99] of steps) {
    if (l === null) continue;
    checks.push({ endpoint: id, check: 'p95', ok: l.p95 <= p95, detail: `p95 ${f1(l.p95)} ms (budget ${p95} ms)` });
    if (p99 !== null) checks.push({ endpoint: id, check: 'p99', ok: l.p99 <= p99, detail: `p99 ${f1(l.p99)} ms (budget ${p99} ms)` });
    checks.push(...regressionChecks(id, stats[id], baseline?.endpoints[id], opts));
  }
  const steps2 = Object.entries(h.unexpectedByStep).map(([step, codes]) => `${step} (${statusText(codes)})`).join(', ');
  checks.push({ endpoint: 'hpb', check: 'unexpected', ok: h.unexpected <= b.maxUnexpected, detail: `${h.unexpected} unexpected HPB outcomes${steps2 ? `: ${steps2}` : ''} (allowed ${b.maxUnexpected})` });
  const closes = Object.values(h.unexpectedCloses).reduce((a, c) => a + c, 0);
  checks.push({ endpoint: 'hpb', check: 'unexpected', ok: closes <= b.maxUnexpectedCloses, detail: `${closes} WebSocket closes by the HPB${closes ? ` (codes ${statusText(h.unexpectedCloses)})` : ''} (allowed ${b.maxUnexpectedCloses})` });
  return checks;
}

export function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`no ${what} at ${file}`);
  }
  return parseUserJson(text, `${what} ${file} is not valid JSON (truncated?)`);
}

/**
 * Budgets without p95/p99 limits: statuses, errors, throttling and samples only. The fixed latency
 * budgets suit the simulator's workload, not a given server: against a real target they come from
 * the user's budgets file or a baseline of that target (issue 24 item 9).
 */
export function withoutLatencyBudgets(b: Budgets): Budgets {
  const endpoints = { ...b.endpoints };
  for (const id of Object.keys(endpoints) as (keyof typeof endpoints)[]) {
    const { p95Ms: _p95, p99Ms: _p99, ...rest } = endpoints[id];
    endpoints[id] = rest;
  }
  return { ...b, endpoints };
}
