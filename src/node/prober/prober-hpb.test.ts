// The prober against a Talk with an HPB (the simulator in external-signaling mode and the HPB
// emulator, real HTTP and WebSockets on loopback): exposition lines for a healthy journey and for
// each HPB fault.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { parseFaultRules } from '../simulator/faults.ts';
import type { HpbFaults } from '../hpb/faults.ts';
import { type HpbWorld, startHpbWorld } from '../hpb/testing.ts';
import { Prober } from './command.ts';
import { createProbeMetrics } from './metrics.ts';

let world: HpbWorld | null = null;
let prober: Prober | null = null;
afterEach(async () => {
  await prober?.stop();
  await world?.close();
  prober = null;
  world = null;
});

/** A prober of the world's simulator, with its HPB settings and (for the hint) a log of its own. */
function proberOf(w: HpbWorld, hpb: { stayEvery: number; staySeconds: number }, timeoutMs = 2000, log?: (line: string) => void): Prober {
  return new Prober(
    {
      targets: [{ name: 'sim', url: w.simUrl, user: 'admin', password: 'admin', room: null }],
      intervalSeconds: 15,
      listenHost: '127.0.0.1',
      listenPort: 0,
      timeouts: { connect: timeoutMs, headers: timeoutMs, body: timeoutMs, total: timeoutMs },
      hpb,
    },
    createProbeMetrics({ version: 'test', processMetrics: false }),
    log,
  );
}

/** One probe round with a long stay in which the simulator's clock jumps 31 s (so only pings keep the probe listed). */
async function round(faults: HpbFaults = {}, simFault = '', timeoutMs = 2000): Promise<string[]> {
  world = await startHpbWorld('emulator', { pingIntervalMs: 200, faults });
  if (simFault !== '') world.sim.faults.rules = parseFaultRules(simFault);
  prober = proberOf(world, { stayEvery: 1, staySeconds: 1.5 }, timeoutMs);
  const w = world;
  const jump = setTimeout(() => (w.sim.clock.offsetMs += 31_000), 900);
  await prober.round();
  clearTimeout(jump);
  return (await prober.metrics.registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

const failures = (out: string[]): string[] => out.filter((l) => l.startsWith('talkprobe_hpb_failures_total'));

test('healthy HPB journey: every HPB step timed once, listed after the stay, no internal signaling', async () => {
  const out = await round();
  for (const step of ['connect', 'hello', 'room', 'call_propagation', 'flags_propagation', 'leave']) {
    assert.ok(out.includes(`talkprobe_hpb_step_duration_seconds_count{target="sim",step="${step}"} 1`), `${step}: ${out.filter((l) => l.includes('hpb')).join('\n')}`);
  }
  assert.deepEqual(failures(out), []);
  assert.ok(out.includes('talkprobe_hpb_self_listed{target="sim"} 1'));
  assert.ok(out.includes('talkprobe_journey_success{target="sim"} 1'), out.filter((l) => l.includes('unexpected') || l.includes('journey')).join('\n'));
  assert.ok(!out.some((l) => l.includes('endpoint="signaling_poll"')), 'no long-poll with an HPB');
});

const FAULTS: { name: string; faults?: HpbFaults; simFault?: string; expect: (out: string[]) => void }[] = [
  {
    name: 'the HPB stops pinging: not listed after the stay',
    faults: { dropPings: true },
    expect: (out) => assert.ok(out.includes('talkprobe_hpb_self_listed{target="sim"} 0')),
  },
  {
    name: 'fan-out slower than the step timeout: propagation times out',
    faults: { fanoutDelayMs: 2500 },
    expect: (out) => assert.ok(failures(out).includes('talkprobe_hpb_failures_total{target="sim",step="call_propagation",code="timeout"} 1'), failures(out).join('\n')),
  },
  {
    name: 'the HPB drops the connection: counted with its close code',
    faults: { closeAfterMs: 50 },
    expect: (out) => assert.ok(failures(out).some((l) => /step="(connect|call_propagation|flags_propagation)",code="(close_1006|closed)"/.test(l)), failures(out).join('\n')),
  },
  {
    name: "Talk's backend answers 500: the HPB room join fails",
    simFault: 'signaling_backend=error:500',
    expect: (out) => assert.ok(failures(out).some((l) => /step="(hello|room)"/.test(l)), failures(out).join('\n')),
  },
];

for (const f of FAULTS) {
  test(`HPB fault: ${f.name}`, async () => {
    const out = await round(f.faults, f.simFault);
    f.expect(out);
    assert.ok(out.includes('talkprobe_journey_success{target="sim"} 0'));
  });
}

test('HPB mode: the first round is short (journey_success within one interval of the start), the second stays long', async () => {
  world = await startHpbWorld('emulator', { pingIntervalMs: 200 });
  // The default: a long stay every 10th round, 35 s long.
  prober = proberOf(world, { stayEvery: 10, staySeconds: 35 });
  const t0 = Date.now();
  await prober.round();
  const out = (await prober.metrics.registry.metrics()).split('\n');
  assert.ok(out.includes('talkprobe_journey_success{target="sim"} 1'), out.filter((l) => l.includes('journey')).join('\n'));
  assert.ok(Date.now() - t0 < 10_000, `the first round took ${Date.now() - t0} ms; a 35 s stay would have delayed the first journey_success`);
  assert.ok(!out.some((l) => l.startsWith('talkprobe_hpb_self_listed{')), 'no long stay yet');
});

test('a room creation that answers 500 on a Talk with an HPB: the log names the likely cause once', async () => {
  world = await startHpbWorld('emulator', { pingIntervalMs: 200 });
  world.sim.faults.rules = parseFaultRules('room_create=error:500');
  const logged: string[] = [];
  prober = proberOf(world, { stayEvery: 10, staySeconds: 35 }, 2000, (line) => logged.push(line));
  await prober.round();
  await prober.round();
  assert.equal(logged.length, 1, logged.join('\n'));
  assert.match(logged[0]!, /^talkload probe: sim: room_create answered 500: with an HPB, a 500 here is usually Talk's request to the HPB failing: check Talk's own URL as the HPB sees it/);
});
