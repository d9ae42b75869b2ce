// The prober's metrics, on a registry of its own (tests get a fresh one each time). Labels are
// bounded: target name (from the config), endpoint id, method, code (HTTP status or error class).

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const PROBE_METRICS = {
  duration: 'talkprobe_request_duration_seconds',
  requests: 'talkprobe_requests_total',
  unexpected: 'talkprobe_unexpected_status_total',
  ttfb: 'talkprobe_time_to_first_byte_seconds',
  journeySuccess: 'talkprobe_journey_success',
  journeyDuration: 'talkprobe_journey_duration_seconds',
  lastSuccess: 'talkprobe_last_success_timestamp_seconds',
  journeys: 'talkprobe_journeys_total',
  buildInfo: 'talkprobe_build_info',
  hpbStepDuration: 'talkprobe_hpb_step_duration_seconds',
  hpbFailures: 'talkprobe_hpb_failures_total',
  hpbSelfListed: 'talkprobe_hpb_self_listed',
  guestVanished: 'talkprobe_guest_vanished_total',
} as const;

/** HPB steps of the probe journey: the `step` label. */
export const HPB_PROBE_STEPS = ['connect', 'hello', 'room', 'call_propagation', 'flags_propagation', 'leave'] as const;
export type HpbProbeStep = (typeof HPB_PROBE_STEPS)[number];

/**
 * Talk call endpoints answer in 15-60 ms on a small healthy server (reference 9b), seconds when
 * php-fpm workers are exhausted, and 25 s under brute-force throttling: fine below 100 ms, then
 * coarser up to the step timeout.
 */
export const DURATION_BUCKETS = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const requestLabels = ['target', 'endpoint', 'method', 'code'] as const;
const durationLabels = ['target', 'endpoint', 'method'] as const;
const unexpectedLabels = ['target', 'endpoint', 'code'] as const;
const targetLabels = ['target'] as const;
const journeyLabels = ['target', 'result'] as const;

export interface ProbeMetrics {
  readonly registry: Registry;
  readonly duration: Histogram<(typeof durationLabels)[number]>;
  readonly requests: Counter<(typeof requestLabels)[number]>;
  readonly unexpected: Counter<(typeof unexpectedLabels)[number]>;
  readonly ttfb: Gauge<(typeof durationLabels)[number]>;
  readonly journeySuccess: Gauge<(typeof targetLabels)[number]>;
  readonly journeyDuration: Gauge<(typeof targetLabels)[number]>;
  readonly lastSuccess: Gauge<(typeof targetLabels)[number]>;
  readonly journeys: Counter<(typeof journeyLabels)[number]>;
  readonly hpbStepDuration: Histogram<'target' | 'step'>;
  readonly hpbFailures: Counter<'target' | 'step' | 'code'>;
  readonly hpbSelfListed: Gauge<'target'>;
  readonly guestVanished: Counter<'target'>;
}

export function createProbeMetrics(opts: { version: string; processMetrics: boolean }): ProbeMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  new Gauge({ name: PROBE_METRICS.buildInfo, help: 'talkload prober build, value 1.', labelNames: ['version', 'nodejs'] as const, registers }).set(
    { version: opts.version, nodejs: process.version },
    1,
  );
  return {
    registry,
    duration: new Histogram({ name: PROBE_METRICS.duration, help: 'Time of one request of the journey, by endpoint id, in seconds.', labelNames: durationLabels, buckets: DURATION_BUCKETS, registers }),
    requests: new Counter({ name: PROBE_METRICS.requests, help: 'Requests made, by endpoint id, method and code (HTTP status or error class).', labelNames: requestLabels, registers }),
    unexpected: new Counter({ name: PROBE_METRICS.unexpected, help: "Answers whose code is not in the catalogue's expected set for that step.", labelNames: unexpectedLabels, registers }),
    ttfb: new Gauge({ name: PROBE_METRICS.ttfb, help: 'Time to the response headers of the last request, by endpoint id, in seconds.', labelNames: durationLabels, registers }),
    journeySuccess: new Gauge({ name: PROBE_METRICS.journeySuccess, help: 'Whether the last journey succeeded (1) or not (0).', labelNames: targetLabels, registers }),
    journeyDuration: new Gauge({ name: PROBE_METRICS.journeyDuration, help: 'Duration of the last journey, in seconds.', labelNames: targetLabels, registers }),
    lastSuccess: new Gauge({ name: PROBE_METRICS.lastSuccess, help: 'Unix time of the last successful journey, in seconds.', labelNames: targetLabels, registers }),
    journeys: new Counter({ name: PROBE_METRICS.journeys, help: 'Journeys run, by result (success, failure).', labelNames: journeyLabels, registers }),
    hpbStepDuration: new Histogram({
      name: PROBE_METRICS.hpbStepDuration,
      help: 'With an HPB: time of each step of the journey on the WebSocket (connect, hello, room) and of propagation (OCS request to the HPB event), in seconds.',
      labelNames: ['target', 'step'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    hpbFailures: new Counter({ name: PROBE_METRICS.hpbFailures, help: 'With an HPB: steps that failed, by step and code (HPB error code, timeout, closed, bye_<reason>).', labelNames: ['target', 'step', 'code'] as const, registers }),
    guestVanished: new Counter({ name: PROBE_METRICS.guestVanished, help: "Journeys whose guest got 404 right after a join that answered 200: the server removed its session (counted once, not as unexpected statuses).", labelNames: targetLabels, registers }),
    hpbSelfListed: new Gauge({ name: PROBE_METRICS.hpbSelfListed, help: 'With an HPB: whether GET /call still listed the probe after its last long stay (1) or not (0): the HPB ping path.', labelNames: targetLabels, registers }),
  };
}
