// A/B comparison of two targets measured in alternating rounds (ABBA...): what the machine does to
// one side in a minute it does to the other in the next, and a linear drift cancels. Per endpoint:
// the median and the p95 compared pair of rounds by pair of rounds (B's i-th round against A's i-th),
// the error rate (Wilson intervals) and statuses B answers that A never did.
//
// Why pairs of rounds, not the pooled requests: requests of one round are not independent (a busy
// minute slows them all), so an interval over pooled requests is too sure of itself and one bad
// round passes for a regression (measured: an A/A comparison beside a CPU hog). The unit is the
// pair: its difference of medians; the interval of the median difference is the Wilcoxon
// signed-rank one over Walsh averages, distribution-free (Hollander and Wolfe, Nonparametric
// Statistical Methods, 3.2). A verdict needs both: the estimate beyond the minimum effect (a change
// worth failing a build for) and the interval beyond half of it (changes that small ruled out).
// Asking the whole interval to clear the minimum effect missed a 10 % slowdown of a 27 ms endpoint
// beside a CPU hog (issue 16: +2.5 ms [+1.9, +3.1] against a 2 ms margin); asking only that the
// interval clear zero doubled the false alarms of a noisy server (seeded log-normal rounds).

import { HELD_ENDPOINT_IDS } from '../../shared/endpoints.ts';
import { percentile, statusText, type EndpointSummary } from '../run/results.ts';
import { MIN_SAMPLES } from '../gate/gate.ts';

export type Measure = 'median' | 'p95' | 'error-rate' | 'unexpected';
export type Verdict = 'regressed' | 'improved' | 'no change';

export interface Comparison {
  readonly endpoint: string;
  readonly measure: Measure;
  readonly verdict: Verdict;
  /** B minus A, in ms for latencies and in percentage points for the error rate. */
  readonly difference: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** Latencies: A's and B's figure (ms) and the minimum effect (ms) the estimate must exceed. */
  readonly a?: number;
  readonly b?: number;
  readonly effect?: number;
  readonly detail: string;
}

export interface CompareOptions {
  /** A difference below this share of A's figure is no change (0.05 = 5 %). */
  readonly minEffectPct: number;
  /** A difference below this is no change, ms. */
  readonly minEffectMs: number;
}

export interface ShiftCI {
  /** Hodges-Lehmann estimate of how much more B takes than A, ms. */
  readonly shift: number;
  readonly low: number;
  readonly high: number;
}

/**
 * The largest t with P(T <= t) <= alpha for the signed-rank statistic T of n pairs under "no
 * change" (exact, by counting rank subsets), or -1 when even T = 0 is likelier than alpha (n < 5).
 */
export function signedRankCritical(n: number, alpha = 0.05): number {
  const max = (n * (n + 1)) / 2;
  const ways = new Float64Array(max + 1);
  ways[0] = 1;
  for (let rank = 1; rank <= n; rank++) for (let t = max; t >= rank; t--) ways[t]! += ways[t - rank]!;
  let cumulative = 0;
  for (let t = 0; t <= max; t++) {
    cumulative += ways[t]! / 2 ** n;
    if (cumulative > alpha) return t - 1;
  }
  return max;
}

/**
 * Median of pair differences with a two-sided 90 % interval (one-sided 95 % each way): the
 * Hodges-Lehmann estimate and the Walsh averages the signed-rank distribution puts at the bounds.
 * Below five pairs the interval is [smallest, largest] Walsh average (all pairs must agree).
 */
export function pairedShift(differences: readonly number[]): ShiftCI | null {
  const n = differences.length;
  if (n === 0) return null;
  const walsh: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) walsh.push((differences[i]! + differences[j]!) / 2);
  walsh.sort((x, y) => x - y);
  const c = Math.max(0, signedRankCritical(n));
  const mid = walsh.length / 2;
  const shift = walsh.length % 2 === 1 ? walsh[Math.floor(mid)]! : (walsh[mid - 1]! + walsh[mid]!) / 2;
  return { shift, low: walsh[c]!, high: walsh[walsh.length - 1 - c]! };
}

/** Wilson 95 % interval of a proportion. */
export function wilson(k: number, n: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const z = 1.96;
  const p = k / n;
  const den = 1 + (z * z) / n;
  const mid = (p + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return { low: Math.max(0, mid - half), high: Math.min(1, mid + half) };
}

const f1 = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${f1(v)}`;

export interface Side {
  /** Pooled, sorted latencies per endpoint, ms. */
  readonly latencies: ReadonlyMap<string, Float64Array>;
  readonly endpoints: Readonly<Record<string, EndpointSummary>>;
}

/**
 * A round's p95 from fewer requests than this is its slowest two or three: a scheduler hiccup, not
 * the endpoint. Such p95s are not compared (beside a CPU hog, p95s of 30-40 requests a round called
 * a healthy `signaling_settings` +18 % and `call_join` +19 %, issue 16). Likewise a round's median
 * of one or two requests (set-up and tear-down: a healthy `room_delete` +43 % beside the hog).
 */
export const MIN_PER_ROUND = { median: 5, p95: 50 } as const;

/** B's quantile q minus A's, for each pair of rounds; null when a round has too few requests. */
function pairDifferences(pairs: readonly (readonly [Side, Side])[], id: string, q: number, min: number): number[] | null {
  const out: number[] = [];
  for (const [pa, pb] of pairs) {
    const la = pa.latencies.get(id);
    const lb = pb.latencies.get(id);
    if (!la || !lb || la.length < min || lb.length < min) return null;
    out.push(percentile(lb, q) - percentile(la, q));
  }
  return out;
}

/** How far the interval must be from zero: half the effect; all of it below five pairs (no 90 % interval). */
const marginOf = (effect: number, pairs: number): number => (pairs < 5 ? effect : effect / 2);

/** A latency shift's verdict: the estimate beyond the minimum effect and the interval beyond the margin. */
export function shiftVerdict(s: ShiftCI, effect: number, pairs: number): Verdict {
  const margin = marginOf(effect, pairs);
  return s.shift > effect && s.low > margin ? 'regressed' : s.shift < -effect && s.high < -margin ? 'improved' : 'no change';
}

/**
 * Every comparison of B against A, endpoint by endpoint: `a` and `b` pool all rounds of a side,
 * `pairs` are the rounds side by side (A's i-th round with B's i-th). Sorted by endpoint then measure.
 */
export function compareSides(a: Side, b: Side, opts: CompareOptions, pairs: readonly (readonly [Side, Side])[] = [[a, b]]): Comparison[] {
  const out: Comparison[] = [];
  const ids = [...new Set([...Object.keys(a.endpoints), ...Object.keys(b.endpoints)])].sort();
  for (const id of ids) {
    const ea = a.endpoints[id];
    const eb = b.endpoints[id];
    const la = a.latencies.get(id) ?? new Float64Array(0);
    const lb = b.latencies.get(id) ?? new Float64Array(0);
    // Long-polls are held by design; their latency says nothing about a regression.
    for (const [measure, q, min] of [['median', 0.5, MIN_SAMPLES.p50], ['p95', 0.95, MIN_SAMPLES.p95]] as const) {
      if ((HELD_ENDPOINT_IDS as readonly string[]).includes(id) || la.length < min || lb.length < min) continue;
      const d = pairDifferences(pairs, id, q, MIN_PER_ROUND[measure]);
      if (d === null) continue;
      const s = pairedShift(d)!;
      const base = percentile(la, q);
      const effect = Math.max(opts.minEffectPct * base, opts.minEffectMs);
      const margin = marginOf(effect, d.length);
      const verdict = shiftVerdict(s, effect, d.length);
      const name = measure === 'median' ? 'median' : 'p95';
      out.push({
        endpoint: id,
        measure,
        verdict,
        difference: s.shift,
        low: s.low,
        high: s.high,
        a: base,
        b: percentile(lb, q),
        effect,
        detail: `${name} ${f1(percentile(lb, q))} ms vs ${f1(base)} ms: ${signed(s.shift)} ms [${signed(s.low)}, ${signed(s.high)}] (${base > 0 ? signed((s.shift / base) * 100) : 'n/a'} %) over ${d.length} pairs of rounds; a change needs the estimate beyond ±${f1(effect)} ms and the interval beyond ±${f1(margin)}`,
      });
    }
    const na = ea?.requests ?? 0;
    const nb = eb?.requests ?? 0;
    if (na > 0 && nb > 0) {
      const ua = ea!.unexpected;
      const ub = eb!.unexpected;
      const wa = wilson(ua, na);
      const wb = wilson(ub, nb);
      const verdict: Verdict = wb.low > wa.high ? 'regressed' : wa.low > wb.high ? 'improved' : 'no change';
      const pa = (ua / na) * 100;
      const pb = (ub / nb) * 100;
      out.push({
        endpoint: id,
        measure: 'error-rate',
        verdict,
        difference: pb - pa,
        low: (wb.low - wa.high) * 100,
        high: (wb.high - wa.low) * 100,
        detail: `error rate ${pb.toFixed(2)} % of ${nb} vs ${pa.toFixed(2)} % of ${na}; a change needs the 95 % intervals apart`,
      });
    }
    // A status B answers unexpectedly and A never did is a new failure mode, however rare.
    const newOnB: Record<string, number> = {};
    for (const [status, count] of Object.entries(eb?.unexpectedStatuses ?? {})) {
      if (count > 0 && (ea?.unexpectedStatuses[status] ?? 0) === 0) newOnB[status] = count;
    }
    if (nb > 0) {
      const text = statusText(newOnB);
      out.push({
        endpoint: id,
        measure: 'unexpected',
        verdict: text ? 'regressed' : 'no change',
        difference: null,
        low: null,
        high: null,
        detail: text ? `B answered ${text} unexpectedly; A never did` : `no unexpected status on B that A did not have`,
      });
    }
  }
  return out;
}
