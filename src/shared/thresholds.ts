// The thresholds of a run, as data: k6 options are built from them, and a run split over several
// k6 processes is judged on its merged samples with the same list. Runtime-neutral.

import { BUDGETS, HPB_BUDGET, JOURNEY_BUDGET, POLL_ERROR_RATE } from './budgets.ts';
import { isArrivalRate, type ProfileName } from './load.ts';
import { K6Metric } from './metric-names.ts';

export function thresholdSpec(opts: { readonly profile: ProfileName; readonly moderator: boolean; readonly signaling?: 'auto' | 'internal' | 'hpb' }): Record<string, string[]> {
  const t: Record<string, string[]> = {};
  for (const [id, b] of Object.entries(BUDGETS)) {
    if (!opts.moderator && (id === 'call_ring' || id === 'room_participants')) continue;
    t[`http_req_duration{name:${id}}`] = [`p(95)<${b.p95Ms}`, `p(99)<${b.p99Ms}`];
    t[`http_req_failed{name:${id}}`] = [`rate<${b.errorRate}`];
  }
  t['http_req_failed{name:signaling_poll}'] = [`rate<${POLL_ERROR_RATE}`];
  t[K6Metric.unexpectedStatus] = ['count==0'];
  t[K6Metric.tooManyRequests] = ['count==0'];
  // A guest removed by the server right after it joined is a failure of the server, counted once.
  t[K6Metric.guestVanished] = ['count==0'];
  t[K6Metric.journeySuccess] = [`rate>=${JOURNEY_BUDGET.minSuccessRate}`];
  // Rates judge only what happened: a run in which no guest finished, or none got into a call, fails.
  t[K6Metric.journeysEnded] = [`count>=${JOURNEY_BUDGET.minCount}`];
  t[K6Metric.callJoins] = [`count>=${JOURNEY_BUDGET.minCount}`];
  // Every peer poll of a guest in the call must list the guest itself.
  t[K6Metric.selfListed] = [`rate>=${JOURNEY_BUDGET.minSelfListedRate}`];
  if (opts.signaling !== 'internal') {
    // With an HPB (k6 judges no metric without samples, so these are inert on internal signaling).
    t[K6Metric.hpbHello] = [`p(95)<${HPB_BUDGET.helloP95Ms}`];
    t[K6Metric.hpbRoom] = [`p(95)<${HPB_BUDGET.roomP95Ms}`];
    t[K6Metric.callPropagation] = [`p(95)<${HPB_BUDGET.propagationP95Ms}`, `p(99)<${HPB_BUDGET.propagationP99Ms}`];
    t[K6Metric.flagsPropagation] = [`p(95)<${HPB_BUDGET.propagationP95Ms}`, `p(99)<${HPB_BUDGET.propagationP99Ms}`];
    t[K6Metric.hpbUnexpected] = ['count==0'];
    t[K6Metric.hpbCloses] = ['count==0'];
    // The generator itself was too busy to keep the HPB's hello limit: the run measured k6, not the HPB.
    t[K6Metric.hpbGeneratorLate] = ['count==0'];
    // A server that sends no welcome breaks the web client (it waits 3 s for one, the HPB closes at
    // 2 s). k6 itself drops up to one welcome in 10,000, so a run of fewer than 20 guests fails on
    // such a drop about once in 500 runs, a larger one practically never.
    t[K6Metric.hpbWelcomeMissing] = [`rate<${HPB_BUDGET.maxWelcomeMissingRate}`];
  }
  if (isArrivalRate(opts.profile)) t['dropped_iterations'] = ['count<1'];
  return t;
}
