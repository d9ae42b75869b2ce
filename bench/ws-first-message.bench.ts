// How often k6's WebSocket client loses the first message a server sends (issue 27: one guest in
// 15,000 got no welcome from the HPB emulator though the emulator sent it). A WebSocket server on
// loopback sends one message the moment each connection opens, as the HPB sends its welcome; a k6
// script opens WS_FIRST_N connections (200 VUs, one after the other per VU) and counts those whose
// first message never reached onmessage. k6/websockets (v2.2.0) starts its reader before it queues
// the open event and drops a message read in between (readyState not yet OPEN), so the count is the
// race's, not the server's: the server's own count of messages sent is printed beside it.
// Loopback only; bounded in count (at most 200,000) and time (300 s).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { findK6 } from '../src/node/run/k6-binary.ts';
import { listenHttp } from '../src/node/listen.ts';

const N = Number(process.env['WS_FIRST_N'] ?? 100_000);
if (!Number.isInteger(N) || N < 1 || N > 200_000) {
  console.error(`bench:ws-first-message: WS_FIRST_N must be a whole number 1-200000, got "${process.env['WS_FIRST_N']}"`);
  process.exit(2);
}

// Each connection waits up to 1.5 s for its first message, then counts it missing once.
const SCRIPT = `
import { WebSocket } from 'k6/websockets';
import { setTimeout, clearTimeout } from 'k6/timers';
import { Counter } from 'k6/metrics';
const missing = new Counter('first_message_missing');
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 200, iterations: ${N}, maxDuration: '280s' } } };
export default async function () {
  await new Promise((resolve) => {
    const ws = new WebSocket(__ENV.WS_URL);
    let done = false;
    const end = (seen) => { if (done) return; done = true; if (!seen) missing.add(1); clearTimeout(timer); ws.close(); resolve(); };
    const timer = setTimeout(() => end(false), 1500);
    ws.onmessage = () => end(true);
    ws.onclose = () => end(false);
  });
}
`;

async function main(): Promise<void> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  let sent = 0;
  wss.on('connection', (ws) => {
    ws.send('{"type":"welcome"}', (err) => {
      if (!err) sent++;
    });
    // The client closes after its first message; a lost one must not hold the socket forever.
    setTimeout(() => ws.terminate(), 5000).unref();
  });
  const url = (await listenHttp(server, 0, '127.0.0.1')).replace(/^http/, 'ws');
  const dir = mkdtempSync(join(tmpdir(), 'talkload-wsfirst-'));
  try {
    writeFileSync(join(dir, 'first.js'), SCRIPT);
    const exportFile = join(dir, 'summary.json');
    const k6 = findK6();
    process.stderr.write(`bench:ws-first-message: ${N} WebSocket connections from k6 ${k6.version} to a server on loopback that sends one message on open...\n`);
    const child = spawn(k6.path, ['run', '-q', '--no-color', '--summary-export', exportFile, join(dir, 'first.js')], {
      env: { ...process.env, WS_URL: url, K6_NO_USAGE_REPORT: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const kill = setTimeout(() => child.kill('SIGKILL'), 300_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(kill);
    let summary: { metrics?: Record<string, { count?: number }> };
    try {
      summary = JSON.parse(readFileSync(exportFile, 'utf8'));
    } catch {
      throw new Error(`k6 wrote no summary (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`);
    }
    const opened = summary.metrics?.['ws_sessions']?.count ?? 0;
    const missing = summary.metrics?.['first_message_missing']?.count ?? 0;
    console.log(`k6 opened ${opened} WebSockets; the server sent ${sent} first messages; ${missing} never reached the script's onmessage${missing > 0 ? ` (1 in ${Math.round(opened / missing)})` : ''}.`);
  } finally {
    wss.close();
    server.close();
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench:ws-first-message: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
