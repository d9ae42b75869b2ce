// Custom k6 metrics, declared once in the init context. Names come from the shared catalogue.

import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
import { K6Metric } from '../../shared/metric-names.ts';

export const metrics = {
  unexpected: new Counter(K6Metric.unexpectedStatus),
  throttled: new Counter(K6Metric.throttled),
  tooMany: new Counter(K6Metric.tooManyRequests),
  journeySuccess: new Rate(K6Metric.journeySuccess),
  journeysEnded: new Counter(K6Metric.journeysEnded),
  journeyDuration: new Trend(K6Metric.journeyDuration, true),
  peersSeen: new Gauge(K6Metric.peersSeen),
  callJoins: new Counter(K6Metric.callJoins),
  selfListed: new Rate(K6Metric.selfListed),
  selfListedPingEdge: new Counter(K6Metric.selfListedPingEdge),
  guestVanished: new Counter(K6Metric.guestVanished),
  evicted: new Counter(K6Metric.evicted),
  hpbHello: new Trend(K6Metric.hpbHello, true),
  hpbRoom: new Trend(K6Metric.hpbRoom, true),
  callPropagation: new Trend(K6Metric.callPropagation, true),
  flagsPropagation: new Trend(K6Metric.flagsPropagation, true),
  hpbUnexpected: new Counter(K6Metric.hpbUnexpected),
  hpbHelloSent: new Trend(K6Metric.hpbHelloSent, true),
  hpbGeneratorLate: new Counter(K6Metric.hpbGeneratorLate),
  hpbWelcomeMissing: new Rate(K6Metric.hpbWelcomeMissing),
  hpbCloses: new Counter(K6Metric.hpbCloses),
  hpbEvents: new Counter(K6Metric.hpbEvents),
  hpbBytes: new Counter(K6Metric.hpbBytes, true),
};
