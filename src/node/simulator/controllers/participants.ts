// Participants and guests: adding users, the participant list, guest names (reference 2.10-2.12).

import { ActorType, ConversationType, ParticipantType, Permission, Timeouts } from '../../../shared/constants.ts';
import type { Room } from '../state.ts';


import { notifyInvite, notifyParticipants } from './backend-notifier.ts';
import { type Ctx, type Participant, type Result, phpString, r, requiredString } from './common.ts';

export function addParticipant(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  const newParticipant = requiredString(ctx.params, 'newParticipant');
  const source = phpString(ctx.params.get('source')) ?? 'users';
  if (room.type === ConversationType.oneToOne || room.type === ConversationType.formerOneToOne) {
    return r(400, { error: 'type' });
  }
  // Sources Talk 19 knows; a group that does not exist is not found, an unknown source is a bad request.
  if (source === 'groups') {
    // Every Nextcloud has the group "admin" (its administrators); the simulator has no other.
    const members = newParticipant === 'admin' ? [...st.users.values()].filter((u) => u.id === 'admin') : null;
    if (members === null) return r(404);
    const added = members.filter((u) => !st.userAttendee(room, u.id));
    for (const u of added) addUser(ctx, room, p, u);
    if (added.length > 0) notifyInvite(ctx, room, added.map((u) => u.id));
    return r(200, []);
  }
  if (source !== 'users') return r(400, { error: 'source' });
  const user = st.users.get(newParticipant);
  if (!user) return r(404);
  if (!st.userAttendee(room, newParticipant)) {
    addUser(ctx, room, p, user);
    notifyInvite(ctx, room, [user.id]);
  }
  return r(200, []);
}

function addUser(ctx: Ctx, room: Room, by: Participant, user: { id: string; displayName: string }): void {
  const a = ctx.state.addAttendee(room, ActorType.users, user.id, user.displayName, ParticipantType.user);
  ctx.state.system(room, by.attendee, 'user_added', a);
  ctx.state.refreshParticipants(room);
}

export function listParticipants(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  if (p.attendee.participantType === ParticipantType.guest) return r(403);
  const now = st.nowSec();
  // Side effect: sessions not pinged for 100 s are expired here, and only here.
  for (const s of [...room.sessions.values()]) {
    if (s.lastPing <= now - Timeouts.sessionKillSeconds) {
      if (s.attendee.actorType === ActorType.guests) st.deleteSession(s);
      else st.leaveRoomAsSession(s);
    }
  }
  const list: Record<string, unknown>[] = [];
  for (const a of [...room.attendees.values()]) {
    const anonymousGuest = a.actorType === ActorType.guests && a.participantType === ParticipantType.guest;
    if (anonymousGuest && a.sessions.size === 0 && a.permissions === Permission.default) {
      if (a.displayName === '') st.removeAttendee(a);
      continue;
    }
    let inCall = 0;
    let lastPing = 0;
    const sessionIds: string[] = [];
    for (const s of a.sessions) {
      inCall |= s.inCall;
      if (s.lastPing > lastPing) lastPing = s.lastPing;
      sessionIds.push(s.id);
    }
    list.push({
      roomToken: room.token,
      inCall,
      lastPing,
      sessionIds,
      participantType: a.participantType,
      attendeeId: a.id,
      actorId: a.actorId,
      actorType: a.actorType,
      displayName: a.displayName,
      permissions: st.permissionsOf(a),
      attendeePermissions: a.permissions,
      attendeePin: '',
      phoneNumber: '',
      callId: '',
    });
  }
  return r(200, list);
}

export function guestName(ctx: Ctx, room: Room, p: Participant): Result {
  const displayName = requiredString(ctx.params, 'displayName');
  if (p.attendee.actorType !== ActorType.guests) return r(403);
  // Talk keeps the name as given: no cut at 64 UTF-16 units (emoji and astral characters included).
  p.attendee.displayName = displayName;
  ctx.state.refreshParticipants(room);
  notifyParticipants(ctx, room, [...p.attendee.sessions]);
  return r(200, []);
}

