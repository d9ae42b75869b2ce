// The pause of a guest whose journey failed, before its VU starts the next one. Runtime-neutral.

/**
 * A guest whose journey failed early waits before its VU starts the next one, doubling per failure
 * in a row (1 s, 2 s, 4 s ... 30 s), so that k6's iteration loop never becomes a tight retry loop
 * against a failing server (issue 24: 4 guests made 1,453 joins in 5 s). Counted per VU by the
 * journey (each VU is its own JS runtime), reset by a journey that succeeds.
 */
export const FAILURE_PAUSE_MS = { first: 1000, max: 30_000 } as const;

/** The pause after a failed journey that lasted `elapsedMs` of a planned `stayMs`. */
export function failurePauseMs(failures: number, elapsedMs: number, stayMs: number, random: () => number): number {
  if (failures <= 0) return 0;
  const backoff = Math.min(FAILURE_PAUSE_MS.max, FAILURE_PAUSE_MS.first * 2 ** Math.min(failures - 1, 16));
  // A failure that came late in a full stay is no tight loop; one that came at once waits.
  if (elapsedMs >= stayMs && elapsedMs >= backoff) return 0;
  // Jittered upwards only, so that the floor holds: never more than one journey a second per guest.
  return Math.round(backoff * (1 + random() * 0.4));
}
