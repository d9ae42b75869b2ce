// The load inputs' ranges, in one place: the CLI (run, k8s) refuses a value outside them as a usage
// error before anything starts, and the k6 script checks the same ranges when run directly.

export interface Limit {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

export const LIMITS = {
  /** Concurrent (or peak) guests: k6 holds about 1 MB per VU; beyond this, use the k6-operator. */
  guests: { min: 1, max: 100_000, integer: true },
  /** Guests per call (Talk's large calls reach about 1000). */
  callSize: { min: 1, max: 1000, integer: true },
  /** Joins per second at the peak of spike and breakpoint. */
  joinRate: { min: 0.1, max: 10_000, integer: false },
  /** Guests one VU carries at once. */
  guestsPerVu: { min: 1, max: 100, integer: true },
  /** Seed for the guests' choices; 0 means not seeded. */
  seed: { min: 0, max: 2 ** 31, integer: true },
  /** k6 processes side by side on this machine (talkload run --instances). */
  instances: { min: 1, max: 64, integer: true },
} as const satisfies Record<string, Limit>;
