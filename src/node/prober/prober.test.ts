// The prober against the simulator: exact exposition lines for a healthy journey and for each
// fault class (latency, 5xx, reset, hang, HTML, bad JSON, target down then up).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { parseFaultRules } from '../simulator/faults.ts';
import { TalkSimulator } from '../simulator/server.ts';
import { Prober } from './command.ts';
import { createProbeMetrics } from './metrics.ts';
import type { ProbeConfig } from './config.ts';

function configFor(url: string, timeoutMs = 2000): ProbeConfig {
  return {
    targets: [{ name: 'sim', url, user: 'admin', password: 'admin', room: null }],
    intervalSeconds: 15,
    listenHost: '127.0.0.1',
    listenPort: 0,
    timeouts: { connect: timeoutMs, headers: timeoutMs, body: timeoutMs, total: timeoutMs },
  };
}

const newProber = (url: string, timeoutMs?: number): Prober => new Prober(configFor(url, timeoutMs), createProbeMetrics({ version: 'test', processMetrics: false }));

/** Exposition lines, without HELP/TYPE. */
async function lines(p: Prober): Promise<string[]> {
  return (await p.metrics.registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

const req = (endpoint: string, method: string, code: string, n: number): string =>
  `talkprobe_requests_total{target="sim",endpoint="${endpoint}",method="${method}",code="${code}"} ${n}`;

describe('prober against the simulator', () => {
  let sim: TalkSimulator;
  let url: string;
  let prober: Prober;
  beforeEach(async () => {
    sim = new TalkSimulator({ settings: { bruteForce: 'off' }, seed: 1 });
    url = await sim.listen(0, '127.0.0.1');
    prober = newProber(url);
  });
  afterEach(async () => {
    await prober.stop();
    await sim.close();
  });

  test('a healthy journey: every step once (guest and moderator), success 1, nothing unexpected', async () => {
    await prober.round();
    const out = await lines(prober);
    for (const l of [
      req('room_create', 'POST', '201', 1),
      req('capabilities', 'GET', '200', 1),
      req('room_join', 'POST', '200', 2),
      req('signaling_settings', 'GET', '200', 1),
      req('signaling_send', 'POST', '200', 1),
      req('signaling_poll', 'GET', '200', 1),
      req('call_join', 'POST', '200', 2),
      req('call_flags', 'PUT', '200', 1),
      req('call_peers', 'GET', '200', 1),
      req('room_participants', 'GET', '200', 1),
      req('call_ring', 'POST', '200', 1),
      req('call_leave', 'DELETE', '200', 2),
      req('room_leave', 'DELETE', '200', 2),
      'talkprobe_journey_success{target="sim"} 1',
      'talkprobe_journeys_total{target="sim",result="success"} 1',
      'talkprobe_request_duration_seconds_count{target="sim",endpoint="call_join",method="POST"} 2',
    ]) {
      assert.ok(out.includes(l), `missing: ${l}`);
    }
    assert.ok(!out.some((l) => l.startsWith('talkprobe_unexpected_status_total')), 'no unexpected statuses');
    assert.ok(out.some((l) => /^talkprobe_last_success_timestamp_seconds\{target="sim"\} \d+/.test(l)));
    await prober.stop();
    assert.equal(sim.state.rooms.size, 0, 'the conversation it created is deleted on stop');
  });

  test('latency: 300 ms on call_peers lands in the 0.5 s bucket, the journey still succeeds', async () => {
    sim.faults.rules = parseFaultRules('call_peers=delay:300');
    await prober.round();
    const out = await lines(prober);
    assert.ok(out.includes('talkprobe_request_duration_seconds_bucket{le="0.25",target="sim",endpoint="call_peers",method="GET"} 0'));
    assert.ok(out.includes('talkprobe_request_duration_seconds_bucket{le="0.5",target="sim",endpoint="call_peers",method="GET"} 1'));
    assert.ok(out.includes('talkprobe_journey_success{target="sim"} 1'));
  });

  const FAULTS: [string, string, string, string][] = [
    ['5xx', 'call_flags=error:503', 'call_flags', '503'],
    // An uncaught error is OCS XML on a real server: a status, not a bad body.
    ['uncaught 500 in OCS XML', 'signaling_poll=error:500', 'signaling_poll', '500'],
    ['reset', 'call_peers=reset', 'call_peers', 'reset'],
    // A proxy's HTML error page keeps its status (issue 24 item 6); the step's own status with HTML is a bad body.
    ['HTML 502', 'capabilities=html:502', 'capabilities', '502'],
    ['HTML 200', 'capabilities=html:200', 'capabilities', 'bad_body'],
    ['bad JSON', 'call_flags=badjson', 'call_flags', 'bad_body'],
    ['hang', 'call_join=hang', 'call_join', 'timeout'],
  ];
  for (const [name, rule, endpoint, code] of FAULTS) {
    test(`${name} on ${endpoint}: code="${code}", counted unexpected, journey 0, cleanup still runs`, async () => {
      if (name === 'hang') {
        await prober.stop();
        prober = newProber(url, 3000); // the poll before it takes 1-2 s (a message shows once a second old)
      }
      await prober.round(); // creates the conversation while healthy
      sim.faults.rules = parseFaultRules(rule);
      await prober.round();
      const out = await lines(prober);
      const method = { call_flags: 'PUT', call_peers: 'GET', capabilities: 'GET', call_join: 'POST', signaling_poll: 'GET' }[endpoint]!;
      assert.ok(out.includes(req(endpoint, method, code, 1)), `missing ${req(endpoint, method, code, 1)}\n${out.filter((l) => l.includes('requests_total')).join('\n')}`);
      assert.ok(out.includes(`talkprobe_unexpected_status_total{target="sim",endpoint="${endpoint}",code="${code}"} 1`));
      assert.ok(out.includes('talkprobe_journey_success{target="sim"} 0'));
      assert.ok(out.includes('talkprobe_journeys_total{target="sim",result="failure"} 1'));
      // After the first healthy round (2 leaves), the faulty round still left the room it joined.
      if (endpoint !== 'capabilities') assert.ok(out.includes(req('room_leave', 'DELETE', '200', 3)), 'left the room after the failure');
      sim.faults.rules = [];
      await prober.round();
      assert.ok((await lines(prober)).includes('talkprobe_journey_success{target="sim"} 1'), 'recovers on the next interval');
    });
  }
});

test('its conversation deleted under it: one journey fails on room_join 404, the next creates a new one', async () => {
  const sim = new TalkSimulator({ settings: { bruteForce: 'off' } });
  const url = await sim.listen(0, '127.0.0.1');
  const prober = newProber(url);
  try {
    await prober.round();
    const [first] = [...sim.state.rooms.keys()];
    assert.ok(first);
    const del = await fetch(`${url}/ocs/v2.php/apps/spreed/api/v4/room/${first}`, { method: 'DELETE', headers: { 'OCS-APIRequest': 'true', Accept: 'application/json', Authorization: 'Basic ' + Buffer.from('admin:admin').toString('base64') } });
    assert.equal(del.status, 200);
    await prober.round();
    let out = await lines(prober);
    assert.ok(out.includes(req('room_join', 'POST', '404', 1)), out.join('\n'));
    assert.ok(out.includes('talkprobe_journey_success{target="sim"} 0'));
    await prober.round();
    out = await lines(prober);
    assert.ok(out.includes(req('room_create', 'POST', '201', 2)), out.join('\n'));
    assert.ok(out.includes('talkprobe_journey_success{target="sim"} 1'));
    assert.equal(sim.state.rooms.size, 1);
    await prober.stop();
    assert.equal(sim.state.rooms.size, 0, 'the new conversation is deleted at stop');
  } finally {
    await prober.stop();
    await sim.close();
  }
});

test('target down, then up: connect errors become metrics, the next interval recovers', async () => {
  const sim = new TalkSimulator({ settings: { bruteForce: 'off' } });
  const url = await sim.listen(0, '127.0.0.1');
  const port = Number(new URL(url).port);
  await sim.close();
  const prober = newProber(url, 3000);
  try {
    await prober.round();
    let out = await lines(prober);
    assert.ok(out.includes(req('room_create', 'POST', 'connect', 1)), out.join('\n'));
    assert.ok(out.includes('talkprobe_journey_success{target="sim"} 0'));
    const again = new TalkSimulator({ settings: { bruteForce: 'off' } });
    await again.listen(port, '127.0.0.1');
    try {
      await prober.round();
      out = await lines(prober);
      assert.ok(out.includes(req('room_create', 'POST', '201', 1)));
      assert.ok(out.includes('talkprobe_journey_success{target="sim"} 1'));
      await prober.stop();
      assert.equal(again.state.rooms.size, 0);
    } finally {
      await again.close();
    }
  } finally {
    await prober.stop();
  }
});

test('a guest removed right after its join (Talk 19 race): one vanished finding, no unexpected 404s, nothing left to leave', async () => {
  const sim = new TalkSimulator({ settings: { bruteForce: 'off' } });
  const url = await sim.listen(0, '127.0.0.1');
  const prober = newProber(url);
  try {
    await prober.round(); // creates the conversation while healthy
    sim.faults.rules = parseFaultRules('call_join=vanish');
    await prober.round();
    const out = await lines(prober);
    assert.ok(out.includes('talkprobe_guest_vanished_total{target="sim"} 1'), out.join('\n'));
    assert.ok(!out.some((l) => l.startsWith('talkprobe_unexpected_status_total') && l.includes('code="404"')), 'the 404 is the finding, not an unexpected status');
    assert.ok(out.includes('talkprobe_journey_success{target="sim"} 0'));
    // The guest's leave steps are skipped: its session is gone (one room_leave from the healthy round).
    assert.ok(!out.some((l) => l.includes('endpoint="room_leave"') && l.includes('code="404"')), out.join('\n'));
  } finally {
    await prober.stop();
    await sim.close();
  }
});

test('an HTML 502 from a proxy in front of Talk counts as 502 on its endpoint', async () => {
  const sim = new TalkSimulator({ settings: { bruteForce: 'off' } });
  const url = await sim.listen(0, '127.0.0.1');
  const prober = newProber(url);
  try {
    await prober.round();
    sim.faults.rules = parseFaultRules('call_peers=html:502');
    await prober.round();
    const out = await lines(prober);
    assert.ok(out.includes(req('call_peers', 'GET', '502', 1)), out.filter((l) => l.includes('call_peers')).join('\n'));
  } finally {
    await prober.stop();
    await sim.close();
  }
});
