// HPB emulator figures: N guests (default 2,000) in rooms of 10 join through the emulator (OCS room
// join, signaling settings, WebSocket, hello v2, room join), then one guest per room joins the call,
// which makes Talk notify the HPB and the HPB fan `participants/update` out to every session of the
// room. Prints hello + room-join latency, fan-out messages/s and the RSS per session of the
// simulator + emulator process. Loopback only; every step is bounded in count and time.

import { type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { Hpb } from '../src/shared/constants.ts';
import { TestClient, publicRoom } from '../src/node/simulator/testing.ts';
import { startChild } from './child.ts';
import { rssBytes, cpuSeconds } from './proc.ts';

const BIN = fileURLToPath(new URL('../bin/talkload.mjs', import.meta.url));
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
  const g: Guest = { ws, updates: 0 };
  // Counted without parsing: the events are found by their target, as a load client should.
  ws.on('message', (d: Buffer) => {
    if (d.includes('"participants"')) g.updates++;
  });
  return g;
}

async function main(): Promise<void> {
  const { child, url: simUrl }: { child: ChildProcess; url: string } = await startChild(process.execPath, [BIN, 'sim', '--signaling', 'external', '--bruteforce', 'off']);
  const pid = child.pid!;
  const guests: Guest[] = [];
  try {
    const admin = new TestClient(simUrl, { id: 'admin', password: 'admin' });
    const rooms: string[] = [];
    for (let i = 0; i < Math.ceil(SESSIONS / ROOM_SIZE); i++) rooms.push(await publicRoom(admin, `hpb bench ${i}`));
    const rssBefore = rssBytes(pid);
    const cpuBefore = cpuSeconds(pid);
    const joinMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < SESSIONS; i += CONCURRENCY) {
      if (performance.now() - t0 > STEP_LIMIT_MS) throw new Error(`joining took longer than ${STEP_LIMIT_MS / 1000} s; stopped at ${i}`);
      const batch = [];
      for (let j = i; j < Math.min(SESSIONS, i + CONCURRENCY); j++) batch.push(joinGuest(simUrl, rooms[Math.floor(j / ROOM_SIZE)]!, joinMs));
      guests.push(...(await Promise.all(batch)));
      if ((i / CONCURRENCY) % 10 === 0) process.stderr.write(`hpb bench: ${guests.length}/${SESSIONS} sessions joined\n`);
    }
    const joinSeconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const rssAfter = rssBytes(pid);
    // One call join per room: Talk notifies the HPB, which fans out to every session of the room.
    const callers = rooms.map((token) => ({ token, http: new TestClient(simUrl) }));
    for (const c of callers) await c.http.call('room_join', { token: c.token });
    const t1 = performance.now();
    const answers = await Promise.all(callers.map((c) => c.http.call('call_join', { token: c.token, params: { flags: 7 } })));
    const bad = answers.filter((a) => a.status !== 200).length;
    const expected = guests.length;
    while (guests.reduce((n, g) => n + (g.updates > 0 ? 1 : 0), 0) < expected) {
      if (performance.now() - t1 > 30_000) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const fanoutSeconds = (performance.now() - t1) / 1000;
    const delivered = guests.reduce((n, g) => n + g.updates, 0);
    const cpu = cpuSeconds(pid) - cpuBefore;
    console.log(`HPB emulator, ${guests.length} sessions in ${rooms.length} rooms of ${ROOM_SIZE} (simulator + emulator in one process, clients in this one):`);
    console.log(`  hello v2 + room join: p50 ${quantile(joinMs, 0.5).toFixed(1)} ms, p95 ${quantile(joinMs, 0.95).toFixed(1)} ms, p99 ${quantile(joinMs, 0.99).toFixed(1)} ms (all ${guests.length} joined in ${joinSeconds.toFixed(1)} s, ${CONCURRENCY} at a time)`);
    console.log(`  incall fan-out: ${rooms.length} call joins (${bad} not 200) -> ${delivered} participants/update events to ${expected} sessions in ${(fanoutSeconds * 1000).toFixed(0)} ms = ${Math.round(delivered / fanoutSeconds)} messages/s`);
    console.log(`  RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB with the sessions = ${((rssAfter - rssBefore) / guests.length / 1024).toFixed(1)} KiB per session (Talk session + HPB session + WebSocket); simulator+emulator CPU ${cpu.toFixed(1)} s`);
  } finally {
    for (const g of guests) g.ws.terminate();
    child.kill('SIGTERM');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`hpb bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
