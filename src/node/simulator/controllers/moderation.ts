// RoomController's moderation: promoting and demoting, removing attendees (or oneself), the
// password, permissions, and a session's state (reference 2.6, 2.10; Talk's RoomController and
// ParticipantService). Each answer is what a real Talk 19+ server gives for the same sequence.

import { ActorType, ConversationType, MODERATOR_TYPES, ParticipantType, Permission } from '../../../shared/constants.ts';
import type { Attendee, Room } from '../state.ts';
import { notifyDisinvite, notifyParticipants, notifyUpdate } from './backend-notifier.ts';
import { type Ctx, type Participant, type Result, done, formatRoom, r, requiredInt, requiredString } from './common.ts';

/** Talk's Attendee::PERMISSIONS_MAX_CUSTOM: every permission bit. */
const PERMISSIONS_MAX = 255;

const isOneToOne = (room: Room): boolean => room.type === ConversationType.oneToOne || room.type === ConversationType.formerOneToOne;

function target(ctx: Ctx, room: Room): Attendee | undefined {
  return room.attendees.get(requiredInt(ctx.params, 'attendeeId'));
}

/** POST/DELETE /moderators: users <-> moderators, guests <-> guest moderators. */
export function changeParticipantType(ctx: Ctx, room: Room, p: Participant, promote: boolean): Result {
  const st = ctx.state;
  const t = target(ctx, room);
  if (!t) return r(404);
  // Nobody changes itself.
  if (t.actorType === p.attendee.actorType && t.actorId === p.attendee.actorId) return r(403);
  if (t.actorType === ActorType.groups) return r(400);
  if (promote === st.isModerator(t)) return r(400);
  const next =
    t.participantType === ParticipantType.user ? ParticipantType.moderator
    : t.participantType === ParticipantType.guest ? ParticipantType.guestModerator
    : t.participantType === ParticipantType.moderator ? ParticipantType.user
    : t.participantType === ParticipantType.guestModerator ? ParticipantType.guest
    : null;
  // The owner and self-joined users have no promoted or demoted form.
  if (next === null) return r(400);
  t.participantType = next;
  const guest = t.actorType === ActorType.guests;
  st.system(room, p.attendee, promote ? (guest ? 'guest_moderator_promoted' : 'moderator_promoted') : guest ? 'guest_moderator_demoted' : 'moderator_demoted', t);
  st.refreshParticipants(room);
  notifyParticipants(ctx, room, [...t.sessions]);
  return r(200, done(st));
}

/** DELETE /attendees: a moderator removes someone; its sessions end at once. */
export function removeAttendee(ctx: Ctx, room: Room, p: Participant): Result {
  const t = target(ctx, room);
  if (!t) return r(404);
  if (isOneToOne(room)) return r(400);
  if (t === p.attendee) return removeSelfLogic(ctx, room, t);
  if (t.participantType === ParticipantType.owner) return r(403);
  // Removing a user is in the chat; a guest leaves no message.
  if (t.actorType === ActorType.users) ctx.state.system(room, p.attendee, 'user_removed', t);
  drop(ctx, t);
  return r(200, []);
}

/** DELETE /participants/self: a user leaves the conversation for good (the lobby does not hold this). */
export function removeSelf(ctx: Ctx, room: Room, p: Participant): Result {
  return removeSelfLogic(ctx, room, p.attendee);
}

function removeSelfLogic(ctx: Ctx, room: Room, a: Attendee): Result {
  const st = ctx.state;
  const users = [...room.attendees.values()].filter((x) => x.actorType === ActorType.users);
  const moderators = [...room.attendees.values()].filter((x) => x.participantType === ParticipantType.owner || x.participantType === ParticipantType.moderator);
  if (!isOneToOne(room) && (a.participantType === ParticipantType.owner || a.participantType === ParticipantType.moderator) && users.length > 1 && moderators.length === 1) {
    return r(400, { error: 'last-moderator' });
  }
  // The last user of a conversation deletes it by leaving.
  if (users.length === 1 && users[0] === a && a.participantType !== ParticipantType.userSelfJoined) {
    const sessions = [...room.sessions.keys()];
    st.deleteRoom(room);
    notifyDisinvite(ctx, room, sessions);
    return r(200, done(st));
  }
  if (a.actorType !== ActorType.users) return r(404);
  drop(ctx, a);
  return r(200, done(st));
}

function drop(ctx: Ctx, a: Attendee): void {
  const room = a.room;
  const sessions = ctx.state.removeAttendeeAndSessions(a);
  if (sessions.length > 0) notifyDisinvite(ctx, room, sessions.map((s) => s.id));
}

/** Making a public conversation private removes its guests and self-joined users; invited users stay. */
export function removeUninvited(ctx: Ctx, room: Room): void {
  for (const a of [...room.attendees.values()]) {
    if (a.actorType === ActorType.guests || a.participantType === ParticipantType.userSelfJoined) drop(ctx, a);
  }
}

/** PUT /password: only public conversations have one; an empty string removes it. */
export function setPassword(ctx: Ctx, room: Room, p: Participant): Result {
  const password = requiredString(ctx.params, 'password');
  if (room.type !== ConversationType.public) return r(403);
  if (password !== room.password) ctx.state.system(room, p.attendee, password === '' ? 'password_removed' : 'password_set');
  room.password = password;
  notifyUpdate(ctx, room);
  return r(200, done(ctx.state));
}

/** PUT /participants/state: 0 inactive, 1 active. */
export function setSessionState(ctx: Ctx, p: Participant): Result {
  const state = requiredInt(ctx.params, 'state');
  if (!p.session) return r(404);
  if (state !== 0 && state !== 1) return r(400);
  p.session.state = state;
  return r(200, done(ctx.state));
}

/** PUT /permissions/default: the room's default (custom bit added); every attendee's own permissions are reset. */
export function setDefaultPermissions(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  const permissions = requiredInt(ctx.params, 'permissions');
  if (isOneToOne(room) || permissions < 0 || permissions > PERMISSIONS_MAX) return r(400);
  room.defaultPermissions = permissions === Permission.default ? 0 : permissions | Permission.custom;
  for (const a of room.attendees.values()) a.permissions = Permission.default;
  st.refreshParticipants(room);
  notifyUpdate(ctx, room);
  return r(200, formatRoom(st, room, p));
}

/** PUT /attendees/permissions: `method` set, add or remove on one attendee. */
export function setAttendeePermissions(ctx: Ctx, room: Room): Result {
  const st = ctx.state;
  const t = target(ctx, room);
  const method = requiredString(ctx.params, 'method');
  const permissions = requiredInt(ctx.params, 'permissions');
  if (!t) return r(404);
  if (isOneToOne(room) || MODERATOR_TYPES.includes(t.participantType) || t.actorType === ActorType.groups) return r(400);
  if (permissions < 0 || permissions > PERMISSIONS_MAX) return r(400);
  const old = st.permissionsOf(t);
  let next: number;
  if (method === 'set') next = permissions === Permission.default ? permissions : permissions | Permission.custom;
  else if (method === 'add') next = old | permissions | Permission.custom;
  else if (method === 'remove') next = (old & ~permissions) | Permission.custom;
  else return r(400);
  t.permissions = next;
  // Given permissions, a self-joined user becomes a regular one.
  if (t.participantType === ParticipantType.userSelfJoined) t.participantType = ParticipantType.user;
  st.refreshParticipants(room);
  notifyParticipants(ctx, room, [...t.sessions]);
  return r(200, done(st));
}
