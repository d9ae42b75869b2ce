// External signaling end to end over real HTTP and real WebSockets on loopback: the simulator as a
// Talk server with an HPB, and the HPB emulator (or a real signaling server when HPB_BIN names one).

import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Hpb } from '../../shared/constants.ts';
import { publicRoom } from '../simulator/testing.ts';
import { HpbEmulator } from './emulator.ts';
import { checksum, newRandom } from './signed.ts';
import { HPB_BIN, type HpbWorld, SignalingClient, hpbGuest, startHpbWorld } from './testing.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience

const b64json = (part: string): Json => JSON.parse(Buffer.from(part, 'base64url').toString());

/** A signed backend request as the HPB makes it; `secret` may be wrong on purpose. */
async function backend(w: HpbWorld, body: Json, opts: { secret?: string; random?: string } = {}): Promise<{ status: number; data: Json; headers: Headers }> {
  const text = JSON.stringify(body);
  const random = opts.random ?? newRandom();
  const res = await fetch(`${w.simUrl}${Hpb.backendPath}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'ocs-apirequest': 'true',
      'spreed-signaling-random': random,
      'spreed-signaling-checksum': checksum(opts.secret ?? w.sim.external!.config.secret, random, text),
    },
    body: text,
  });
  return { status: res.status, data: ((await res.json()) as Json).ocs.data, headers: res.headers };
}

const peersOf = async (w: HpbWorld, http: ReturnType<HpbWorld['guest']>, token: string): Promise<string[]> => {
  const r = await http.call('call_peers', { token });
  assert.equal(r.status, 200);
  return (r.data as Json[]).map((p) => p.sessionId);
};

describe('Talk with an HPB: settings, capabilities, internal signaling off', () => {
  let w: HpbWorld;
  before(async () => {
    w = await startHpbWorld('emulator');
  });
  after(() => w.close());

  test('signaling settings hand out the HPB, a v1 ticket and a v2 JWT signed with the published key', async () => {
    const owner = w.user();
    const token = await publicRoom(owner);
    const g = w.guest();
    await g.call('room_join', { token });
    const s = await g.call('signaling_settings', { params: { token } });
    assert.equal(s.status, 200);
    assert.equal(s.data.signalingMode, 'external');
    assert.equal(s.data.server, w.hpbUrl);
    assert.match(s.data.ticket, /^[0-9a-f]+:\d+::[0-9a-f]{64}$/, 'guest ticket: random:timestamp:(no user):checksum');
    assert.equal(s.data.helloAuthParams['1.0'].ticket, s.data.ticket);
    assert.equal(s.data.helloAuthParams['1.0'].userid, null);
    const jwt: string = s.data.helloAuthParams['2.0'].token;
    const [h, p, sig] = jwt.split('.');
    assert.deepEqual(b64json(h!), { typ: 'JWT', alg: 'ES256' });
    const claims = b64json(p!);
    assert.equal(claims.iss, `${w.simUrl}/`);
    assert.equal(claims.exp - claims.iat, Hpb.tokenLifetimeSeconds);
    assert.equal(claims.sub, undefined, 'guests have no sub');
    const caps = await g.call('capabilities');
    const sigCaps = caps.data.capabilities.spreed.config.signaling;
    assert.equal(sigCaps['session-ping-limit'], 200);
    assert.ok(caps.data.capabilities.spreed.features.includes('signaling-v3'));
    const key = createPublicKey(sigCaps['hello-v2-token-key']);
    assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig!, 'base64url')));
    // A user's token names the user.
    const us = await owner.call('signaling_settings', { params: { token } });
    const uc = b64json(us.data.helloAuthParams['2.0'].token.split('.')[1]);
    assert.equal(uc.sub, 'admin');
    assert.equal(uc.userdata.displayname, 'Administrator');
  });

  test('internal signaling answers 400 "Internal signaling disabled." to poll and send', async () => {
    const token = await publicRoom(w.user());
    const g = w.guest();
    await g.call('room_join', { token });
    const poll = await g.call('signaling_poll', { token });
    assert.equal(poll.status, 400);
    assert.equal(poll.data, 'Internal signaling disabled.');
    const send = await g.call('signaling_send', { token, params: { messages: '[]' } });
    assert.equal(send.status, 400);
    assert.equal(send.data, 'Internal signaling disabled.');
  });
});

describe('Talk backend endpoint: every request type, good and bad checksums', () => {
  let w: HpbWorld;
  before(async () => {
    w = await startHpbWorld('emulator');
  });
  after(() => w.close());

  test('auth: a v1 ticket is checked by Talk (guest, user, forged)', async () => {
    const token = await publicRoom(w.user());
    const g = w.guest();
    await g.call('room_join', { token });
    const gs = await g.call('signaling_settings', { params: { token } });
    const ok = await backend(w, { type: 'auth', auth: { version: '1.0', params: { userid: '', ticket: gs.data.ticket } } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.data, { type: 'auth', auth: { version: '1.0' } });
    const us = await w.user().call('signaling_settings', { params: { token } });
    const user = await backend(w, { type: 'auth', auth: { version: '1.0', params: { userid: 'admin', ticket: us.data.ticket } } });
    assert.equal(user.data.auth.userid, 'admin');
    const forged = await backend(w, { type: 'auth', auth: { version: '1.0', params: { userid: 'admin', ticket: gs.data.ticket } } });
    assert.equal(forged.data.type, 'error');
    assert.equal(forged.data.error.code, 'invalid_ticket');
  });

  test('room: join pings the session, a second join is a duplicate, leave removes the guest', async () => {
    const token = await publicRoom(w.user());
    const g = w.guest();
    const joined = await g.call('room_join', { token });
    const sid: string = joined.data.sessionId;
    const session = w.sim.state.sessionsById.get(sid)!;
    session.lastPing -= 50;
    const join = await backend(w, { type: 'room', room: { version: '1.0', roomid: token, userid: '', sessionid: sid, action: 'join' } });
    assert.equal(join.status, 200);
    assert.equal(join.data.type, 'room');
    assert.equal(join.data.room.roomid, token);
    assert.equal(join.data.room.properties.type, 3);
    assert.ok(join.data.room.permissions.includes('publish-media'));
    assert.ok(session.lastPing >= w.sim.state.nowSec() - 1, 'the room join refreshes lastPing');
    const again = await backend(w, { type: 'room', room: { version: '1.0', roomid: token, userid: '', sessionid: sid, action: 'join' } });
    assert.equal(again.data.error.code, 'duplicate_session');
    const unknown = await backend(w, { type: 'room', room: { version: '1.0', roomid: 'nosuchroom', userid: '', sessionid: sid } });
    assert.equal(unknown.data.error.code, 'no_such_room');
    const stranger = await backend(w, { type: 'room', room: { version: '1.0', roomid: token, userid: '', sessionid: 'not-a-session' } });
    assert.equal(stranger.data.error.code, 'no_such_room');
    const leave = await backend(w, { type: 'room', room: { version: '1.0', roomid: token, userid: '', sessionid: sid, action: 'leave' } });
    assert.deepEqual(leave.data, { type: 'room', room: { version: '1.0', roomid: token } });
    assert.equal(w.sim.state.sessionsById.has(sid), false, 'a guest leaving on the HPB is gone from Talk');
  });

  test('ping: one request refreshes every listed session', async () => {
    const token = await publicRoom(w.user());
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) sids.push((await w.guest().call('room_join', { token })).data.sessionId);
    for (const sid of sids) w.sim.state.sessionsById.get(sid)!.lastPing -= 60;
    const r = await backend(w, { type: 'ping', ping: { roomid: token, entries: sids.slice(0, 2).map((sessionid) => ({ sessionid })) } });
    assert.deepEqual(r.data, { type: 'room', room: { version: '1.0', roomid: token } });
    const now = w.sim.state.nowSec();
    assert.deepEqual(sids.map((sid) => w.sim.state.sessionsById.get(sid)!.lastPing >= now - 1), [true, true, false]);
  });

  test('a bad checksum, a short random or an unknown type: HTTP 200 with an error; a bad checksum is a brute-force attempt', async () => {
    const bad = await backend(w, { type: 'ping', ping: { roomid: 'x', entries: [] } }, { secret: 'not-the-shared-secret-at-all' });
    assert.equal(bad.status, 200);
    assert.deepEqual(bad.data.error.code, 'invalid_request');
    const short = await backend(w, { type: 'ping', ping: { roomid: 'x', entries: [] } }, { random: 'short' });
    assert.equal(short.data.error.code, 'invalid_request');
    const unknown = await backend(w, { type: 'bogus' });
    assert.equal(unknown.data.error.code, 'unknown_type');
    assert.ok(w.sim.state.attempts.size === 0, 'brute force is off in this world: no attempts kept');
    const metrics = await (await fetch(`${w.simUrl}/metrics`)).text();
    assert.match(metrics, /talksim_signaling_backend_requests_total\{type="unknown",result="invalid_request"\} 2/);
  });
});

describe('bad checksum with brute-force protection on', () => {
  test('registers a talkSignalingSecret attempt: the next backend request is throttled', async () => {
    const w = await startHpbWorld('emulator');
    try {
      w.sim.state.settings.bruteForce = 'on';
      await backend(w, { type: 'ping', ping: { roomid: 'x', entries: [] } }, { secret: 'not-the-shared-secret-at-all' });
      const next = await backend(w, { type: 'ping', ping: { roomid: 'x', entries: [] } });
      assert.equal(next.data.type, 'room', 'a good request still works');
      assert.match(next.headers.get('x-nextcloud-bruteforce-throttled') ?? '', /^\d+ms$/);
    } finally {
      await w.close();
    }
  });
});

// The protocol tests that a real signaling server must pass too.
const kinds: ('emulator' | 'real')[] = HPB_BIN ? ['emulator', 'real'] : ['emulator'];
if (!HPB_BIN) test('real HPB: skipped (set HPB_BIN to a nextcloud-spreed-signaling binary to run the protocol tests against it)', { skip: 'HPB_BIN not set' }, () => undefined);

for (const kind of kinds) {
  describe(`client protocol against the ${kind} HPB`, () => {
    let w: HpbWorld;
    before(async () => {
      w = await startHpbWorld(kind);
    });
    after(() => w.close());

    test('welcome, then hello v2 with the JWT and hello v1 with the ticket', async () => {
      const token = await publicRoom(w.user());
      const v2 = await hpbGuest(w, token, '2.0');
      assert.ok(v2.sig.received[0].type === 'welcome' && v2.sig.received[0].welcome.features.includes('hello-v2'));
      // As long as the real server's ids (288 characters): the events' sizes depend on them.
      assert.equal(v2.hpbSessionId.length, 288);
      assert.match(v2.hpbSessionId, /^[A-Za-z0-9_=-]+$/);
      const v1 = await hpbGuest(w, token, '1.0');
      assert.notEqual(v1.hpbSessionId, v2.hpbSessionId);
      v1.sig.close();
      v2.sig.close();
    });

    test('a forged token, an expired token and a foreign backend are refused', async () => {
      const token = await publicRoom(w.user());
      const g = w.guest();
      await g.call('room_join', { token });
      const url = `${w.simUrl}${Hpb.backendPath}`;
      const settings = (await g.call('signaling_settings', { params: { token } })).data;
      const sig = await SignalingClient.open(w.hpbUrl);
      const [h, p] = settings.helloAuthParams['2.0'].token.split('.');
      const forged = await sig.request('hello', { version: '2.0', auth: { url, params: { token: `${h}.${p}.AAAA` } } });
      assert.equal(forged.type, 'error');
      assert.equal(forged.error.code, 'invalid_token');
      const foreign = await sig.request('hello', { version: '2.0', auth: { url: 'http://127.0.0.1:9/other', params: settings.helloAuthParams['2.0'] } });
      assert.equal(foreign.type, 'error');
      assert.equal(foreign.error.code, 'invalid_backend');
      sig.close();
      // A token from a Talk whose clock is two minutes behind is already expired.
      w.sim.clock.offsetMs -= 120_000;
      const old = (await g.call('signaling_settings', { params: { token } })).data;
      w.sim.clock.offsetMs += 120_000;
      const sig2 = await SignalingClient.open(w.hpbUrl);
      const expired = await sig2.request('hello', { version: '2.0', auth: { url, params: old.helloAuthParams['2.0'] } });
      assert.equal(expired.type, 'error');
      assert.equal(expired.error.code, 'token_expired');
      sig2.close();
    });

    test('a joiner learns the sessions already in the room in one join event, then its own', async () => {
      const token = await publicRoom(w.user());
      const a = await hpbGuest(w, token);
      const b = await hpbGuest(w, token);
      const c = await hpbGuest(w, token);
      // The real server sends the two in either order; each one once.
      const joinOf = (id: string) => (m: Json): boolean => m.type === 'event' && m.event.type === 'join' && m.event.join.some((e: Json) => e.sessionid === id);
      await c.sig.next(joinOf(c.hpbSessionId));
      await c.sig.next(joinOf(a.hpbSessionId));
      const joins = c.sig.received.filter((m: Json) => m.type === 'event' && m.event.type === 'join').map((m: Json) => m.event.join.map((e: Json) => e.sessionid).sort());
      joins.sort((x: string[], y: string[]) => y.length - x.length);
      assert.deepEqual(joins, [[a.hpbSessionId, b.hpbSessionId].sort(), [c.hpbSessionId]]);
      for (const g of [a, b, c]) g.sig.close();
    });

    test('a caller without an HPB session is left out of the events; with no other caller there is no event', async () => {
      const token = await publicRoom(w.user());
      const a = await hpbGuest(w, token);
      const x = w.guest(); // joins the conversation over OCS, never says hello to the HPB
      assert.equal((await x.call('room_join', { token })).status, 200);
      const isUpdate = (m: Json): boolean => m.type === 'event' && m.event.target === 'participants' && m.event.type === 'update';
      const mark = a.sig.received.length;
      assert.equal((await x.call('call_join', { token, params: { flags: 7 } })).status, 200);
      await new Promise((r) => setTimeout(r, 800));
      assert.deepEqual(a.sig.received.slice(mark).filter(isUpdate), [], 'only x is in the call: nothing to tell a');
      assert.equal((await a.http.call('call_join', { token, params: { flags: 3 } })).status, 200);
      const joined = await a.sig.next((m) => isUpdate(m), 5000, mark);
      assert.deepEqual(joined.event.update.users.map((u: Json) => [u.sessionId, u.inCall]), [[a.hpbSessionId, 3]]);
      const mark2 = a.sig.received.length;
      assert.equal((await x.call('call_flags', { token, params: { flags: 3 } })).status, 200);
      const changed = await a.sig.next((m) => isUpdate(m), 5000, mark2);
      assert.deepEqual(changed.event.update.users.map((u: Json) => u.sessionId), [a.hpbSessionId], 'x changed, but only a is listed');
      a.sig.close();
    });

    test('room join events, then incall fan-out with Talk session ids mapped to HPB ids', async () => {
      const token = await publicRoom(w.user());
      const a = await hpbGuest(w, token);
      const selfJoin = await a.sig.next((m) => m.type === 'event' && m.event.type === 'join');
      assert.deepEqual(selfJoin.event.join.map((e: Json) => [e.sessionid, e.roomsessionid]), [[a.hpbSessionId, a.talkSessionId]]);
      const b = await hpbGuest(w, token);
      const bJoined = await a.sig.next((m) => m.type === 'event' && m.event.type === 'join' && m.event.join.some((e: Json) => e.sessionid === b.hpbSessionId));
      assert.equal(bJoined.event.target, 'room');
      const mark = b.sig.received.length;
      const call = await a.http.call('call_join', { token, params: { flags: 7 } });
      assert.equal(call.status, 200);
      for (const who of [a, b]) {
        const ev = await who.sig.next((m) => m.type === 'event' && m.event.target === 'participants' && m.event.type === 'update', 5000, who === b ? mark : 0);
        // The client finds itself by its HPB session id: the Talk id is not in the event.
        assert.ok(!JSON.stringify(ev).includes(a.talkSessionId), JSON.stringify(ev));
        const mine = ev.event.update.users.find((u: Json) => u.sessionId === a.hpbSessionId);
        assert.ok(mine, JSON.stringify(ev));
        assert.equal(mine.inCall, 7);
        assert.equal(mine.actorType, 'guests');
      }
      const mark2 = b.sig.received.length;
      assert.equal((await a.http.call('call_flags', { token, params: { flags: 3 } })).status, 200);
      const flags = await b.sig.next((m) => m.type === 'event' && m.event.type === 'update' && m.event.update.users.some((u: Json) => u.sessionId === a.hpbSessionId && u.inCall === 3), 5000, mark2);
      assert.equal(flags.event.update.roomid, token);
      // Leaving the call: the leaver is still in the event, with inCall 0.
      const mark3 = b.sig.received.length;
      assert.equal((await a.http.call('call_leave', { token })).status, 200);
      await b.sig.next((m) => m.type === 'event' && m.event.type === 'update' && m.event.update.users.some((u: Json) => u.sessionId === a.hpbSessionId && u.inCall === 0), 5000, mark3);
      a.sig.close();
      b.sig.close();
    });

    test('message relay to a session, then bye', async () => {
      const token = await publicRoom(w.user());
      const a = await hpbGuest(w, token);
      const b = await hpbGuest(w, token);
      a.sig.send('message', { recipient: { type: 'session', sessionid: b.hpbSessionId }, data: { type: 'offer', hello: 'b' } });
      const got = await b.sig.next((m) => m.type === 'message');
      assert.equal(got.message.sender.sessionid, a.hpbSessionId);
      assert.deepEqual(got.message.data, { type: 'offer', hello: 'b' });
      const bye = await a.sig.request('bye', {});
      assert.equal(bye.type, 'bye');
      await a.sig.waitClosed();
      const left = await b.sig.next((m) => m.type === 'event' && m.event.type === 'leave');
      assert.deepEqual(left.event.leave, [a.hpbSessionId]);
      b.sig.close();
    });

    test('requests before hello, an unknown hello version, an unknown room', async () => {
      const token = await publicRoom(w.user());
      const sig = await SignalingClient.open(w.hpbUrl);
      assert.equal((await sig.request('room', { roomid: token })).error.code, 'hello_expected');
      assert.equal((await sig.request('hello', { version: '3.0' })).error.code, 'invalid_hello_version');
      sig.close();
      const a = await hpbGuest(w, token);
      const wrong = await a.sig.request('room', { roomid: 'nosuchroom', sessionid: 'not-a-talk-session' });
      assert.equal(wrong.error.code, 'no_such_room');
      // A refused join changes nothing: the guest is still in its room, on Talk too.
      assert.equal(w.sim.state.sessionsById.has(a.talkSessionId), true);
      a.sig.close();
      // The same room again: already joined. Another room with the Talk session id it holds: a
      // real server ends the connection.
      const b = await hpbGuest(w, token);
      const again = await b.sig.request('room', { roomid: token, sessionid: b.talkSessionId });
      assert.equal(again.error.code, 'already_joined');
      assert.equal(again.error.details.room.roomid, token);
      b.sig.send('room', { roomid: 'nosuchroom', sessionid: b.talkSessionId });
      assert.equal((await b.sig.next((m) => m.type === 'bye')).bye.reason, 'room_session_reconnected');
      await b.sig.waitClosed();
    });

    test('the same Talk session joined from a second connection: the first gets bye room_session_reconnected', async () => {
      const token = await publicRoom(w.user());
      const a = await hpbGuest(w, token);
      const settings = (await a.http.call('signaling_settings', { params: { token } })).data;
      const second = await SignalingClient.open(w.hpbUrl);
      await second.request('hello', { version: '2.0', auth: { url: `${w.simUrl}${Hpb.backendPath}`, params: settings.helloAuthParams['2.0'] } });
      const answer = await second.request('room', { roomid: token, sessionid: a.talkSessionId });
      const bye = await a.sig.next((m) => m.type === 'bye');
      assert.equal(bye.bye.reason, 'room_session_reconnected');
      assert.ok(answer.type === 'room' || answer.error?.code === 'duplicate_session', JSON.stringify(answer));
      second.close();
    });

    test('a dropped connection resumes its session; an unknown resume id is refused', async () => {
      const token = await publicRoom(w.user());
      const a = await hpbGuest(w, token);
      const resumeid = a.sig.received.find((m) => m.type === 'hello').hello.resumeid;
      a.sig.close();
      await new Promise((r) => setTimeout(r, 100));
      const again = await SignalingClient.open(w.hpbUrl);
      const hello = await again.request('hello', { version: '2.0', resumeid });
      assert.equal(hello.type, 'hello');
      assert.equal(hello.hello.sessionid, a.hpbSessionId);
      const none = await SignalingClient.open(w.hpbUrl);
      const refused = await none.request('hello', { version: '2.0', resumeid: 'not-a-resume-id' });
      assert.equal(refused.error.code, 'no_such_session');
      again.close();
      none.close();
    });
  });
}

describe('emulator time limits and keep-alive', () => {
  test('no hello within 2 s: bye hello_timeout and the socket closes', async () => {
    const w = await startHpbWorld('emulator');
    try {
      const sig = await SignalingClient.open(w.hpbUrl);
      const started = Date.now();
      const bye = await sig.next((m) => m.type === 'bye', 4000);
      assert.equal(bye.bye.reason, 'hello_timeout');
      const took = Date.now() - started;
      assert.ok(took >= 1800 && took < 3500, `closed after ${took} ms`);
      await sig.waitClosed();
    } finally {
      await w.close();
    }
  });

  test('a guest that says hello but joins no room is closed (room_join_timeout)', async () => {
    const w = await startHpbWorld('emulator', { roomJoinTimeoutMs: 300 });
    try {
      const token = await publicRoom(w.user());
      const g = w.guest();
      await g.call('room_join', { token });
      const settings = (await g.call('signaling_settings', { params: { token } })).data;
      const sig = await SignalingClient.open(w.hpbUrl);
      const hello = await sig.request('hello', { version: '2.0', auth: { url: `${w.simUrl}${Hpb.backendPath}`, params: settings.helloAuthParams['2.0'] } });
      assert.equal(hello.type, 'hello');
      const bye = await sig.next((m) => m.type === 'bye', 3000);
      assert.equal(bye.bye.reason, 'room_join_timeout');
      await sig.waitClosed();
      assert.equal(w.hpb!.sessionCount, 0);
    } finally {
      await w.close();
    }
  });

  test('ping batches respect session-ping-limit (5 sessions, limit 2: 3 requests)', async () => {
    const w = await startHpbWorld('emulator', { sessionPingLimit: 2 });
    try {
      const token = await publicRoom(w.user());
      const guests = [];
      for (let i = 0; i < 5; i++) guests.push(await hpbGuest(w, token));
      assert.equal(await w.hpb!.pingAll(), 3);
      const metrics = await (await fetch(`${w.simUrl}/metrics`)).text();
      assert.match(metrics, /talksim_signaling_backend_ping_batch_size_count 3\n/);
      assert.match(metrics, /talksim_signaling_backend_ping_batch_size_sum 5\n/);
      for (const g of guests) g.sig.close();
    } finally {
      await w.close();
    }
  });

  test('GET /call lists a session only while the HPB pings it', async () => {
    const w = await startHpbWorld('emulator');
    try {
      const token = await publicRoom(w.user());
      const a = await hpbGuest(w, token);
      assert.equal((await a.http.call('call_join', { token, params: { flags: 3 } })).status, 200);
      assert.deepEqual(await peersOf(w, a.http, token), [a.talkSessionId]);
      w.sim.clock.offsetMs += 31_000;
      assert.deepEqual(await peersOf(w, a.http, token), [], 'no ping for 31 s: not listed');
      assert.equal(await w.hpb!.pingAll(), 1);
      assert.deepEqual(await peersOf(w, a.http, token), [a.talkSessionId], 'pinged: listed again');
      w.hpb!.faults.dropPings = true;
      w.sim.clock.offsetMs += 31_000;
      assert.equal(await w.hpb!.pingAll(), 0);
      assert.deepEqual(await peersOf(w, a.http, token), [], 'pings dropped: gone');
      a.sig.close();
    } finally {
      await w.close();
    }
  });
});

describe('a failing HPB is counted, the OCS request still answers', () => {
  test('HPB down: call join answers 200, the notification failure is counted by type and cause', async () => {
    const w = await startHpbWorld('emulator');
    try {
      const token = await publicRoom(w.user());
      const g = w.guest();
      await g.call('room_join', { token });
      await w.hpb!.close();
      const call = await g.call('call_join', { token, params: { flags: 3 } });
      assert.equal(call.status, 200);
      const metrics = await (await fetch(`${w.simUrl}/metrics`)).text();
      assert.match(metrics, /talksim_hpb_notify_failures_total\{type="incall",code="connect"\} 1/);
    } finally {
      await w.sim.close();
    }
  });

  test('Talk down: the emulator refuses hello (auth-failed, invalid_token) and counts the backend errors', async () => {
    const hpb = new HpbEmulator({ backend: 'http://127.0.0.1:9', secret: 'a-secret-of-enough-length', backendTimeoutMs: 2000 });
    const url = await hpb.listen(0, '127.0.0.1');
    try {
      const sig = await SignalingClient.open(url);
      const v1 = await sig.request('hello', { version: '1.0', auth: { url: `http://127.0.0.1:9${Hpb.backendPath}`, params: { userid: '', ticket: 'x:1::y' } } });
      assert.equal(v1.error.code, 'auth-failed');
      const v2 = await sig.request('hello', { version: '2.0', auth: { url: `http://127.0.0.1:9${Hpb.backendPath}`, params: { token: 'a.b.c' } } });
      assert.equal(v2.error.code, 'invalid_token');
      sig.close();
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /signaling_backend_client_requests_errors_total\{backend="default",error="connect"\} 1/);
    } finally {
      await hpb.close();
    }
  });

  test('wrong secret: Talk counts 403s from the HPB, and the HPB gets invalid_request from Talk', async () => {
    const w = await startHpbWorld('emulator', { wrongSecret: true });
    try {
      const token = await publicRoom(w.user());
      const g = w.guest();
      const joined = await g.call('room_join', { token });
      assert.equal((await g.call('call_join', { token, params: { flags: 3 } })).status, 200);
      const simMetrics = await (await fetch(`${w.simUrl}/metrics`)).text();
      assert.match(simMetrics, /talksim_hpb_notify_failures_total\{type="incall",code="403"\} 1/);
      const settings = (await g.call('signaling_settings', { params: { token } })).data;
      const sig = await SignalingClient.open(w.hpbUrl);
      const hello = await sig.request('hello', { version: '1.0', auth: { url: `${w.simUrl}${Hpb.backendPath}`, params: settings.helloAuthParams['1.0'] } });
      assert.equal(hello.type, 'error');
      assert.equal(hello.error.code, 'invalid_request');
      assert.ok(joined.data.sessionId);
      const hpbMetrics = await (await fetch(`${w.hpbUrl}/metrics`)).text();
      assert.match(hpbMetrics, /signaling_backend_client_requests_errors_total\{backend="default",error="invalid_request"\} 1/);
      sig.close();
    } finally {
      await w.close();
    }
  });
});
