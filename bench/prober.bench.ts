// Prober figures: tinybench micro-benchmarks of its hot paths; its accuracy against
// blackbox_exporter timing the same HTTP request (simulator adds a fixed delay) in the same run;
// and its footprint (RSS, CPU share) at the default 15 s interval. Loopback only, bounded.

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { Agent } from 'undici';
import { parseOcsBody } from '../src/shared/ocs.ts';
import { classifyError, outcomeCode } from '../src/shared/outcome.ts';
import { createProbeMetrics } from '../src/node/prober/metrics.ts';
import { ProbeClient } from '../src/node/prober/http.ts';
import { parseFaultRules } from '../src/node/simulator/faults.ts';
import { TalkSimulator } from '../src/node/simulator/server.ts';
import { freePort } from '../src/node/stack/prometheus.ts';
import { TestClient, publicRoom } from '../src/node/simulator/testing.ts';
import { startSimulator } from './child.ts';
import { cpuSeconds, rssBytes } from './proc.ts';

const BIN = fileURLToPath(new URL('../bin/talkload.mjs', import.meta.url));
const DELAY_MS = 50;
const SAMPLES = 40;
const FOOTPRINT_SECONDS = Number(process.env['BENCH_FOOTPRINT_SECONDS'] ?? 46);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function micro(): Promise<void> {
  const bench = new Bench({ time: 500 });
  const body = '{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":[{"actorType":"guests","actorId":"x","displayName":"","token":"abcd1234","lastPing":1,"sessionId":"s"}]}}';
  const errors: unknown[] = [{ code: 'UND_ERR_HEADERS_TIMEOUT' }, { name: 'TypeError', cause: { code: 'ECONNREFUSED' } }, new Error('x')];
  const m = createProbeMetrics({ version: 'bench', processMetrics: false });
  let i = 0;
  bench
    .add('classify an error (undici code on cause)', () => {
      classifyError(errors[i++ % errors.length]);
    })
    .add('outcome code label', () => {
      outcomeCode(200, null);
    })
    .add('parse an OCS body (GET /call, 1 peer)', () => {
      parseOcsBody(body, 'application/json');
    })
    .add('record one step (counter + histogram)', () => {
      m.requests.inc({ target: 'sim', endpoint: 'call_join', method: 'POST', code: '200' });
      m.duration.observe({ target: 'sim', endpoint: 'call_join', method: 'POST' }, 0.027);
    });
  await bench.run();
  console.log('\nProber hot paths (tinybench)\n');
  console.log('| task | ops/s | mean ns |');
  console.log('|---|---:|---:|');
  for (const t of bench.tasks) {
    const r = t.result as { throughput?: { mean: number }; latency?: { mean: number } } | undefined;
    const hz = r?.throughput?.mean ?? 0;
    const meanMs = r?.latency?.mean ?? 0;
    console.log(`| ${t.name} | ${Math.round(hz).toLocaleString('en')} | ${Math.round(meanMs * 1e6)} |`);
  }
}

async function accuracy(): Promise<void> {
  const sim = new TalkSimulator({ settings: { bruteForce: 'off' } });
  const url = await sim.listen(0, '127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'talkload-bb-'));
  const bbPort = await freePort();
  let bb: ReturnType<typeof spawn> | null = null;
  try {
    const token = await publicRoom(new TestClient(url, { id: 'admin', password: 'admin' }));
    const guest = new TestClient(url);
    await guest.call('room_join', { token });
    await guest.call('call_join', { token });
    sim.faults.rules = parseFaultRules(`call_peers=delay:${DELAY_MS}`);
    const cookie = [...guest.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    writeFileSync(
      join(dir, 'blackbox.yml'),
      `modules:\n  talk_call_peers:\n    prober: http\n    timeout: 5s\n    http:\n      method: GET\n      valid_status_codes: [200]\n      headers:\n        OCS-APIRequest: "true"\n        Accept: application/json\n        Cookie: "${cookie}"\n`,
    );
    bb = spawn('prometheus-blackbox-exporter', [`--config.file=${join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${bbPort}`], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !(await fetch(`http://127.0.0.1:${bbPort}/-/healthy`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    const target = `${url}/ocs/v2.php/apps/spreed/api/v4/call/${token}`;

    // The prober's own step; a fresh agent per request so that, like blackbox, it connects each time.
    const timeouts = { connect: 5000, headers: 5000, body: 5000, total: 5000 };
    const probe: number[] = [];
    const bbTimes: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const agent = new Agent({ connect: { timeout: 5000 } });
      const c = new ProbeClient(url, agent, timeouts);
      (c as unknown as { cookies: Map<string, string> }).cookies = new Map(guest.cookies);
      const o = await c.step('call_peers', { token });
      if (o.status !== 200) throw new Error(`prober step answered ${o.status ?? o.error}`);
      probe.push(o.duration * 1000);
      await agent.close();
      const text = await (await fetch(`http://127.0.0.1:${bbPort}/probe?module=talk_call_peers&target=${encodeURIComponent(target)}`)).text();
      if (!/^probe_success 1$/m.test(text)) throw new Error('blackbox probe failed');
      const d = Number(/^probe_duration_seconds ([\d.e+-]+)$/m.exec(text)?.[1]);
      bbTimes.push(d * 1000);
    }
    const mp = median(probe);
    const mb = median(bbTimes);
    console.log(`\nProber accuracy: GET /call with ${DELAY_MS} ms added by the simulator, ${SAMPLES} requests each, new connection per request\n`);
    console.log('| measured by | median ms |');
    console.log('|---|---:|');
    console.log(`| talkload prober (undici) | ${mp.toFixed(2)} |`);
    console.log(`| blackbox_exporter (probe_duration_seconds) | ${mb.toFixed(2)} |`);
    console.log(`\ndifference ${(mp - mb).toFixed(2)} ms; goal within 1 ms: ${Math.abs(mp - mb) <= 1 ? 'met' : 'NOT met'}`);
  } finally {
    bb?.kill();
    await sim.close();
  }
}

function procStats(pid: number): { cpuSeconds: number; rssBytes: number } {
  return { cpuSeconds: cpuSeconds(pid), rssBytes: rssBytes(pid) };
}

async function footprint(): Promise<void> {
  const { child: sim, url: simUrl } = await startSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'talkload-fp-'));
  writeFileSync(join(dir, 'pw'), 'admin\n');
  const port = await freePort();
  const probe = spawn(process.execPath, [BIN, 'probe', '--target', simUrl, '--user', 'admin', '--password-file', join(dir, 'pw'), '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const a = procStats(probe.pid!);
    const started = Date.now();
    process.stderr.write(`bench: measuring the prober for ${FOOTPRINT_SECONDS} s at the default 15 s interval...\n`);
    await new Promise((r) => setTimeout(r, FOOTPRINT_SECONDS * 1000));
    const b = procStats(probe.pid!);
    const wall = (Date.now() - started) / 1000;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const journeys = /talkprobe_journeys_total\{[^}]*result="success"\} (\d+)/.exec(metrics)?.[1] ?? '0';
    console.log(`\nProber footprint (1 target, guest + moderator journey, default 15 s interval, ${Math.round(wall)} s window, ${journeys} journeys so far)\n`);
    console.log('| resident memory | CPU share of one core |');
    console.log('|---:|---:|');
    console.log(`| ${(b.rssBytes / 1048576).toFixed(0)} MiB | ${(((b.cpuSeconds - a.cpuSeconds) / wall) * 100).toFixed(2)} % |`);
  } finally {
    probe.kill('SIGTERM');
    sim.kill('SIGTERM');
  }
}

const only = process.argv[2];
if (!only || only === 'micro') await micro();
if (!only || only === 'accuracy') await accuracy();
if (!only || only === 'footprint') await footprint();
