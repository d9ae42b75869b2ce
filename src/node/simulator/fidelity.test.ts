// Behaviours of a real Talk server that the simulator must share (issue 17), each as the request
// sequence that shows it, over real HTTP on loopback: sessions in cookie jars for users too,
// promotions, lobby details, permissions, removing attendees, private rooms, passwords, session
// state, the internal-signaling relay and the chat long-poll.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attendeeIdOf, guestInCall, publicRoom, type TestClient, type World, worldPerSuite } from './testing.ts';

let w: World;
worldPerSuite({ settings: { bruteForce: 'testing' } }, (x) => (w = x));

/** An owner in its room with a session, a guest joined, and the guest's actor id. */
async function roomWithGuest(): Promise<{ owner: TestClient; token: string; guest: TestClient; guestActor: string }> {
  const owner = w.user('admin');
  const token = await publicRoom(owner);
  await owner.call('room_join', { token });
  const guest = w.guest();
  const joined = await guest.call('room_join', { token });
  return { owner, token, guest, guestActor: joined.data.actorId as string };
}

describe("a user's Talk session lives in its cookie jar", () => {
  test('Basic auth from a jar that has not joined finds no session: call requests 404', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant1' } });
    const joined = w.user('participant1');
    assert.equal((await joined.call('room_join', { token })).status, 200);
    assert.equal((await joined.call('call_join', { token })).status, 200);
    const otherJar = w.user('participant1');
    assert.equal((await otherJar.call('call_join', { token })).status, 404);
    assert.equal((await otherJar.call('call_flags', { token, params: { flags: 3 } })).status, 404);
    assert.equal((await otherJar.call('call_leave', { token })).status, 404);
    // An attendee may still read the peers without a session.
    assert.equal((await otherJar.call('call_peers', { token })).status, 200);
  });
});

describe('promotions', () => {
  test('user -> moderator (2), guest -> guest moderator (6); again 400, oneself 403, unknown 404, non-moderator 403', async () => {
    const { owner, token, guest, guestActor } = await roomWithGuest();
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant2' } });
    const userId = await attendeeIdOf(owner, token, 'participant2');
    const guestId = await attendeeIdOf(owner, token, guestActor);
    const ownerId = await attendeeIdOf(owner, token, 'admin');
    assert.equal((await guest.call('room_promote', { token, params: { attendeeId: userId } })).status, 403, 'a guest is no moderator');
    assert.equal((await owner.call('room_promote', { token, params: { attendeeId: userId } })).status, 200);
    assert.equal((await owner.call('room_promote', { token, params: { attendeeId: userId } })).status, 400, 'already a moderator');
    assert.equal((await owner.call('room_promote', { token, params: { attendeeId: guestId } })).status, 200);
    assert.equal((await owner.call('room_promote', { token, params: { attendeeId: ownerId } })).status, 403, 'oneself');
    assert.equal((await owner.call('room_promote', { token, params: { attendeeId: 987654 } })).status, 404);
    const list = (await owner.call('room_participants', { token })).data as { attendeeId: number; participantType: number }[];
    assert.equal(list.find((p) => p.attendeeId === userId)?.participantType, 2);
    assert.equal(list.find((p) => p.attendeeId === guestId)?.participantType, 6);
    assert.equal((await owner.call('room_demote', { token, params: { attendeeId: guestId } })).status, 200);
    assert.equal((await owner.call('room_demote', { token, params: { attendeeId: guestId } })).status, 400, 'no longer a moderator');
  });

  test('a moderator is not held by the lobby; demoted, it is held at once', async () => {
    const { owner, token, guest, guestActor } = await roomWithGuest();
    const guestId = await attendeeIdOf(owner, token, guestActor);
    await owner.call('room_promote', { token, params: { attendeeId: guestId } });
    await owner.call('room_lobby', { token, params: { state: 1 } });
    assert.equal((await guest.call('call_peers', { token })).status, 200);
    await owner.call('room_demote', { token, params: { attendeeId: guestId } });
    assert.equal((await guest.call('call_peers', { token })).status, 412);
  });

  test('a promoted user does what moderators do: lobby, private and public again', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant3' } });
    const p3 = w.user('participant3');
    await p3.call('room_join', { token });
    assert.equal((await p3.call('room_lobby', { token, params: { state: 1 } })).status, 403);
    await owner.call('room_promote', { token, params: { attendeeId: await attendeeIdOf(owner, token, 'participant3') } });
    assert.equal((await p3.call('room_lobby', { token, params: { state: 1 } })).status, 200);
    assert.equal((await p3.call('room_private', { token })).status, 200);
    assert.equal((await p3.call('room_public', { token })).status, 200);
  });
});

describe('lobby details', () => {
  test('setting it: invited and self-joined users 403, strangers 404, guests 401', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant1' } });
    const invited = w.user('participant1');
    const selfJoined = w.user('participant2');
    await selfJoined.call('room_join', { token });
    const guest = w.guest();
    await guest.call('room_join', { token });
    assert.equal((await invited.call('room_lobby', { token, params: { state: 1 } })).status, 403);
    assert.equal((await selfJoined.call('room_lobby', { token, params: { state: 1 } })).status, 403);
    assert.equal((await w.user('participant3').call('room_lobby', { token, params: { state: 1 } })).status, 404);
    assert.equal((await guest.call('room_lobby', { token, params: { state: 1 } })).status, 401);
  });

  test('it never blocks joining or leaving the conversation, nor a user removing itself', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await owner.call('room_lobby', { token, params: { state: 1 } });
    const guest = w.guest();
    assert.equal((await guest.call('room_join', { token })).status, 200);
    assert.equal((await guest.call('call_join', { token })).status, 412);
    assert.equal((await guest.call('room_leave', { token })).status, 200);
    const user = w.user('participant1');
    assert.equal((await user.call('room_join', { token })).status, 200);
    assert.equal((await user.call('room_remove_self', { token })).status, 200);
    assert.equal((await user.call('call_peers', { token })).status, 404, 'gone for good');
  });

  test('a held participant sees no call (hasCall, canStartCall false); a moderator sees it', async () => {
    const { owner, token, guest } = await roomWithGuest();
    await owner.call('call_join', { token });
    await owner.call('room_lobby', { token, params: { state: 1 } });
    const held = await guest.call('room_get', { token });
    assert.equal(held.data.hasCall, false);
    assert.equal(held.data.canStartCall, false);
    const mod = await owner.call('room_get', { token });
    assert.equal(mod.data.hasCall, true);
  });
});

describe('permissions', () => {
  test('"ignore lobby" (8) lets a held participant join the call and list peers', async () => {
    const { owner, token, guest, guestActor } = await roomWithGuest();
    await owner.call('room_lobby', { token, params: { state: 1 } });
    assert.equal((await guest.call('call_join', { token })).status, 412);
    const attendeeId = await attendeeIdOf(owner, token, guestActor);
    assert.equal((await owner.call('room_attendee_permissions', { token, params: { attendeeId, method: 'add', permissions: 8 } })).status, 200);
    assert.equal((await guest.call('call_join', { token })).status, 200);
    assert.equal((await guest.call('call_peers', { token })).status, 200);
  });

  test('without "start call" no call can be started (403), a running one joined (200), nobody rung (403)', async () => {
    const { owner, token, guest } = await roomWithGuest();
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant1' } });
    const target = await attendeeIdOf(owner, token, 'participant1');
    // Default permissions without start call (2): 246 & ~2.
    const set = await owner.call('room_default_permissions', { token, params: { permissions: 246 & ~2 } });
    assert.equal(set.status, 200);
    assert.equal(set.data.defaultPermissions, (246 & ~2) | 1, 'the custom bit is added');
    assert.equal((await guest.call('call_join', { token })).status, 403);
    await owner.call('call_join', { token });
    assert.equal((await guest.call('call_join', { token })).status, 200);
    assert.equal((await guest.call('call_ring', { token, attendeeId: target })).status, 403);
  });

  test('without publishing audio and video, a join with flags 7 is in the call with flags 1', async () => {
    const { owner, token, guest, guestActor } = await roomWithGuest();
    const attendeeId = await attendeeIdOf(owner, token, guestActor);
    await owner.call('room_attendee_permissions', { token, params: { attendeeId, method: 'remove', permissions: 16 | 32 } });
    assert.equal((await guest.call('call_join', { token, params: { flags: 7 } })).status, 200);
    const list = (await owner.call('room_participants', { token })).data as { attendeeId: number; inCall: number }[];
    assert.equal(list.find((p) => p.attendeeId === attendeeId)?.inCall, 1);
  });

  test('guests and non-moderators changing permissions get 403; a moderator target or bad method 400', async () => {
    const { owner, token, guest, guestActor } = await roomWithGuest();
    const attendeeId = await attendeeIdOf(owner, token, guestActor);
    const user = w.user('participant2');
    await user.call('room_join', { token });
    assert.equal((await guest.call('room_default_permissions', { token, params: { permissions: 0 } })).status, 403);
    assert.equal((await user.call('room_attendee_permissions', { token, params: { attendeeId, method: 'set', permissions: 0 } })).status, 403);
    assert.equal((await owner.call('room_attendee_permissions', { token, params: { attendeeId, method: 'swap', permissions: 2 } })).status, 400);
    const ownerId = await attendeeIdOf(owner, token, 'admin');
    assert.equal((await owner.call('room_attendee_permissions', { token, params: { attendeeId: ownerId, method: 'set', permissions: 2 } })).status, 400);
  });
});

describe('removing attendees', () => {
  test('a removed guest leaves the peer list at once; its GET /call and flags 404; ringing it 404', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await owner.call('room_join', { token });
    await owner.call('call_join', { token });
    const guest = w.guest();
    const joined = await guest.call('room_join', { token });
    await guest.call('call_join', { token });
    assert.equal((await owner.call('call_peers', { token })).data.length, 2);
    const attendeeId = await attendeeIdOf(owner, token, joined.data.actorId);
    assert.equal((await owner.call('room_remove_attendee', { token, params: { attendeeId } })).status, 200);
    assert.equal((await owner.call('call_peers', { token })).data.length, 1);
    assert.equal((await guest.call('call_peers', { token })).status, 404);
    assert.equal((await guest.call('call_flags', { token, params: { flags: 3 } })).status, 404);
    assert.equal((await owner.call('call_ring', { token, attendeeId })).status, 404);
  });

  test('ringing a user attendee of another conversation is 404; removing the owner 403', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    const other = await publicRoom(owner, 'other');
    await owner.call('room_add_participant', { token: other, params: { newParticipant: 'participant1' } });
    const elsewhere = await attendeeIdOf(owner, other, 'participant1');
    await owner.call('room_join', { token });
    await owner.call('call_join', { token });
    assert.equal((await owner.call('call_ring', { token, attendeeId: elsewhere })).status, 404);
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant2' } });
    const mod = w.user('participant2');
    await owner.call('room_promote', { token, params: { attendeeId: await attendeeIdOf(owner, token, 'participant2') } });
    await mod.call('room_join', { token });
    assert.equal((await mod.call('room_remove_attendee', { token, params: { attendeeId: await attendeeIdOf(owner, token, 'admin') } })).status, 403);
  });
});

describe('making a public conversation private', () => {
  test('removes guests and self-joined users (their call requests 404), keeps invited users', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant1' } });
    const invited = w.user('participant1');
    await invited.call('room_join', { token });
    await invited.call('call_join', { token });
    const selfJoined = w.user('participant2');
    await selfJoined.call('room_join', { token });
    await selfJoined.call('call_join', { token });
    const guest = await guestInCall(w, token);
    assert.equal((await owner.call('room_private', { token })).status, 200);
    assert.equal((await guest.call('call_peers', { token })).status, 404);
    assert.equal((await selfJoined.call('call_flags', { token, params: { flags: 3 } })).status, 404);
    assert.equal((await invited.call('call_flags', { token, params: { flags: 3 } })).status, 200);
    const list = (await owner.call('room_participants', { token })).data as { actorId: string }[];
    assert.deepEqual(list.map((p) => p.actorId).sort(), ['admin', 'participant1']);
  });
});

describe('passwords', () => {
  // Brute-force protection on (delays slept, from 0.2 s), so that the throttle header shows the attempts.
  let bf: World;
  worldPerSuite({ settings: { bruteForce: 'on' } }, (x) => (bf = x));

  test('invited users join without it; guests and strangers need it (403, a brute-force attempt); 200 with it', async () => {
    const w = bf;
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant1' } });
    assert.equal((await owner.call('room_password', { token, params: { password: 'correct horse battery' } })).status, 200);
    assert.equal((await w.user('participant1').call('room_join', { token })).status, 200);
    const noPw = await w.guest().call('room_join', { token });
    assert.equal(noPw.status, 403);
    assert.match(noPw.headers.get('x-nextcloud-bruteforce-throttled') ?? '', /ms$/, 'the next request from this address is throttled');
    const stranger = w.user('participant2');
    assert.equal((await stranger.call('room_join', { token })).status, 403);
    const ok = await stranger.call('room_join', { token, params: { password: 'correct horse battery' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.data.participantType, 5);
    // The successful join cleared this address's attempts for the token: no delay any more.
    const again = await w.guest().call('room_join', { token, params: { password: 'correct horse battery' } });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('x-nextcloud-bruteforce-throttled'), null);
  });

  test('only public conversations have one (403); a non-moderator may not set it (403)', async () => {
    const owner = w.user('admin');
    const created = await owner.call('room_create', { params: { roomType: 2, roomName: 'group' } });
    assert.equal((await owner.call('room_password', { token: created.data.token, params: { password: 'x' } })).status, 403);
    const { token, guest } = await roomWithGuest();
    assert.equal((await guest.call('room_password', { token, params: { password: 'x' } })).status, 403);
  });
});

describe('session state', () => {
  test('state 0 or 1 is 200, anything else 400, no session 404', async () => {
    const { token, guest } = await roomWithGuest();
    assert.equal((await guest.call('room_session_state', { token, params: { state: 0 } })).status, 200);
    assert.equal((await guest.call('room_session_state', { token, params: { state: 1 } })).status, 200);
    assert.equal((await guest.call('room_session_state', { token, params: { state: 2 } })).status, 400);
    await w.user('admin').call('room_add_participant', { token, params: { newParticipant: 'participant1' } });
    assert.equal((await w.user('participant1').call('room_session_state', { token, params: { state: 1 } })).status, 404);
  });
});

describe('internal signaling relay', () => {
  /** Two guests in one public room, with their Talk session ids. */
  const twoGuests = async () => {
    const token = await publicRoom(w.user('admin'));
    const a = w.guest();
    const aId = (await a.call('room_join', { token })).data.sessionId as string;
    const b = w.guest();
    const bId = (await b.call('room_join', { token })).data.sessionId as string;
    return { token, a, aId, b, bId };
  };
  const send = (from: TestClient, token: string, sessionId: string, to: string) =>
    from.call('signaling_send', { token, params: { messages: JSON.stringify([{ ev: 'message', sessionId, fn: JSON.stringify({ type: 'offer', to, payload: { sdp: 'x' } }) }]) } });

  test("A's message to B is in B's next poll; one claiming another sender is dropped; usersInRoom shows A's flags", async () => {
    const { token, a, aId, b, bId } = await twoGuests();
    await a.call('call_join', { token, params: { flags: 3 } });
    await b.call('signaling_poll', { token }); // takes the refresh of A's join
    assert.equal((await send(a, token, bId, bId)).status, 200, 'claims B as sender: dropped');
    assert.equal((await send(a, token, aId, bId)).status, 200);
    const polled = await b.call('signaling_poll', { token });
    const messages = (polled.data as { type: string; data: unknown }[]).filter((m) => m.type === 'message');
    assert.equal(messages.length, 1);
    const delivered = JSON.parse(messages[0]!.data as string);
    assert.equal(delivered.from, aId);
    const users = (polled.data as { type: string; data: { sessionId: string; inCall: number }[] }[]).find((m) => m.type === 'usersInRoom')!.data;
    assert.equal(users.find((u) => u.sessionId === aId)?.inCall, 3);
  });

  test('a message queued beside a participant-list change is not lost', async () => {
    const { token, a, aId, b, bId } = await twoGuests();
    await a.call('call_join', { token }); // a refresh for B
    await send(a, token, aId, bId); // and a message beside it
    const polled = await b.call('signaling_poll', { token });
    assert.equal((polled.data as { type: string }[]).filter((m) => m.type === 'message').length, 1);
  });
});

describe('chat', () => {
  test('post 201; read-only 403; lobby-held 412; a moderator may post', async () => {
    const { owner, token, guest } = await roomWithGuest();
    const posted = await guest.call('chat_send', { token, params: { message: 'hello' } });
    assert.equal(posted.status, 201);
    assert.equal(posted.data.message, 'hello');
    assert.equal(posted.data.actorType, 'guests');
    await owner.call('room_lobby', { token, params: { state: 1 } });
    assert.equal((await guest.call('chat_send', { token, params: { message: 'held' } })).status, 412);
    assert.equal((await owner.call('chat_send', { token, params: { message: 'mods may' } })).status, 201);
    await owner.call('room_read_only', { token, params: { state: 1 } });
    assert.equal((await owner.call('chat_send', { token, params: { message: 'read-only' } })).status, 403);
  });

  test('lookIntoFuture=1 holds until a message comes (200), or answers 304 after the timeout', async () => {
    const { owner, token, guest } = await roomWithGuest();
    const first = await owner.call('chat_send', { token, params: { message: 'one' } });
    const lastKnown = first.data.id as number;
    const started = Date.now();
    const none = await guest.call('chat_receive', { token, params: { lookIntoFuture: 1, lastKnownMessageId: lastKnown, timeout: 1 } });
    assert.equal(none.status, 304);
    assert.equal(none.text, '');
    assert.ok(Date.now() - started >= 900, 'held about a second');
    const waiting = guest.call('chat_receive', { token, params: { lookIntoFuture: 1, lastKnownMessageId: lastKnown, timeout: 10 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await owner.call('chat_send', { token, params: { message: 'two' } });
    const got = await waiting;
    assert.equal(got.status, 200);
    assert.deepEqual(got.data.map((m: { message: string }) => m.message), ['two']);
    assert.equal(got.headers.get('x-chat-last-given'), String(got.data[0].id));
    const history = await guest.call('chat_receive', { token, params: { lookIntoFuture: 0 } });
    const comments = history.data.filter((m: { messageType: string }) => m.messageType === 'comment');
    assert.deepEqual(comments.map((m: { message: string }) => m.message), ['two', 'one'], 'newest first');
  });
});

// The second hidden set (issue 26): what a real Talk 19 answered where the simulator differed.
describe('renaming and describing a conversation', () => {
  test('moderators rename (trimmed, 1-255 characters) and set a description (at most 2000); GET shows them', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    assert.equal((await owner.call('room_rename', { token, params: { roomName: '  new name  ' } })).status, 200);
    assert.equal((await owner.call('room_rename', { token, params: { roomName: '' } })).status, 400);
    assert.equal((await owner.call('room_rename', { token, params: { roomName: 'x'.repeat(256) } })).status, 400);
    assert.equal((await owner.call('room_rename', { token, params: { roomName: '😀'.repeat(255) } })).status, 200, '255 characters, counted as PHP counts them');
    assert.equal((await owner.call('room_rename', { token, params: { roomName: 'new name' } })).status, 200);
    assert.equal((await owner.call('room_description', { token, params: { description: 'd'.repeat(2000) } })).status, 200);
    assert.equal((await owner.call('room_description', { token, params: { description: 'd'.repeat(2001) } })).status, 400);
    const room = await owner.call('room_get', { token });
    assert.equal(room.data.name, 'new name');
    assert.equal(room.data.displayName, 'new name');
    assert.equal(room.data.description, 'd'.repeat(2000));
  });

  test('guests and non-moderators are forbidden, strangers not found', async () => {
    const { owner, token, guest } = await roomWithGuest();
    assert.equal((await guest.call('room_rename', { token, params: { roomName: 'x' } })).status, 403);
    assert.equal((await guest.call('room_description', { token, params: { description: 'x' } })).status, 403);
    const selfJoined = w.user('participant3');
    await selfJoined.call('room_join', { token });
    assert.equal((await selfJoined.call('room_rename', { token, params: { roomName: 'x' } })).status, 403);
    const privateToken = (await owner.call('room_create', { params: { roomType: 2, roomName: 'private' } })).data.token as string;
    assert.equal((await w.user('participant4').call('room_rename', { token: privateToken, params: { roomName: 'x' } })).status, 404);
    assert.equal((await guest.call('room_delete', { token })).status, 403, 'a guest deleting is forbidden, not unauthorised');
  });
});

describe('people at the edges', () => {
  test('a user who is no participant reads a public conversation during a call: participant type 4 and nothing of the call', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await guestInCall(w, token);
    const stranger = await w.user('participant2').call('room_get', { token });
    assert.equal(stranger.status, 200);
    assert.equal(stranger.data.participantType, 4);
    assert.equal(stranger.data.hasCall, false);
    assert.equal(stranger.data.callFlag, 0);
    assert.equal(stranger.data.callStartTime, 0);
    await owner.call('room_join', { token });
    const member = await owner.call('room_get', { token });
    assert.equal(member.data.hasCall, true, 'a participant sees the call');
  });

  test('a guest name is kept as given: 65 characters with emoji and astral characters', async () => {
    const { owner, token, guest, guestActor } = await roomWithGuest();
    const name = `${'a'.repeat(60)}😀𝄞🎉x`;
    assert.equal((await guest.call('guest_name', { token, params: { displayName: name } })).status, 200);
    const list = await owner.call('room_participants', { token });
    assert.equal(list.data.find((p: { actorId: string }) => p.actorId === guestActor).displayName, name);
  });

  test('a one-to-one conversation with oneself is forbidden, with an unknown user not found', async () => {
    const owner = w.user('admin');
    assert.equal((await owner.call('room_create', { params: { roomType: 1, invite: 'admin' } })).status, 403);
    assert.equal((await owner.call('room_create', { params: { roomType: 1, invite: 'nobody-here' } })).status, 404);
  });

  test('adding from an unknown group is not found, from an unknown source a bad request; the admin group adds its members', async () => {
    const owner = w.user('participant1');
    const token = await publicRoom(owner);
    assert.equal((await owner.call('room_add_participant', { token, params: { newParticipant: 'no-such-group', source: 'groups' } })).status, 404);
    assert.equal((await owner.call('room_add_participant', { token, params: { newParticipant: 'x', source: 'carrier-pigeons' } })).status, 400);
    assert.equal((await owner.call('room_add_participant', { token, params: { newParticipant: 'admin', source: 'groups' } })).status, 200);
    await owner.call('room_join', { token });
    const list = await owner.call('room_participants', { token });
    assert.ok(list.data.some((p: { actorId: string }) => p.actorId === 'admin'));
  });
});

describe('the chat holds system messages, replies and guest names', () => {
  test('a new conversation has its history: 200 with conversation_created, user_added, ... (limit counts them)', async () => {
    const owner = w.user('admin');
    const token = await publicRoom(owner);
    await owner.call('room_add_participant', { token, params: { newParticipant: 'participant1' } });
    await owner.call('room_join', { token });
    const history = await owner.call('chat_receive', { token, params: { lookIntoFuture: 0 } });
    assert.equal(history.status, 200);
    const names = history.data.map((m: { systemMessage: string }) => m.systemMessage);
    assert.deepEqual(names.slice().reverse().slice(0, 1), ['conversation_created']);
    assert.ok(names.includes('user_added'), names.join(', '));
    const added = history.data.find((m: { systemMessage: string }) => m.systemMessage === 'user_added');
    assert.equal(added.messageType, 'system');
    assert.equal(added.actorId, 'admin');
    assert.equal(added.messageParameters.user.id, 'participant1');
    assert.equal(added.isReplyable, false);
    const one = await owner.call('chat_receive', { token, params: { lookIntoFuture: 0, limit: 1 } });
    assert.equal(one.data.length, 1, 'limit counts system messages');
  });

  test('read-only, or without the chat permission, the history is still readable (200)', async () => {
    const { owner, token, guest } = await roomWithGuest();
    await owner.call('room_read_only', { token, params: { state: 1 } });
    const ro = await guest.call('chat_receive', { token, params: { lookIntoFuture: 0 } });
    assert.equal(ro.status, 200);
    assert.ok(ro.data.some((m: { systemMessage: string }) => m.systemMessage === 'read_only'));
  });

  test('replyTo: an unknown message or one of another conversation is 400; a valid one is 201 with its parent', async () => {
    const { owner, token, guest } = await roomWithGuest();
    const other = await publicRoom(owner);
    await owner.call('room_join', { token: other });
    const elsewhere = await owner.call('chat_send', { token: other, params: { message: 'elsewhere' } });
    const first = await owner.call('chat_send', { token, params: { message: 'question' } });
    assert.equal((await guest.call('chat_send', { token, params: { message: 'a', replyTo: 999_999 } })).status, 400);
    assert.equal((await guest.call('chat_send', { token, params: { message: 'a', replyTo: elsewhere.data.id } })).status, 400);
    const reply = await guest.call('chat_send', { token, params: { message: 'answer', replyTo: first.data.id } });
    assert.equal(reply.status, 201);
    assert.equal(reply.data.parent.id, first.data.id);
    assert.equal(reply.data.parent.message, 'question');
  });

  test("a guest posting with actorDisplayName is shown with that name, and it becomes the guest's name", async () => {
    const { owner, token, guest, guestActor } = await roomWithGuest();
    const posted = await guest.call('chat_send', { token, params: { message: 'hi', actorDisplayName: 'Visitor 7' } });
    assert.equal(posted.status, 201);
    assert.equal(posted.data.actorDisplayName, 'Visitor 7');
    const list = await owner.call('room_participants', { token });
    assert.equal(list.data.find((p: { actorId: string }) => p.actorId === guestActor).displayName, 'Visitor 7');
  });
});
