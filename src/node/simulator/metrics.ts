// The simulator's own Prometheus metrics, on a registry of its own.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Timeouts } from '../../shared/constants.ts';
import { SimMetric } from '../../shared/metric-names.ts';
import type { Capacity } from './capacity.ts';
import type { TalkState } from './state.ts';

const labelNames = ['endpoint', 'method', 'code'] as const;

export class SimMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<(typeof labelNames)[number]>;
  readonly duration: Histogram<'endpoint'>;
  waitingPolls = 0;
  readonly hpbNotifyDuration: Histogram<'type'>;
  readonly hpbNotifyFailures: Counter<'type' | 'code'>;
  readonly backendRequests: Counter<'type' | 'result'>;
  readonly pingBatchSize: Histogram;
  private readonly counters = new Map<string, { inc(): void }>();
  private readonly histograms = new Map<string, { observe(v: number): void }>();

  /** Hot path: label children are looked up once per label set, not hashed per request. */
  observe(endpoint: string, method: string, code: number | string, seconds: number | null): void {
    const key = `${endpoint} ${method} ${code}`;
    let c = this.counters.get(key);
    if (!c) {
      c = this.requests.labels({ endpoint, method, code: String(code) });
      this.counters.set(key, c);
    }
    c.inc();
    if (seconds === null) return;
    let h = this.histograms.get(endpoint);
    if (!h) {
      h = this.duration.labels({ endpoint });
      this.histograms.set(endpoint, h);
    }
    h.observe(seconds);
  }

  /** Talk -> HPB notification done (ExternalSignaling's observer). */
  notified(type: string, seconds: number, failure: string | null): void {
    this.hpbNotifyDuration.labels({ type }).observe(seconds);
    if (failure !== null) this.hpbNotifyFailures.labels({ type, code: failure }).inc();
  }

  backendRequest(type: string, result: string, pingBatch: number | undefined): void {
    this.backendRequests.labels({ type, result }).inc();
    if (pingBatch !== undefined) this.pingBatchSize.observe(pingBatch);
  }

  constructor(state: TalkState, capacity: Capacity | null) {
    const registers = [this.registry];
    this.hpbNotifyDuration = new Histogram({
      name: SimMetric.hpbNotifyDuration,
      help: 'Talk -> HPB notifications (room API), by message type; the OCS request waits for them.',
      labelNames: ['type'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.hpbNotifyFailures = new Counter({ name: SimMetric.hpbNotifyFailures, help: 'Talk -> HPB notifications that failed, by type and HTTP status or error class.', labelNames: ['type', 'code'] as const, registers });
    this.backendRequests = new Counter({ name: SimMetric.backendRequests, help: 'HPB -> Talk backend requests, by type (auth, room, ping, unknown) and result (ok or the error code).', labelNames: ['type', 'result'] as const, registers });
    this.pingBatchSize = new Histogram({ name: SimMetric.pingBatchSize, help: 'Sessions per HPB ping request.', buckets: [1, 5, 10, 25, 50, 100, 150, 200, 500], registers });
    this.requests = new Counter({ name: SimMetric.requests, help: 'Requests answered, by endpoint id, method and status code.', labelNames, registers });
    this.duration = new Histogram({
      name: SimMetric.duration,
      help: 'Time from request to answer, by endpoint id (long-polls included).',
      labelNames: ['endpoint'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const self = this;
    new Gauge({ name: SimMetric.sessions, help: 'Talk sessions.', registers, collect() { this.set(state.sessionsById.size); } });
    new Gauge({ name: SimMetric.rooms, help: 'Conversations.', registers, collect() { this.set(state.rooms.size); } });
    new Gauge({ name: SimMetric.longPolls, help: 'Signaling long-polls being held.', registers, collect() { this.set(self.waitingPolls); } });
    new Gauge({ name: SimMetric.workersBusy, help: 'Workers in use (capacity model).', registers, collect() { this.set(capacity?.workers.inUse ?? 0); } });
    new Gauge({ name: SimMetric.queue, help: 'Requests waiting for a worker (capacity model).', registers, collect() { this.set(capacity?.workers.queued ?? 0); } });
    // Nextcloud counts in-call sessions pinged within 60 s (GET /call uses 30 s).
    new Gauge({
      name: SimMetric.activeCalls,
      help: 'Rooms with a call running (as Nextcloud 33 /metrics).',
      registers,
      collect() {
        let n = 0;
        for (const r of state.rooms.values()) if (r.activeSince !== 0) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: SimMetric.inCallSessions,
      help: 'Sessions in a call pinged within 60 s (as Nextcloud 33 /metrics).',
      registers,
      collect() {
        const limit = state.nowSec() - Timeouts.metricsInCallSeconds;
        let n = 0;
        for (const s of state.sessionsById.values()) if (s.inCall !== 0 && s.lastPing >= limit) n++;
        this.set(n);
      },
    });
  }
}
