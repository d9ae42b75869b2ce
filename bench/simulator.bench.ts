// Simulator speed, side by side in one run: its `GET /call` against a bare node:http server that
// answers the very same bytes, with autocannon. Then the same with 10,000 sessions held elsewhere,
// and for a call of 1,000 participants. Servers run in child processes; autocannon in this one.
// Loopback only; every load step is bounded (--seconds each, default 5).

import autocannon from 'autocannon';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClient } from '../src/node/simulator/testing.ts';
import { startChild, startSimulator } from './child.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = 32;

const BARE = `
const http = require('node:http');
const fs = require('node:fs');
const body = fs.readFileSync(process.env.BODY_FILE);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log('bare listening on http://127.0.0.1:' + server.address().port));
`;

async function load(url: string, headers: Record<string, string>): Promise<{ rps: number; p50: number; p99: number; bad: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts };
}

async function pool<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

interface Row {
  case: string;
  bytes: number;
  simRps: number;
  bareRps: number;
  simP99: number;
  bareP99: number;
}

async function compare(name: string, sim: string, guest: TestClient, token: string, dir: string): Promise<Row> {
  const path = `/ocs/v2.php/apps/spreed/api/v4/call/${token}`;
  const headers = { 'OCS-APIRequest': 'true', Accept: 'application/json', Cookie: [...guest.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  const sample = await fetch(sim + path, { headers });
  const bytes = Buffer.from(await sample.arrayBuffer());
  if (sample.status !== 200) throw new Error(`GET /call answered ${sample.status}`);
  const file = join(dir, `${name.replace(/\W+/g, '_')}.json`);
  writeFileSync(file, bytes);
  const bare = await startChild(process.execPath, ['-e', BARE], { BODY_FILE: file });
  try {
    process.stderr.write(`bench: ${name}: simulator...\n`);
    const s = await load(sim + path, headers);
    process.stderr.write(`bench: ${name}: bare node:http...\n`);
    const b = await load(bare.url + path, headers);
    if (s.bad > 0 || b.bad > 0) throw new Error(`${name}: ${s.bad} bad simulator answers, ${b.bad} bad bare answers`);
    return { case: name, bytes: bytes.length, simRps: s.rps, bareRps: b.rps, simP99: s.p99, bareP99: b.p99 };
  } finally {
    bare.child.kill();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-bench-'));
  const sim = await startSimulator();
  const rows: Row[] = [];
  try {
    const admin = new TestClient(sim.url, { id: 'admin', password: 'admin' });
    const mkRoom = async (): Promise<string> => (await admin.call('room_create', { params: { roomType: 3, roomName: 'bench' } })).data.token as string;
    const joinCall = async (token: string): Promise<TestClient> => {
      const g = new TestClient(sim.url);
      await g.call('room_join', { token });
      await g.call('call_join', { token });
      return g;
    };

    const small = await mkRoom();
    const five = await pool(5, 5, () => joinCall(small));
    rows.push(await compare('GET /call, 5 peers', sim.url, five[0]!, small, dir));

    process.stderr.write('bench: creating 10,000 sessions in 1,000 other conversations...\n');
    const rooms = await pool(1000, 20, () => mkRoom());
    await pool(10_000, 50, async (i) => new TestClient(sim.url).call('room_join', { token: rooms[i % rooms.length]! }));
    const state = (await (await fetch(`${sim.url}/__talksim/state`)).json()) as { sessions: number; rssBytes: number };
    rows.push(await compare(`GET /call, 5 peers, ${state.sessions} sessions held`, sim.url, five[0]!, small, dir));

    process.stderr.write('bench: 1,000 guests joining one call...\n');
    const big = await mkRoom();
    const thousand = await pool(1000, 50, () => joinCall(big));
    rows.push(await compare('GET /call, 1,000 peers', sim.url, thousand[0]!, big, dir));
    const after = (await (await fetch(`${sim.url}/__talksim/state`)).json()) as { sessions: number; rssBytes: number };

    console.log(`\nSimulator GET /call vs a bare node:http server answering the same bytes (autocannon, ${CONNECTIONS} connections, ${SECONDS} s each, loopback)\n`);
    console.log('| case | response bytes | simulator req/s | bare req/s | ratio | simulator p99 ms | bare p99 ms |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(`| ${r.case} | ${r.bytes} | ${Math.round(r.simRps)} | ${Math.round(r.bareRps)} | ${(r.simRps / r.bareRps).toFixed(2)}x | ${r.simP99} | ${r.bareP99} |`);
    }
    console.log(`\nsimulator process: ${after.sessions} Talk sessions, RSS ${(after.rssBytes / 1048576).toFixed(0)} MiB (with 10,000 sessions: ${(state.rssBytes / 1048576).toFixed(0)} MiB)`);
    const worst = Math.min(...rows.map((r) => r.simRps / r.bareRps));
    console.log(`target: at least 0.60x the bare server in every case; worst here ${worst.toFixed(2)}x: ${worst >= 0.6 ? 'met' : 'NOT met'}`);
  } finally {
    sim.child.kill('SIGTERM');
  }
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
