// Every metric name the project exports, in one place. k6 custom metrics carry no `k6_` prefix and
// no unit suffix: k6's Prometheus remote-write output adds those itself.

export const K6Metric = {
  /** Counter, tags endpoint/status/documented: a status outside the step's expected set. */
  unexpectedStatus: 'talk_unexpected_status',
  /** Counter, tag endpoint: responses slowed by brute-force throttling (header present). */
  throttled: 'talk_bruteforce_throttled',
  /** Counter, tag endpoint: 429 answers (brute-force maximum or a proxy). */
  tooManyRequests: 'talk_too_many_requests',
  /** Rate: whole guest journeys that completed as expected. */
  journeySuccess: 'talk_journey_success',
  /** Counter: guest journeys that ended, passed or failed (a hung target ends none). */
  journeysEnded: 'talk_journeys',
  /** Trend (time): duration of a whole guest journey. */
  journeyDuration: 'talk_journey_duration',
  /** Gauge: guests this VU sees in the call it polls (last `GET /call`). */
  peersSeen: 'talk_call_peers_seen',
  /** Counter: guests that joined the call. */
  callJoins: 'talk_call_joins',
  /** Rate: our own session was listed by `GET /call`. */
  selfListed: 'talk_self_listed',
  /**
   * Counter: our own session was not listed, but the answer came more than 29 s after the ping the
   * server last had (the long-poll was between two requests): the server's 30 s window, not a fault.
   */
  selfListedPingEdge: 'talk_self_unlisted_at_ping_edge',
  /**
   * Counter, tag endpoint: a guest whose join answered 200 got 404 on its next request (its attendee
   * or session was removed under it, e.g. by Talk's cleanGuestParticipants during a moderator's
   * participant list): one finding per guest, instead of 404s on every step after it.
   */
  guestVanished: 'talk_guest_vanished',
  /** Counter, tag reason: a guest taken out of the call by the room (lobby, read-only: 412/403/400, or its own flags 0). */
  evicted: 'talk_call_evictions',
  /** With an HPB, Trends (time): welcome to hello answer, and room request to room answer. */
  hpbHello: 'talk_hpb_hello_duration',
  hpbRoom: 'talk_hpb_room_join_duration',
  /** Trend (time): from sending `POST /call` (or `PUT /call`) to the HPB event that shows our new flags. */
  callPropagation: 'talk_hpb_call_join_propagation',
  flagsPropagation: 'talk_hpb_flags_propagation',
  /** Counter, tags step/code: an HPB step that did not go as expected (error code, timeout, refusal). */
  hpbUnexpected: 'talk_hpb_unexpected',
  /** Counter, tag code: the HPB closed a guest's WebSocket when the guest did not ask for it. */
  hpbCloses: 'talk_hpb_unexpected_closes',
  /**
   * Trend (time): from the WebSocket's open event to sending hello, the part of the HPB's 2 s hello
   * limit the guest used (the server's welcome and the generator's own event loop). The connect
   * before it (TCP and the upgrade, the server's accept) is k6's ws_connecting.
   */
  hpbHelloSent: 'talk_hpb_hello_sent_after_connect',
  /**
   * Counter, tag step: a guest's hello came past the HPB's limit, or its welcome too late, while
   * k6's event loop lagged a second or more (the guest's lag samples between connect and hello):
   * the generator's fault, counted here and not in talk_hpb_unexpected (issue 27 item 3).
   */
  hpbGeneratorLate: 'talk_hpb_generator_late',
  /**
   * Rate, per WebSocket that opened: no welcome within a second of the open event. k6/websockets
   * (v2.2.0) can drop a socket's first message (the HPB's welcome) when its reader queues it before
   * the open event: one in 10,000 to 25,000 connections here (`npm run bench:ws-first-message`), so the guest
   * says hello without it, as the web client does once its wait for a welcome runs out. A server
   * that sends no welcome shows here at 100 %.
   */
  hpbWelcomeMissing: 'talk_hpb_welcome_missing',
  /** Counters: messages and bytes the guests received from the HPB. */
  hpbEvents: 'talk_hpb_messages_received',
  hpbBytes: 'talk_hpb_bytes_received',
} as const;

/** HPB steps of a guest, the `step` tag of `talk_hpb_unexpected`. */
export const HPB_STEPS = ['settings', 'connect', 'hello', 'room', 'call_propagation', 'flags_propagation', 'leave', 'bye'] as const;
export type HpbStep = (typeof HPB_STEPS)[number];

export const SimMetric = {
  requests: 'talksim_requests_total',
  duration: 'talksim_request_duration_seconds',
  sessions: 'talksim_sessions',
  rooms: 'talksim_rooms',
  longPolls: 'talksim_signaling_polls_waiting',
  workersBusy: 'talksim_workers_busy',
  queue: 'talksim_worker_queue_length',
  /** Same names as Nextcloud 33's /metrics Talk gauges, so dashboards work on both. */
  activeCalls: 'nextcloud_talk_active_calls',
  inCallSessions: 'nextcloud_talk_in_call_sessions',
  /** External signaling: Talk -> HPB notifications and HPB -> Talk backend requests. */
  hpbNotifyDuration: 'talksim_hpb_notify_duration_seconds',
  hpbNotifyFailures: 'talksim_hpb_notify_failures_total',
  backendRequests: 'talksim_signaling_backend_requests_total',
  pingBatchSize: 'talksim_signaling_backend_ping_batch_size',
} as const;
