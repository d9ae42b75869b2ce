// "Talk load test": k6 runs sent by remote write (k6_* metrics, native histograms), per endpoint.

import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, labelVariable, q, stat, timeseries } from './common.ts';

const sel = 'testid=~"$testid", name=~"$endpoint"';
const quantile = (p: number) =>
  q(`histogram_quantile(${p}, sum by (name) (rate(k6_http_req_duration_seconds{${sel}}[$__rate_interval])))`, '{{name}}');

export function loadTestDashboard() {
  return dashboard('Talk load test', 'talkload-k6', ['talkload', 'k6', 'nextcloud-talk'], 'talkload k6 runs of the Nextcloud Talk call flow, per endpoint id (k6 remote write).', '10s', 'now-30m')
    .withVariable(labelVariable('testid', 'Run (testid)', 'label_values(k6_http_reqs_total, testid)'))
    .withVariable(labelVariable('endpoint', 'Endpoint', 'label_values(k6_http_reqs_total{testid=~"$testid"}, name)'))
    .withRow(new RowBuilder('Requests (RED per endpoint)'))
    .withPanel(timeseries('Request rate by endpoint', 'reqps', 'Requests per second, by catalogue endpoint id.', [q(`sum by (name) (rate(k6_http_reqs_total{${sel}}[$__rate_interval]))`, '{{name}}')]))
    .withPanel(timeseries('Error rate by endpoint', 'percentunit', 'Share of responses outside the step\'s expected statuses (http_req_failed).', [q(`avg by (name) (k6_http_req_failed_rate{${sel}})`, '{{name}}')]))
    .withPanel(timeseries('Latency p50', 's', 'Median request duration by endpoint. signaling_poll is a long-poll held up to 30 s by design.', [quantile(0.5)], 8))
    .withPanel(timeseries('Latency p95', 's', '95th percentile request duration by endpoint.', [quantile(0.95)], 8))
    .withPanel(timeseries('Latency p99', 's', '99th percentile request duration by endpoint.', [quantile(0.99)], 8))
    .withPanel(timeseries('Statuses by code', 'reqps', 'Responses per second by HTTP status (0 = no answer).', [q(`sum by (status) (rate(k6_http_reqs_total{${sel}}[$__rate_interval]))`, '{{status}}')]))
    .withPanel(
      timeseries('Unexpected statuses', 'short', 'Responses outside the expected set, by endpoint and status; documented=no means the catalogue does not know the status at all.', [
        q('sum by (endpoint, status, documented) (increase(k6_talk_unexpected_status_total{testid=~"$testid", endpoint=~"$endpoint"}[$__rate_interval]))', '{{endpoint}} {{status}} documented={{documented}}'),
      ]),
    )
    .withRow(new RowBuilder('Guests and calls'))
    .withPanel(
      timeseries('Guests in call', 'short', 'What the harness sees: the largest GET /call peer list a guest saw, and the VUs running.', [
        q('max(k6_talk_call_peers_seen{testid=~"$testid"})', 'peers listed by GET /call (max)'),
        q('sum(k6_vus{testid=~"$testid"})', 'VUs', 'B'),
      ]),
    )
    .withPanel(timeseries('Call joins per second', 'reqps', 'Guests that joined a call, per second.', [q('sum(rate(k6_talk_call_joins_total{testid=~"$testid"}[$__rate_interval]))', 'joins/s')]))
    .withPanel(
      timeseries('Server view: sessions in calls', 'short', "The server's own gauges (Nextcloud 33+ /metrics, or the simulator). They count sessions pinged within 60 s, GET /call only 30 s: a guest whose long-poll stalled shows here for 30 s after its peers stopped seeing it.", [
        q('sum(nextcloud_talk_in_call_sessions)', 'in-call sessions (server)'),
        q('sum(nextcloud_talk_active_calls)', 'active calls (server)', 'B'),
      ]),
    )
    .withPanel(stat('Journey success', 'percentunit', 'Guest journeys with no unexpected status.', q('avg(k6_talk_journey_success_rate{testid=~"$testid"})', 'success')))
    .withPanel(stat('Own session listed', 'percentunit', 'Peer lists that contained the polling guest itself (the 30 s lastPing window).', q('avg(k6_talk_self_listed_rate{testid=~"$testid"})', 'listed')))
    .withPanel(stat('Dropped iterations', 'short', 'Joins an arrival-rate profile could not start (0 when none).', q('sum(k6_dropped_iterations_total{testid=~"$testid"}) or vector(0)', 'dropped')))
    .withPanel(
      stat('Brute-force throttling', 'short', 'Responses slowed by brute-force protection plus 429s. All VUs share one address: anything above 0 slows every later join.', q('(sum(k6_talk_bruteforce_throttled_total{testid=~"$testid"}) or vector(0)) + (sum(k6_talk_too_many_requests_total{testid=~"$testid"}) or vector(0))', 'throttled')),
    )
    .withRow(new RowBuilder('HPB (external signaling)'))
    .withPanel(
      timeseries('Propagation', 's', 'How long the other participants take to learn of a change: from the OCS request (POST /call, PUT /call) to the HPB event that shows it. p50, p95, p99.', [
        hpbQuantile('call_join_propagation', 0.5, 'call join p50', 'A'),
        hpbQuantile('call_join_propagation', 0.95, 'call join p95', 'B'),
        hpbQuantile('call_join_propagation', 0.99, 'call join p99', 'C'),
        hpbQuantile('flags_propagation', 0.5, 'flags p50', 'D'),
        hpbQuantile('flags_propagation', 0.95, 'flags p95', 'E'),
        hpbQuantile('flags_propagation', 0.99, 'flags p99', 'F'),
      ]),
    )
    .withPanel(
      timeseries('Hello and room join (p95)', 's', 'WebSocket steps: welcome to hello answer, room request to room answer.', [
        hpbQuantile('hello_duration', 0.95, 'hello p95', 'A'),
        hpbQuantile('room_join_duration', 0.95, 'room join p95', 'B'),
      ]),
    )
    .withPanel(
      timeseries('HPB messages per second', 'short', 'Messages the guests received from the HPB: in a call of n guests each change reaches n guests, so this grows with the square of the call size.', [
        q('sum(rate(k6_talk_hpb_messages_received_total{testid=~"$testid"}[$__rate_interval]))', 'messages/s'),
        q('sum(rate(k6_ws_msgs_received_total{testid=~"$testid"}[$__rate_interval]))', 'k6 ws_msgs_received/s', 'B'),
      ], 8),
    )
    .withPanel(
      stat('HPB unexpected outcomes', 'short', 'HPB steps that did not go as expected (error codes, timeouts, refusals) plus closes the guests did not ask for. Per step and code in summary.md.', q('(sum(k6_talk_hpb_unexpected_total{testid=~"$testid"}) or vector(0)) + (sum(k6_talk_hpb_unexpected_closes_total{testid=~"$testid"}) or vector(0))', 'unexpected'), 4),
    )
    .withPanel(
      timeseries('Server view: HPB backend requests', 'reqps', "Requests the HPB makes to Talk (simulator's count, by type and result): pings compete with the guests for PHP workers.", [
        q('sum by (type, result) (rate(talksim_signaling_backend_requests_total[$__rate_interval]))', '{{type}} {{result}}'),
      ], 12),
    )
    .withPanel(
      timeseries('Server view: notify latency (p95)', 's', 'Talk -> HPB notifications, awaited inside the OCS request that caused them: a slow HPB makes /call slow.', [
        q('histogram_quantile(0.95, sum by (le, type) (rate(talksim_hpb_notify_duration_seconds_bucket[$__rate_interval])))', '{{type}}'),
      ], 12),
    )
    .withPanel(
      timeseries("HPB's own view", 'short', "The HPB's /metrics (emulator or nextcloud-spreed-signaling, scraped by talkload stack --hpb): sessions and rooms.", [
        q('sum(signaling_hub_sessions)', 'sessions'),
        q('sum(signaling_hub_rooms)', 'rooms', 'B'),
      ], 12),
    )
    .withPanel(
      timeseries('HPB messages from clients', 'reqps', "Client messages the HPB handled, by type (its signaling_server_messages_total).", [
        q('sum by (type) (rate(signaling_server_messages_total[$__rate_interval]))', '{{type}}'),
      ], 12),
    )
    .build();
}

/** A k6 HPB trend (native histogram, seconds) at a quantile. */
function hpbQuantile(metric: string, p: number, legend: string, refId: string) {
  return q(`histogram_quantile(${p}, sum(rate(k6_talk_hpb_${metric}_seconds{testid=~"$testid"}[$__rate_interval])))`, legend, refId);
}
