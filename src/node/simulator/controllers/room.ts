// RoomController: conversations, joining and leaving them (reference 2.1-2.9).

import { ActorType, ConversationType, LobbyState, ParticipantType, ReadOnlyState } from '../../../shared/constants.ts';
import type { Attendee, Room, TalkSession } from '../state.ts';


import { removeUninvited } from './moderation.ts';
import { notifyDelete, notifyDisinvite, notifyInCall, notifyInCallAll, notifyUpdate } from './backend-notifier.ts';
import { type Ctx, type Participant, type Result, done, formatRoom, participantOf, phpBool, phpInt, phpString, r, requiredInt, roomForCaller, talkHash } from './common.ts';

export function createRoom(ctx: Ctx): Result {
  const st = ctx.state;
  if (ctx.userId === null) return r(401);
  const type = ctx.params.has('roomType') ? phpInt(ctx.params.get('roomType')) : ConversationType.group;
  const name = (phpString(ctx.params.get('roomName')) ?? '').trim();
  const password = phpString(ctx.params.get('password')) ?? '';
  if (type === ConversationType.oneToOne) {
    const invite = phpString(ctx.params.get('invite')) ?? '';
    const other = st.users.get(invite);
    // A conversation with oneself is refused as forbidden; an unknown user is not found.
    if (invite === ctx.userId) return r(403, { error: 'invite' });
    if (!other) return r(404, { error: 'invite' });
    for (const room of st.rooms.values()) {
      if (room.type === ConversationType.oneToOne && st.userAttendee(room, ctx.userId) && st.userAttendee(room, invite)) {
        return r(200, formatRoom(st, room, participantOf(ctx, room)));
      }
    }
    const room = st.createRoom(type, [ctx.userId, invite].sort().join(','), '');
    const owner = st.addAttendee(room, ActorType.users, ctx.userId, st.users.get(ctx.userId)?.displayName ?? ctx.userId, ParticipantType.owner);
    st.addAttendee(room, ActorType.users, invite, other.displayName, ParticipantType.owner);
    st.system(room, owner, 'conversation_created');
    return r(201, formatRoom(st, room, participantOf(ctx, room)));
  }
  if (type !== ConversationType.group && type !== ConversationType.public) return r(400, { error: 'type' });
  if (name === '' || name.length > 255) return r(400, { error: 'name' });
  if (password !== '' && type !== ConversationType.public) return r(400, { error: 'password' });
  const room = st.createRoom(type, name, password);
  const owner = st.addAttendee(room, ActorType.users, ctx.userId, st.users.get(ctx.userId)?.displayName ?? ctx.userId, ParticipantType.owner);
  st.system(room, owner, 'conversation_created');
  if (type === ConversationType.public) st.system(room, owner, 'guests_allowed');
  if (password !== '') st.system(room, owner, 'password_set');
  return r(201, formatRoom(st, room, participantOf(ctx, room)));
}

export function listRooms(ctx: Ctx): Result {
  const st = ctx.state;
  if (ctx.userId === null) return r(401);
  const out: unknown[] = [];
  for (const room of st.rooms.values()) {
    if (!st.userAttendee(room, ctx.userId)) continue;
    st.applyLobbyTimer(room);
    out.push(formatRoom(st, room, participantOf(ctx, room)));
  }
  return r(200, out);
}

export function getRoom(ctx: Ctx): Result {
  const room = roomForCaller(ctx, ctx.token);
  if (!room) return r(404, [], { throttle: { action: 'talkRoomToken', token: ctx.token } });
  return r(200, formatRoom(ctx.state, room, participantOf(ctx, room)), { headers: talkHash(room) });
}

export function deleteRoom(ctx: Ctx, room: Room): Result {
  // Deleting ends every session: held long-polls then answer 404 (the room is gone).
  const users = [...room.attendees.values()].filter((a) => a.actorType === ActorType.users).map((a) => a.actorId);
  ctx.state.refreshParticipants(room);
  ctx.state.deleteRoom(room);
  notifyDelete(ctx, room, users);
  return r(200, done(ctx.state));
}

/** PHP's mb_strlen: code points, not UTF-16 units. */
const mbLength = (v: string): number => [...v].length;

/** RoomController::renameRoom: moderators; trimmed, 1-255 characters; not one-to-one. */
export function renameRoom(ctx: Ctx, room: Room, p: Participant): Result {
  const name = (phpString(ctx.params.get('roomName')) ?? '').trim();
  if (room.type === ConversationType.oneToOne || room.type === ConversationType.formerOneToOne) return r(400, { error: 'type' });
  if (name === '' || mbLength(name) > 255) return r(400, { error: 'name' });
  if (name !== room.name) {
    room.name = name;
    ctx.state.system(room, p.attendee, 'conversation_renamed');
    notifyUpdate(ctx, room);
  }
  return r(200, done(ctx.state));
}

/** RoomController::setDescription: moderators; at most 2000 characters; not one-to-one. */
export function setDescription(ctx: Ctx, room: Room, p: Participant): Result {
  const description = phpString(ctx.params.get('description')) ?? '';
  if (room.type === ConversationType.oneToOne || room.type === ConversationType.formerOneToOne) return r(400, { error: 'type' });
  if (mbLength(description) > 2000) return r(400, { error: 'description' });
  if (description !== room.description) {
    room.description = description;
    ctx.state.system(room, p.attendee, description === '' ? 'description_removed' : 'description_set');
    notifyUpdate(ctx, room);
  }
  return r(200, done(ctx.state));
}

export function setPublic(ctx: Ctx, room: Room, p: Participant, makePublic: boolean): Result {
  if (room.type !== ConversationType.group && room.type !== ConversationType.public) return r(400, { error: 'type' });
  if (makePublic) {
    const password = phpString(ctx.params.get('password')) ?? '';
    if (room.type !== ConversationType.public) ctx.state.system(room, p.attendee, 'guests_allowed');
    room.type = ConversationType.public;
    if (password !== '') room.password = password;
  } else {
    if (room.type !== ConversationType.group) ctx.state.system(room, p.attendee, 'guests_disallowed');
    room.type = ConversationType.group;
    room.password = '';
    removeUninvited(ctx, room);
  }
  notifyUpdate(ctx, room);
  return r(200, formatRoom(ctx.state, room, p));
}

export function setLobby(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  const state = requiredInt(ctx.params, 'state');
  const timerRaw = ctx.params.get('timer');
  const timer = timerRaw === undefined || timerRaw === null || timerRaw === '' ? 0 : phpInt(timerRaw);
  if (room.type !== ConversationType.group && room.type !== ConversationType.public) return r(400, { error: 'type' });
  if (state !== LobbyState.none && state !== LobbyState.nonModerators) return r(400, { error: 'value' });
  if (state !== room.lobbyState) st.system(room, p.attendee, state === LobbyState.none ? 'lobby_none' : 'lobby_non_moderators');
  room.lobbyState = state;
  room.lobbyTimer = state === LobbyState.none ? 0 : Math.max(timer, 0);
  if (state === LobbyState.nonModerators) {
    const kicked: TalkSession[] = [];
    for (const s of room.sessions.values()) {
      // Talk sends every non-moderator out of the call, "ignore lobby" or not (it may join again).
      if (s.inCall !== 0 && !st.isModerator(s.attendee)) {
        s.inCall = 0;
        kicked.push(s);
      }
    }
    if (kicked.length > 0) st.endCallIfEmpty(room);
    // Those sent out of the call are an in-call change for the HPB like any other.
    if (kicked.length > 0) notifyInCall(ctx, room, kicked, 0);
  }
  st.refreshParticipants(room);
  notifyUpdate(ctx, room);
  return r(200, formatRoom(st, room, p));
}

export function setReadOnly(ctx: Ctx, room: Room, p: Participant): Result {
  const state = requiredInt(ctx.params, 'state');
  if (room.type !== ConversationType.group && room.type !== ConversationType.public) return r(400, { error: 'type' });
  if (state !== ReadOnlyState.readWrite && state !== ReadOnlyState.readOnly) return r(400, { error: 'value' });
  if (state !== room.readOnly) ctx.state.system(room, p.attendee, state === ReadOnlyState.readOnly ? 'read_only' : 'read_only_off');
  room.readOnly = state;
  if (state === ReadOnlyState.readOnly) {
    ctx.state.endCallForEveryone(room, p.attendee);
    notifyInCallAll(ctx, room, 0);
  }
  ctx.state.refreshParticipants(room);
  notifyUpdate(ctx, room);
  return r(200, formatRoom(ctx.state, room, p));
}

export function joinRoom(ctx: Ctx): Result {
  const st = ctx.state;
  const token = ctx.token;
  const room = roomForCaller(ctx, token);
  if (!room) return r(404, [], { throttle: { action: 'talkRoomToken', token } });
  const password = phpString(ctx.params.get('password')) ?? '';
  const force = phpBool(ctx.params.get('force'), true);
  const previousId = ctx.php.talk.get(token);
  const previous = previousId !== undefined ? room.sessions.get(previousId) : undefined;
  if (previous) {
    if (!force && previous.inCall !== 0) {
      return r(409, { sessionId: previous.id, inCall: previous.inCall, lastPing: previous.lastPing });
    }
    leaveAsSession(ctx, previous, true);
  }
  let attendee: Attendee | undefined;
  if (ctx.userId !== null) {
    attendee = st.userAttendee(room, ctx.userId);
    if (!attendee) {
      // Only public rooms get here without an attendee (roomForCaller); the user self-joins.
      if (room.password !== '' && room.password !== password) {
        return r(403, { error: 'password' }, { throttle: { action: 'talkRoomPassword', token } });
      }
      const name = st.users.get(ctx.userId)?.displayName ?? ctx.userId;
      attendee = st.addAttendee(room, ActorType.users, ctx.userId, name, ParticipantType.userSelfJoined);
    }
  } else {
    const returning = previous && previous.attendee.actorType === ActorType.guests ? previous.attendee : undefined;
    if (!returning && room.password !== '' && room.password !== password) {
      return r(403, { error: 'password' }, { throttle: { action: 'talkRoomPassword', token } });
    }
    attendee = returning;
  }
  const session = attendee ? st.createSession(attendee) : st.createGuest(room);
  ctx.php.talk.set(token, session.id);
  room.lastActivity = st.nowSec();
  st.refreshParticipants(room);
  return r(200, formatRoom(st, room, { attendee: session.attendee, session }), { resetAttempts: token });
}

export function leaveRoom(ctx: Ctx): Result {
  const st = ctx.state;
  const sid = ctx.php.talk.get(ctx.token);
  ctx.php.talk.delete(ctx.token);
  if (sid !== undefined) {
    const s = st.sessionsById.get(sid);
    if (s && s.attendee.room.token === ctx.token) leaveAsSession(ctx, s, false);
  }
  st.releaseIfEmpty(ctx.php);
  return r(200, done(st));
}


/** A session leaves (or is replaced): the call first, then the HPB is told to drop it. */
function leaveAsSession(ctx: Ctx, s: TalkSession, duplicated: boolean): void {
  const room = s.attendee.room;
  const wasInCall = s.inCall !== 0;
  ctx.state.leaveRoomAsSession(s, duplicated);
  if (wasInCall) notifyInCall(ctx, room, [s], 0);
  notifyDisinvite(ctx, room, [s.id]);
}
