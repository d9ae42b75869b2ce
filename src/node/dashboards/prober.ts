// "Talk prober": talkload probe results (talkprobe_* metrics), per target and endpoint.

import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { DS, dashboard, labelVariable, q, stat, timeseries } from './common.ts';

const sel = 'target=~"$target", endpoint=~"$endpoint"';
const quantile = (p: number) =>
  q(`histogram_quantile(${p}, sum by (le, endpoint) (rate(talkprobe_request_duration_seconds_bucket{${sel}}[$__rate_interval])))`, '{{endpoint}}');

export function proberDashboard() {
  return dashboard('Talk prober', 'talkload-prober', ['talkload', 'prober', 'nextcloud-talk'], 'talkload probe: the Talk call journey run continuously against each target.', '30s', 'now-6h')
    .withVariable(labelVariable('target', 'Target', 'label_values(talkprobe_journey_success, target)'))
    .withVariable(labelVariable('endpoint', 'Endpoint', 'label_values(talkprobe_requests_total{target=~"$target"}, endpoint)'))
    .withRow(new RowBuilder('Journey'))
    .withPanel(stat('Journey success', 'bool_yes_no', 'Whether the last journey succeeded, per target.', q('talkprobe_journey_success{target=~"$target"}', '{{target}}')))
    .withPanel(stat('Time since last success', 's', 'Seconds since the last successful journey.', q('time() - talkprobe_last_success_timestamp_seconds{target=~"$target"}', '{{target}}')))
    .withPanel(
      stat('Journey SLO (1h)', 'percentunit', 'Share of journeys that succeeded over the last hour.', q('sum by (target) (increase(talkprobe_journeys_total{target=~"$target", result="success"}[1h])) / sum by (target) (increase(talkprobe_journeys_total{target=~"$target"}[1h]))', '{{target}}')),
    )
    .withPanel(timeseries('Journey duration', 's', 'Duration of the last journey, per target.', [q('talkprobe_journey_duration_seconds{target=~"$target"}', '{{target}}')], 6, 5))
    .withRow(new RowBuilder('Endpoints (RED)'))
    .withPanel(timeseries('Request rate', 'reqps', 'Probe requests per second by endpoint id.', [q(`sum by (endpoint) (rate(talkprobe_requests_total{${sel}}[$__rate_interval]))`, '{{endpoint}}')]))
    .withPanel(
      timeseries('Error codes by endpoint', 'reqps', 'Unexpected answers by endpoint and code (HTTP status or timeout, connect, reset, tls, bad_body).', [
        q(`sum by (endpoint, code) (rate(talkprobe_unexpected_status_total{${sel}}[$__rate_interval]))`, '{{endpoint}} {{code}}'),
      ]),
    )
    .withPanel(timeseries('Latency p50', 's', 'Median step duration by endpoint.', [quantile(0.5)], 8))
    .withPanel(timeseries('Latency p95', 's', '95th percentile step duration by endpoint.', [quantile(0.95)], 8))
    .withPanel(timeseries('Latency p99', 's', '99th percentile step duration by endpoint.', [quantile(0.99)], 8))
    .withPanel(
      new HeatmapBuilder()
        .title('Latency heatmap')
        .description('Distribution of step durations over time (all selected endpoints).')
        .datasource(DS)
        .height(8)
        .span(24)
        .withTarget(q(`sum by (le) (rate(talkprobe_request_duration_seconds_bucket{${sel}}[$__rate_interval]))`, '{{le}}').format('heatmap' as never)),
    )
    .withRow(new RowBuilder('HPB (external signaling)'))
    .withPanel(
      timeseries('HPB step latency p95', 's', 'With an HPB: WebSocket connect, hello, room join, leave, and propagation (OCS request to the HPB event).', [
        q('histogram_quantile(0.95, sum by (le, step) (rate(talkprobe_hpb_step_duration_seconds_bucket{target=~"$target"}[$__rate_interval])))', '{{step}}'),
      ], 12),
    )
    .withPanel(
      timeseries('HPB step failures', 'short', 'Failed HPB steps by step and code (HPB error code, timeout, closed, bye_<reason>); 0 when none.', [
        q('sum by (step, code) (increase(talkprobe_hpb_failures_total{target=~"$target"}[$__rate_interval])) or vector(0)', '{{step}} {{code}}'),
      ], 8),
    )
    .withPanel(stat('HPB pings reach Talk', 'bool_yes_no', 'After the last long stay (over 30 s), GET /call still listed the probe: the HPB pings Talk for it.', q('talkprobe_hpb_self_listed{target=~"$target"}', '{{target}}'), 4))
    .build();
}
