// k6 options for a run: the guest shape from profiles.ts, the moderator beside it, and thresholds
// per endpoint built from the shared budgets.

import type { Options } from 'k6/options';
import { BUDGETS, POLL_ERROR_RATE } from '../../shared/budgets.ts';
import { K6Metric } from '../../shared/metric-names.ts';
import { guestScenario, isArrivalRate } from '../profiles.ts';
import type { Config } from './env.ts';

export function buildOptions(cfg: Config): Options {
  const thresholds: Record<string, string[] | { threshold: string; abortOnFail: boolean }[]> = {};
  for (const [id, b] of Object.entries(BUDGETS)) {
    if (!cfg.moderator && (id === 'call_ring' || id === 'room_participants')) continue;
    thresholds[`http_req_duration{name:${id}}`] = [`p(95)<${b.p95Ms}`, `p(99)<${b.p99Ms}`];
    thresholds[`http_req_failed{name:${id}}`] = [`rate<${b.errorRate}`];
  }
  thresholds['http_req_failed{name:signaling_poll}'] = [`rate<${POLL_ERROR_RATE}`];
  thresholds[K6Metric.unexpectedStatus] = ['count==0'];
  thresholds[K6Metric.tooManyRequests] = ['count==0'];
  thresholds[K6Metric.journeySuccess] = ['rate>0.99'];
  // Every peer poll of a guest in the call must list the guest itself.
  thresholds[K6Metric.selfListed] = ['rate>0.99'];
  if (isArrivalRate(cfg.profile)) {
    thresholds['dropped_iterations'] =
      cfg.profile === 'breakpoint' ? [{ threshold: 'count<1', abortOnFail: true }] : ['count<1'];
  }
  const scenarios: NonNullable<Options['scenarios']> = {
    guests: { ...guestScenario(cfg.profile, cfg), exec: 'guest' },
  };
  if (cfg.moderator) {
    scenarios['moderator'] = {
      executor: 'constant-vus',
      vus: 1,
      duration: `${Math.max(1, Math.round(cfg.duration))}s`,
      startTime: '2s',
      gracefulStop: '30s',
      exec: 'moderator',
    };
  }
  return {
    scenarios,
    thresholds,
    setupTimeout: '300s',
    teardownTimeout: '300s',
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(95)', 'p(99)', 'count'],
    // Not a Talk mobile/desktop user agent: those are version-checked (426).
    userAgent: 'talkload/0.1 (k6)',
    // Tokens appear in URLs; the name tag (endpoint id) is what groups requests.
    systemTags: ['status', 'method', 'name', 'group', 'check', 'error', 'error_code', 'scenario', 'expected_response'],
  };
}
