// Latency and error budgets per endpoint id: k6 thresholds are built from them, and the CI gate
// reads the same numbers. Milliseconds; error rate is the share of responses outside the step's
// expected statuses. Runtime-neutral.

import type { EndpointId } from './endpoints.ts';

export interface Budget {
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Share of responses that may be unexpected (0.01 = 1 %). */
  readonly errorRate: number;
}

/** Generous enough for a 2-core staging server (reference 9b: medians 18-35 ms per step at low load). */
const CALL: Budget = { p95Ms: 500, p99Ms: 1000, errorRate: 0.01 };
const ROOM: Budget = { p95Ms: 800, p99Ms: 1500, errorRate: 0.01 };

export const BUDGETS: Readonly<Partial<Record<EndpointId, Budget>>> = {
  capabilities: ROOM,
  room_join: ROOM,
  room_leave: ROOM,
  guest_name: ROOM,
  signaling_settings: ROOM,
  signaling_send: ROOM,
  call_peers: CALL,
  call_join: CALL,
  call_flags: CALL,
  call_ring: CALL,
  call_leave: CALL,
  room_participants: ROOM,
};

/**
 * With an HPB: how long a guest may take to say hello and join the HPB room, and how long a change
 * may take to reach the others (propagation: from the OCS request to the HPB's event). On loopback
 * both are milliseconds; a second is where a call starts to feel broken.
 */
export const HPB_BUDGET = {
  helloP95Ms: 1000,
  roomP95Ms: 1000,
  propagationP95Ms: 1000,
  propagationP99Ms: 2000,
  /** WebSockets that opened and saw no welcome (see K6Metric.hpbWelcomeMissing). */
  maxWelcomeMissingRate: 0.05,
} as const;

/** The long-poll is held by design (up to 30 s): only its error rate has a budget. */
export const POLL_ERROR_RATE = 0.01;

/**
 * Whole-journey budgets: a run whose guests fail their journeys, or do not find themselves in the
 * call they joined, is broken whatever the per-endpoint figures say; and a run in which (almost) no
 * journeys happened (a hung server) judged nothing. k6 thresholds and the gate read the same numbers.
 */
export const JOURNEY_BUDGET = {
  /** Share of guest journeys that must succeed. */
  minSuccessRate: 0.99,
  /** Share of peer polls, while in the call, that must list the guest itself. */
  minSelfListedRate: 0.99,
  /** Journeys that must have completed (succeeded or not) for a verdict. */
  minCount: 1,
} as const;
