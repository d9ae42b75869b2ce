// Figures of a saturated run from an access log (the real runs' nginx CSV or the simulator's
// --access-log): the ones issue 26 compares real and simulated servers by. Server side, so the
// real data and the simulator are read by the same lines.

import { ACCESS_LOG_HEADER } from './access-log.ts';
import { percentile } from '../run/results.ts';

export interface AccessRow {
  readonly start: number;
  /** Seconds from the run's start (the log's own origin). */
  readonly startS: number;
  readonly end: number;
  readonly status: number;
  readonly method: string;
  readonly endpoint: string;
}

export class AccessLogError extends Error {}

export function parseAccessLog(text: string, file = 'access log'): AccessRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== ACCESS_LOG_HEADER) throw new AccessLogError(`${file} is not an access log (first line is not "${ACCESS_LOG_HEADER}")`);
  return lines.slice(1).map((line, i) => {
    const f = line.split(',');
    const [start, end, status] = [Number(f[0]), Number(f[1]), Number(f[4])];
    if (f.length < 7 || !Number.isFinite(start) || !Number.isFinite(end) || !Number.isInteger(status)) {
      throw new AccessLogError(`${file} line ${i + 2} is not a request row`);
    }
    return { start, startS: Number(f[2]), end, status, method: f[5]!, endpoint: f[6]! };
  });
}

export interface Stall {
  /** Seconds from the run's start, as the log counts them. */
  readonly from: number;
  readonly to: number;
}

/**
 * Stretches of at least `minSeconds` in which requests were waiting or held and not one of them
 * completed: the "nothing moved for 30 s" of the real data (all workers held long-polls with
 * nothing pending).
 */
export function accessStalls(rows: readonly AccessRow[], minSeconds = 20): Stall[] {
  if (rows.length === 0) return [];
  const origin = rows[0]!.start - (Number.isFinite(rows[0]!.startS) ? rows[0]!.startS : 0);
  const ends = rows.map((r) => r.end).sort((a, b) => a - b);
  const out: Stall[] = [];
  for (let i = 1; i < ends.length; i++) {
    const [a, b] = [ends[i - 1]!, ends[i]!];
    if (b - a < minSeconds) continue;
    // Something in flight across the whole gap: a quiet stretch with no requests is not a stall.
    if (rows.some((r) => r.start <= a + 1 && r.end >= b)) out.push({ from: a - origin, to: b - origin });
  }
  return out;
}

export interface SaturationFigures {
  readonly requests: number;
  readonly flagChanges: number;
  readonly callJoins: number;
  readonly stalls: readonly Stall[];
  /** Server side, ms. */
  readonly callPeersP50Ms: number | null;
  readonly polls: number;
  /** Polls answered 5xx ("database is locked" in the real SQLite run). */
  readonly pollErrors: number;
  /** Share of signaling polls that ended within 5 s, 0-1. */
  readonly pollsWithin5s: number | null;
}

/**
 * The real logs hold the signaling and call requests only (and capabilities); the simulator's hold
 * every request. Figures come from the same subset of both, so that a stall is "no signaling or call
 * request completed", as in the real data.
 */
const COMPARED = /^(signaling_|call_)/;

export function saturationFigures(all: readonly AccessRow[]): SaturationFigures {
  const rows = all.filter((r) => COMPARED.test(r.endpoint));
  const of = (endpoint: string, status?: number): AccessRow[] => rows.filter((r) => r.endpoint === endpoint && (status === undefined || r.status === status));
  const polls = of('signaling_poll');
  // As k6 and the data's analysis.md compute a median: interpolated between the closest ranks.
  const peers = Float64Array.from(of('call_peers').map((r) => r.end - r.start)).sort();
  const pollErrors = polls.filter((r) => r.status >= 500).length;
  return {
    pollErrors,
    requests: rows.length,
    flagChanges: of('call_flags', 200).length,
    callJoins: of('call_join', 200).length,
    stalls: accessStalls(rows),
    callPeersP50Ms: peers.length === 0 ? null : Math.round(percentile(peers, 0.5) * 1000),
    polls: polls.length,
    pollsWithin5s: polls.length === 0 ? null : polls.filter((r) => r.end - r.start <= 5).length / polls.length,
  };
}

export function figuresLine(name: string, f: SaturationFigures): string {
  const stalls = f.stalls.map((s) => `${Math.round(s.from)}-${Math.round(s.to)} s`).join(', ');
  return (
    `${name}: ${f.stalls.length} stalls${stalls ? ` (${stalls})` : ''}, ${f.flagChanges} flag changes, ${f.callJoins} call joins, ` +
    `GET /call p50 ${f.callPeersP50Ms ?? '-'} ms, ${f.polls} polls (${f.pollsWithin5s === null ? '-' : Math.round(f.pollsWithin5s * 100)} % within 5 s, ${f.pollErrors} answered 5xx), ${f.requests} requests`
  );
}
