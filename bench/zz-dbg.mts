import { mkdtempSync } from 'node:fs';
import { WebSocket } from 'ws';
import { startHpbServers } from './hpb-servers.ts';
import { TestClient, publicRoom } from '../src/node/simulator/testing.ts';
const kind = (process.argv[2] ?? 'real') as 'real' | 'emulator';
const s = await startHpbServers(kind, { kind: 'bin', bin: '/tmp/hpbsrc/bin/signaling' }, mkdtempSync('/tmp/dbg-'));
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const admin = new TestClient(s.simUrl, { id: 'admin', password: 'admin' });
  const token = await publicRoom(admin, 'dbg');
  const guests: Record<string, { http: TestClient; got: string[] }> = {};
  for (const name of ['A', 'B', 'C']) {
    const http = new TestClient(s.simUrl);
    const joined = await http.call('room_join', { token });
    const settings = (await http.call('signaling_settings', { params: { token } })).data;
    const ws = new WebSocket(`${String(settings.server).replace(/^http/, 'ws')}/spreed`);
    const g = { http, got: [] as string[] };
    guests[name] = g;
    ws.on('message', (d) => { const t = d.toString(); if (t.includes('"participants"')) { const m = t.match(/"inCall":\d+/g); const sid = (t.match(/"sessionId":"[^"]{0,6}/g) ?? []).map((x) => x.slice(13)); g.got.push(`${m?.join(',')} sids=${sid.join(',')}`); } });
    await new Promise((r) => ws.once('open', r));
    await wait(200);
    ws.send(JSON.stringify({ id: '1', type: 'hello', hello: { version: '2.0', auth: { url: `${s.simUrl}/ocs/v2.php/apps/spreed/api/v3/signaling/backend`, params: settings.helloAuthParams['2.0'] } } }));
    await wait(300);
    ws.send(JSON.stringify({ id: '2', type: 'room', room: { roomid: token, sessionid: joined.data.sessionId } }));
    await wait(300);
  }
  const step = async (label: string, f: () => Promise<unknown>) => {
    for (const g of Object.values(guests)) g.got = [];
    await f(); await wait(700);
    console.log(`${label}: ` + Object.entries(guests).map(([n, g]) => `${n}[${g.got.join(' | ')}]`).join('  '));
  };
  const X = new TestClient(s.simUrl); await X.call('room_join', { token });
  await step('X (no HPB) joins call (7) first', () => X.call('call_join', { token, params: { flags: 7 } }));
  await step('A joins call (3)', () => guests.A!.http.call('call_join', { token, params: { flags: 3 } }));
  await step('B joins call (7)', () => guests.B!.http.call('call_join', { token, params: { flags: 7 } }));
  await step('B flags 3', () => guests.B!.http.call('call_flags', { token, params: { flags: 3 } }));
  await step('A leaves call', () => guests.A!.http.call('call_leave', { token }));
  await step('B leaves call', () => guests.B!.http.call('call_leave', { token }));
  await step('A joins again (3)', () => guests.A!.http.call('call_join', { token, params: { flags: 3 } }));
  await step('X (no HPB) flags 3', () => X.call('call_flags', { token, params: { flags: 3 } }));
  await step('X (no HPB) leaves call', () => X.call('call_leave', { token }));
  await step('A leaves room (OCS)', () => guests.A!.http.call('room_leave', { token }));
} finally { s.stop(); }
