// HPB figures: N guests (default 2,000) in rooms of 10 join through the HPB (OCS room join,
// signaling settings, WebSocket, hello v2, room join), then one guest per room joins the call, which
// makes Talk notify the HPB and the HPB fan `participants/update` out to every session of the room.
// Prints hello + room-join latency, fan-out messages/s and the HPB process's RSS and CPU per session,
// for the emulator and, with HPB_BIN or HPB_URL (issue 27 item 4), a real HPB beside it (each in its
// own process beside its own simulator). Loopback only; every step is bounded in count and time.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { Hpb } from '../src/shared/constants.ts';
import { TestClient, publicRoom } from '../src/node/simulator/testing.ts';
import { type BenchHpb, benchHpbFromEnv } from '../src/node/hpb/real-server.ts';
import { type HpbKind, hpbKinds, perSession, startHpbServers } from './hpb-servers.ts';
import { cpuSeconds } from './proc.ts';
const SESSIONS = Number(process.env['HPB_BENCH_SESSIONS'] ?? 2000);
const ROOM_SIZE = Number(process.env['HPB_BENCH_ROOM_SIZE'] ?? 10);
const CONCURRENCY = 50;
const STEP_LIMIT_MS = 120_000;

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};

interface Guest {
  ws: WebSocket;
  http: TestClient;
  token: string;
  updates: number;
}

function waitFor(ws: WebSocket, pred: (text: string) => boolean, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      ws.off('message', on);
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
    const on = (d: Buffer): void => {
      const text = d.toString();
      if (!pred(text)) return;
      clearTimeout(t);
      ws.off('message', on);
      resolve(text);
    };
    ws.on('message', on);
  });
}

async function joinGuest(simUrl: string, token: string, joinMs: number[]): Promise<Guest> {
  const http = new TestClient(simUrl);
  const joined = await http.call('room_join', { token });
  if (joined.status !== 200) throw new Error(`room_join answered ${joined.status}`);
  const settings = (await http.call('signaling_settings', { params: { token } })).data;
  const ws = new WebSocket(`${String(settings.server).replace(/^http/, 'ws')}${Hpb.clientPath}`);
  const welcome = waitFor(ws, (t) => t.includes('"welcome"'), 10_000);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await welcome;
  const started = performance.now();
  const hello = waitFor(ws, (t) => t.includes('"id":"1"'), 10_000);
  ws.send(JSON.stringify({ id: '1', type: 'hello', hello: { version: '2.0', auth: { url: `${simUrl}${Hpb.backendPath}`, params: settings.helloAuthParams['2.0'] } } }));
  if (!(await hello).includes('"type":"hello"')) throw new Error('hello refused');
  const room = waitFor(ws, (t) => t.includes('"id":"2"'), 10_000);
  ws.send(JSON.stringify({ id: '2', type: 'room', room: { roomid: token, sessionid: joined.data.sessionId } }));
  if (!(await room).includes('"type":"room"')) throw new Error('room join refused');
  joinMs.push(performance.now() - started);
  const g: Guest = { ws, http, token, updates: 0 };
  // Counted without parsing: the events are found by their target, as a load client should.
  ws.on('message', (d: Buffer) => {
    if (d.includes('"participants"')) g.updates++;
  });
  return g;
}

interface Row {
  label: string;
  sessions: number;
  rooms: number;
  joinMs: number[];
  joinSeconds: number;
  bad: number;
  delivered: number;
  fanoutSeconds: number;
  hpb: ReturnType<typeof perSession>;
  simCpu: number;
}

/** SESSIONS guests against one simulator + HPB pair; the HPB's RSS and CPU per session from its own process. */
async function measure(kind: HpbKind, target: BenchHpb | null, dir: string): Promise<Row> {
  const servers = await startHpbServers(kind, target, dir);
  const { simUrl } = servers;
  const guests: Guest[] = [];
  try {
    const admin = new TestClient(simUrl, { id: 'admin', password: 'admin' });
    const rooms: string[] = [];
    for (let i = 0; i < Math.ceil(SESSIONS / ROOM_SIZE); i++) rooms.push(await publicRoom(admin, `hpb bench ${i}`));
    const hpb0 = await servers.hpbFigures();
    const simCpu0 = cpuSeconds(servers.simPid);
    const joinMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < SESSIONS; i += CONCURRENCY) {
      if (performance.now() - t0 > STEP_LIMIT_MS) throw new Error(`joining took longer than ${STEP_LIMIT_MS / 1000} s; stopped at ${i}`);
      const batch = [];
      for (let j = i; j < Math.min(SESSIONS, i + CONCURRENCY); j++) batch.push(joinGuest(simUrl, rooms[Math.floor(j / ROOM_SIZE)]!, joinMs));
      guests.push(...(await Promise.all(batch)));
      if ((i / CONCURRENCY) % 10 === 0) process.stderr.write(`hpb bench (${servers.label}): ${guests.length}/${SESSIONS} sessions joined\n`);
    }
    const joinSeconds = (performance.now() - t0) / 1000;
    // One call join per room, by a guest on the HPB (a real HPB leaves callers without an HPB
    // session out of its events, and sends none when no one else is left): Talk notifies the HPB,
    // which fans out to every session of the room.
    const callers = guests.filter((_, i) => i % ROOM_SIZE === 0);
    const t1 = performance.now();
    const answers = await Promise.all(callers.map((g) => g.http.call('call_join', { token: g.token, params: { flags: 7 } })));
    const bad = answers.filter((a) => a.status !== 200).length;
    while (guests.reduce((n, g) => n + (g.updates > 0 ? 1 : 0), 0) < guests.length) {
      if (performance.now() - t1 > 30_000) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const fanoutSeconds = (performance.now() - t1) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const hpb1 = await servers.hpbFigures();
    return {
      label: servers.label, sessions: guests.length, rooms: rooms.length, joinMs, joinSeconds, bad,
      delivered: guests.reduce((n, g) => n + g.updates, 0), fanoutSeconds,
      hpb: perSession(hpb0, hpb1, guests.length), simCpu: cpuSeconds(servers.simPid) - simCpu0,
    };
  } finally {
    for (const g of guests) g.ws.terminate();
    servers.stop();
  }
}

async function main(): Promise<void> {
  const target = benchHpbFromEnv();
  const kinds = hpbKinds(target);
  const dir = mkdtempSync(join(tmpdir(), 'talkload-hpb-bench-'));
  const rows: Row[] = [];
  try {
    for (const kind of kinds) rows.push(await measure(kind, target, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`HPB bench: ${SESSIONS} sessions in rooms of ${ROOM_SIZE} (hello v2 + room join ${CONCURRENCY} at a time, then one call join per room), each HPB in its own process beside the simulator, clients in this one:\n`);
  console.log('| HPB | sessions | hello + room join p50 / p95 / p99 ms | all joined in s | call joins not 200 | participants/update events | fan-out messages/s | HPB RSS MiB | HPB KiB per session | HPB CPU ms per session | simulator CPU s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.label} | ${r.sessions} | ${quantile(r.joinMs, 0.5).toFixed(1)} / ${quantile(r.joinMs, 0.95).toFixed(1)} / ${quantile(r.joinMs, 0.99).toFixed(1)} | ${r.joinSeconds.toFixed(1)} | ${r.bad} | ${r.delivered} | ${Math.round(r.delivered / r.fanoutSeconds)} | ${r.hpb.rssMiB} | ${r.hpb.kib} | ${r.hpb.cpuMs} | ${r.simCpu.toFixed(1)} |`);
  }
  if (target === null) console.log('\nA real HPB beside the emulator: HPB_BIN=/path/to/signaling, or HPB_URL with HPB_SECRET_FILE and HPB_BACKEND_PORT (docs/signaling-hpb.md).');
  if (rows.some((r) => r.hpb.kib === 'n/a')) console.log('\nn/a: the HPB at HPB_URL does not show process_resident_memory_bytes / process_cpu_seconds_total on /metrics to this machine ([stats] allowed_ips).');
}

main().catch((e: unknown) => {
  process.stderr.write(`hpb bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
