// Behaviours beyond single statuses: lastPing windows, lazy expiry, kicks, long-poll wake-ups,
// brute-force delays, the request pipeline, faults, the capacity model and Talk 19 compatibility.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCapacity } from './capacity.ts';
import { parseFaultRules } from './faults.ts';
import { guestInCall, publicRoom, startWorld, type World, worldPerSuite } from './testing.ts';

describe('session lifetime', () => {
  let w: World;
  worldPerSuite({ settings: { bruteForce: 'off' } }, (x) => (w = x));

  test('GET /call hides a session not pinged for 30 s; a signaling poll brings it back', async () => {
    const token = await publicRoom(w.user());
    const a = await guestInCall(w, token);
    w.advance(31);
    const b = await guestInCall(w, token);
    const onlyB = await b.call('call_peers', { token });
    assert.equal(onlyB.data.length, 1);
    await a.call('signaling_poll', { token }); // pings, answers at once (a refresh is queued)
    const both = await b.call('call_peers', { token });
    assert.equal(both.data.length, 2);
  });

  test('listing participants expires sessions idle for 100 s, and only then', async () => {
    const owner = w.user();
    const token = await publicRoom(owner);
    const g = await guestInCall(w, token);
    w.advance(101);
    assert.equal((await g.call('call_flags', { token, params: { flags: 3 } })).status, 200, 'nothing expires on its own');
    const list = await owner.call('room_participants', { token });
    assert.deepEqual(list.data.map((p: { actorType: string }) => p.actorType), ['users']);
    assert.equal((await g.call('call_peers', { token })).status, 404);
  });

  test('joining the call without flags means 7; leaving the room ends the call', async () => {
    const owner = w.user();
    const token = await publicRoom(owner);
    const g = await guestInCall(w, token, 7);
    const room = await owner.call('room_get', { token });
    assert.equal(room.data.hasCall, true);
    assert.equal(room.data.callFlag, 7);
    await g.call('room_leave', { token });
    assert.equal((await owner.call('room_get', { token })).data.hasCall, false);
  });

  test('lobby disconnects non-moderators from the call; read-only disconnects everyone', async () => {
    const owner = w.user();
    const token = await publicRoom(owner);
    await owner.call('room_join', { token });
    await owner.call('call_join', { token });
    await guestInCall(w, token);
    assert.equal((await owner.call('call_peers', { token })).data.length, 2);
    await owner.call('room_lobby', { token, params: { state: 1 } });
    const afterLobby = await owner.call('call_peers', { token });
    assert.deepEqual(afterLobby.data.map((p: { actorType: string }) => p.actorType), ['users']);
    await owner.call('room_lobby', { token, params: { state: 0 } });
    await owner.call('room_read_only', { token, params: { state: 1 } });
    assert.equal((await owner.call('call_peers', { token })).status, 403);
    await owner.call('room_read_only', { token, params: { state: 0 } });
    assert.equal((await owner.call('call_peers', { token })).data.length, 0);
  });

  test('a lobby timer in the past switches the lobby off when the room is next loaded', async () => {
    const owner = w.user();
    const token = await publicRoom(owner);
    const soon = Math.floor((Date.now() + w.sim.clock.offsetMs) / 1000) + 10;
    await owner.call('room_lobby', { token, params: { state: 1, timer: soon } });
    const g = w.guest();
    await g.call('room_join', { token });
    assert.equal((await g.call('call_join', { token })).status, 412);
    w.advance(11);
    assert.equal((await g.call('call_join', { token })).status, 200);
  });

  test('a PHP session idle for 24 minutes is collected: its guest becomes a stranger', async () => {
    const token = await publicRoom(w.user());
    const g = await guestInCall(w, token);
    w.advance(1441);
    w.sim.state.collectPhpSessions();
    assert.equal((await g.call('call_peers', { token })).status, 404);
  });
});

describe('internal signaling long-poll', () => {
  let w: World;
  worldPerSuite({ settings: { bruteForce: 'off', signalingPullSeconds: 5 } }, (x) => (w = x));

  test('a join elsewhere in the room wakes a held poll at the next one-second tick', async () => {
    const token = await publicRoom(w.user());
    const a = w.guest();
    await a.call('room_join', { token });
    await a.call('signaling_poll', { token }); // consumes its own join's refresh
    const started = Date.now();
    const held = a.call('signaling_poll', { token });
    await new Promise((r) => setTimeout(r, 200));
    await w.guest().call('room_join', { token });
    const r = await held;
    const took = Date.now() - started;
    assert.equal(r.status, 200);
    assert.ok(took >= 900 && took < 2500, `answered after ${took} ms`);
    assert.equal(r.data.at(-1).data.length, 2);
  });

  test('a message to one\'s own session ends one\'s own poll with that message', async () => {
    const token = await publicRoom(w.user());
    const a = w.guest();
    const joined = await a.call('room_join', { token });
    const sid = joined.data.sessionId as string;
    await a.call('signaling_poll', { token });
    const held = a.call('signaling_poll', { token });
    const fn = JSON.stringify({ to: sid, type: 'candidate', payload: {} });
    assert.equal((await a.call('signaling_send', { token, params: { messages: JSON.stringify([{ ev: 'message', fn, sessionId: sid }]) } })).status, 200);
    const r = await held;
    assert.equal(r.data[0].type, 'message');
    assert.equal(JSON.parse(r.data[0].data).from, sid);
  });

  test('an idle poll is held for the configured time', async () => {
    const token = await publicRoom(w.user());
    const a = w.guest();
    await a.call('room_join', { token });
    await a.call('signaling_poll', { token });
    const started = Date.now();
    const r = await a.call('signaling_poll', { token });
    assert.equal(r.status, 200);
    assert.ok(Date.now() - started >= 4900, 'held about 5 s');
  });
});

describe('request pipeline', () => {
  let w: World;
  worldPerSuite({ settings: { bruteForce: 'on' } }, (x) => (w = x));

  test('an unknown token sleeps the brute-force delay and says so in a header', async () => {
    const g = w.guest();
    const started = Date.now();
    const r = await g.call('room_get', { token: 'nosuchroom1' });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('x-nextcloud-bruteforce-throttled'), '200ms');
    assert.ok(Date.now() - started >= 190);
    await fetch(`${w.url}/__talksim/bruteforce/reset`, { method: 'POST' });
  });

  test('unknown paths, wrong API versions and bad tokens are router 404s; wrong methods 405', async () => {
    const h = { 'OCS-APIRequest': 'true', Accept: 'application/json' };
    const get = (p: string, method = 'GET') => fetch(w.url + p, { method, headers: h });
    const unknown = await get('/ocs/v2.php/apps/spreed/api/v4/nothing');
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { ocs: { meta: { statuscode: number } } }).ocs.meta.statuscode, 404);
    assert.equal((await get('/ocs/v2.php/apps/spreed/api/v3/call/abcd1234')).status, 404);
    assert.equal((await get('/ocs/v2.php/apps/spreed/api/v4/call/AB')).status, 404);
    assert.equal((await get('/ocs/v2.php/apps/spreed/api/v4/call/abcd1234', 'PATCH')).status, 405);
    const html = await get('/index.php/apps/spreed');
    assert.equal(html.status, 404);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
  });

  test('wrong Basic credentials are a 401 even on endpoints guests may call', async () => {
    const { TestClient } = await import('./testing.ts');
    const wrong = new TestClient(w.url, { id: 'admin', password: 'wrong' });
    const r = await wrong.call('capabilities');
    assert.equal(r.status, 401);
    assert.equal(r.body.kind === 'ocs' && r.body.meta.message, 'Unauthorised');
    assert.equal((await new TestClient(w.url, { id: 'nobody', password: 'x' }).call('room_create', { params: { roomType: 3, roomName: 'x' } })).status, 401);
  });

  test('without Accept: application/json the envelope is XML', async () => {
    const r = await fetch(`${w.url}/ocs/v2.php/cloud/capabilities`, { headers: { 'OCS-APIRequest': 'true' } });
    assert.match(await r.text(), /^<\?xml version="1.0"\?>\n<ocs>\n <meta>/);
  });

  test('a missing required parameter is a bare 400 and a malformed JSON body is ignored', async () => {
    const token = await publicRoom(w.user());
    const g = await guestInCall(w, token);
    const r = await fetch(`${w.url}/ocs/v2.php/apps/spreed/api/v4/call/${token}`, {
      method: 'PUT',
      headers: { 'OCS-APIRequest': 'true', Accept: 'application/json', 'Content-Type': 'application/json', Cookie: [...g.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: '{"flags": 3',
    });
    assert.equal(r.status, 400);
    assert.equal(await r.text(), '');
  });

  test('fault headers inject errors, HTML and latency per request', async () => {
    const g = w.guest();
    assert.equal((await g.call('capabilities', { headers: { 'X-Talksim-Fault': 'error:503' } })).status, 503);
    const html = await g.call('capabilities', { headers: { 'X-Talksim-Fault': 'html:502' } });
    assert.equal(html.status, 502);
    assert.equal(html.body.kind, 'html');
    assert.equal((await g.call('capabilities', { headers: { 'X-Talksim-Fault': 'badjson' } })).body.kind, 'garbage');
    const started = Date.now();
    assert.equal((await g.call('capabilities', { headers: { 'X-Talksim-Fault': 'delay:150' } })).status, 200);
    assert.ok(Date.now() - started >= 145);
    await assert.rejects(g.call('capabilities', { headers: { 'X-Talksim-Fault': 'reset' } }));
  });

  test('an uncaught error (error:500) is OCS XML whatever Accept says, JSON only with format=json', async () => {
    const g = w.guest();
    const xml = await g.call('signaling_settings', { params: { token: 'abcd' }, headers: { 'X-Talksim-Fault': 'error:500' } });
    assert.equal(xml.status, 500);
    assert.match(xml.headers.get('content-type') ?? '', /^text\/xml/);
    assert.deepEqual(xml.body, { kind: 'xml', meta: { status: 'failure', statuscode: 500, message: 'Internal Server Error' } });
    const json = await g.call('signaling_settings', { params: { token: 'abcd', format: 'json' }, headers: { 'X-Talksim-Fault': 'error:500' } });
    assert.equal(json.body.kind, 'ocs');
    // A controller's own error status still honours Accept.
    assert.equal((await g.call('capabilities', { headers: { 'X-Talksim-Fault': 'error:503' } })).body.kind, 'ocs');
  });

  test('session ids are 255 characters of Talk\'s alphabet, written with PHP escaping', async () => {
    const token = await publicRoom(w.user());
    const ids: string[] = [];
    let raw = '';
    for (let i = 0; i < 8; i++) {
      const g = w.guest();
      const joined = await g.call('room_join', { token });
      ids.push(joined.data.sessionId as string);
      raw += joined.text;
      await g.call('call_join', { token, params: { flags: 1 } });
      if (i === 7) raw += (await g.call('call_peers', { token })).text;
    }
    for (const id of ids) assert.match(id, /^[A-Za-z0-9+/]{255}$/);
    // 8 ids of 255 characters hold a '/' with certainty (1 - (63/64)^2040).
    assert.ok(ids.some((id) => id.includes('/')));
    assert.ok(!/[^\\]\//.test(raw), 'no unescaped / anywhere in the answers');
    assert.ok(raw.includes('\\/'));
  });

  test('fault rules can be replaced at run time', async () => {
    const put = await fetch(`${w.url}/__talksim/faults`, { method: 'PUT', body: 'capabilities=error:500' });
    assert.equal(put.status, 200);
    assert.equal((await w.guest().call('capabilities')).status, 500);
    await fetch(`${w.url}/__talksim/faults`, { method: 'PUT', body: '' });
    assert.equal((await w.guest().call('capabilities')).status, 200);
  });

  test('/metrics exposes talksim_* and the Nextcloud Talk gauges', async () => {
    const token = await publicRoom(w.user());
    await guestInCall(w, token);
    const text = await (await fetch(`${w.url}/metrics`)).text();
    assert.match(text, /^talksim_requests_total\{endpoint="call_join",method="POST",code="200"\} \d+$/m);
    assert.match(text, /^nextcloud_talk_active_calls [1-9]\d*$/m);
    assert.match(text, /^nextcloud_talk_in_call_sessions [1-9]\d*$/m);
  });
});

describe('capacity model', () => {
  test('one worker serialises requests; the queue holds the rest', async () => {
    const w = await startWorld({ capacity: parseCapacity('workers=1,cores=1,scale=5'), settings: { bruteForce: 'off' } });
    try {
      const started = Date.now();
      // capabilities takes 15 ms x 5 = 75 ms of service time each.
      await Promise.all([1, 2, 3, 4].map(() => w.guest().call('capabilities')));
      assert.ok(Date.now() - started >= 290, `took ${Date.now() - started} ms`);
    } finally {
      await w.close();
    }
  });
});

describe('Talk 19 compatibility', () => {
  test('no range check on flags, [] payloads', async () => {
    const w = await startWorld({ settings: { bruteForce: 'off', compat: 'talk19' } });
    try {
      const token = await publicRoom(w.user());
      const g = w.guest();
      await g.call('room_join', { token });
      const r = await g.call('call_join', { token, params: { flags: 16 } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.data, []);
    } finally {
      await w.close();
    }
  });
});

describe('fault rule grammar', () => {
  const table: [string, string][] = [
    ['call_join', 'fault rule "call_join" needs ENDPOINT=FAULT'],
    ['nope=error:500', 'unknown endpoint "nope" in fault rule'],
    ['call_join=explode', 'unknown fault "explode"'],
    ['call_join=delay', 'delay needs milliseconds'],
    ['call_join=error:99', 'error status must be between 100 and 599'],
    ['call_join=error:500@150', 'fault percent must be between 0 and 100'],
  ];
  for (const [spec, message] of table) {
    test(`"${spec}" is rejected: ${message}`, () => {
      assert.throws(() => parseFaultRules(spec), (e: Error) => e.message.startsWith(message));
    });
  }
  test('several rules, several endpoints, a percentage', () => {
    const rules = parseFaultRules('call_join,call_flags=delay:10-20@50; *=reset@1');
    assert.equal(rules.length, 2);
    assert.deepEqual(rules[0], { endpoints: ['call_join', 'call_flags'], fault: { kind: 'delay', minMs: 10, maxMs: 20 }, percent: 50 });
  });
});

test('a held signaling poll does not keep the process alive after close (the run used to wait 30 s at exit)', { timeout: 30_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const script = `
    import { startWorld, publicRoom, guestInCall } from ${JSON.stringify(new URL('./testing.ts', import.meta.url).href)};
    const w = await startWorld({ settings: { signalingPullSeconds: 30, bruteForce: 'off' } });
    const token = await publicRoom(w.user());
    const g = await guestInCall(w, token);
    await g.call('signaling_poll', { token }); // answers at once: the join's participant-list refresh
    g.call('signaling_poll', { token }).catch(() => {}); // held: nothing new
    await new Promise((r) => setTimeout(r, 300));
    await w.close();
    console.log('closed ' + Date.now());
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const closedAt = Number(/closed (\d+)/.exec(out)?.[1]);
  assert.equal(code, 0, out);
  assert.ok(Number.isFinite(closedAt), out);
  // Exit follows close within a couple of seconds, not at the end of the 30 s hold.
  assert.ok(Date.now() - closedAt < 5_000, `exited ${Date.now() - closedAt} ms after close (${Date.now() - started} ms in all)`);
});
