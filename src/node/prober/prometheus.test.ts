// A real Prometheus (Debian's package, installed by .ci/run) scrapes the prober on loopback; the
// request counter and the latency histogram come back through its query API.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TalkSimulator } from '../simulator/server.ts';
import { startPrometheus } from '../stack/prometheus.ts';
import { Prober } from './command.ts';
import { createProbeMetrics } from './metrics.ts';

test('Prometheus scrapes the prober and answers queries on its counter and histogram', { timeout: 90_000 }, async () => {
  const sim = new TalkSimulator({ settings: { bruteForce: 'off' } });
  const target = await sim.listen(0, '127.0.0.1');
  const prober = new Prober(
    { targets: [{ name: 'sim', url: target, user: 'admin', password: 'admin', room: null }], intervalSeconds: 1, listenHost: '127.0.0.1', listenPort: 0, timeouts: { connect: 2000, headers: 2000, body: 2000, total: 2000 } },
    createProbeMetrics({ version: 'test', processMetrics: true }),
  );
  const { server, url } = await prober.serve('127.0.0.1', 0);
  prober.start();
  let started: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  try {
    // Inside the try: when Prometheus cannot start, what was started above is still closed.
    const prom = (started = await startPrometheus({
      dir: mkdtempSync(join(tmpdir(), 'talkload-prom-')),
      configYaml: `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: talkprobe\n    static_configs:\n      - targets: ['${new URL(url).host}']\n`,
    }));
    let requests: Awaited<ReturnType<typeof prom.query>> = [];
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      requests = await prom.query('sum by (code) (talkprobe_requests_total{job="talkprobe",target="sim",endpoint="call_join"})');
      if (requests.length > 0 && Number(requests[0]!.value[1]) >= 4) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(requests.length, 1, 'one code for call_join');
    assert.equal(requests[0]!.metric['code'], '200');
    assert.ok(Number(requests[0]!.value[1]) >= 4);
    const buckets = await prom.query('talkprobe_request_duration_seconds_bucket{target="sim",endpoint="call_join",le="+Inf"}');
    assert.ok(Number(buckets[0]?.value[1]) >= 4);
    // rate() needs two scrapes that saw an increase: poll until there is one.
    let v = NaN;
    while (Date.now() < deadline && !(v > 0)) {
      const p50 = await prom.query('histogram_quantile(0.5, sum by (le) (rate(talkprobe_request_duration_seconds_bucket{endpoint="call_join"}[1m])))');
      v = Number(p50[0]?.value[1]);
      if (!(v > 0)) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(v > 0 && v < 1, `median call_join ${v} s`);
    const success = await prom.query('talkprobe_journey_success{target="sim"}');
    assert.equal(success[0]?.value[1], '1');
  } finally {
    await started?.stop();
    await prober.stop();
    server.close();
    await sim.close();
  }
});
