// Talk -> HPB: what Talk's BackendNotifier posts to the HPB's room API when the call or the
// conversation changes (protocol docs, "Rooms API"). Each builder queues one notification on the
// request context; nothing is sent with internal signaling.

import { ActorType } from '../../../shared/constants.ts';
import type { Room, TalkSession, TalkState } from '../state.ts';
import type { Ctx } from './common.ts';

/** A session as the HPB's `users`/`changed` lists carry it. */
export function hpbUserEntry(st: TalkState, s: TalkSession): Record<string, unknown> {
  const a = s.attendee;
  const e: Record<string, unknown> = {
    inCall: s.inCall,
    lastPing: s.lastPing,
    sessionId: s.id,
    participantType: a.participantType,
    participantPermissions: st.permissionsOf(a),
    actorType: a.actorType,
    actorId: a.actorId,
  };
  if (a.actorType === ActorType.users) e['userId'] = a.actorId;
  return e;
}

/** The room properties Talk sends with backend room answers and `update`s. */
export function roomProperties(room: Room): Record<string, unknown> {
  return {
    name: room.name,
    type: room.type,
    'lobby-state': room.lobbyState,
    'lobby-timer': room.lobbyTimer,
    'read-only': room.readOnly,
    listable: 0,
    'active-since': room.activeSince,
    'sip-enabled': 0,
    description: '',
  };
}

function userIds(room: Room): string[] {
  const out: string[] = [];
  for (const a of room.attendees.values()) if (a.actorType === ActorType.users) out.push(a.actorId);
  return out;
}

function queue(ctx: Ctx, room: Room, message: { readonly type: string } & Record<string, unknown>): void {
  if (ctx.external) ctx.outbox.push(ctx.external.notify(room.token, message));
}

/** Call join, flag change or call leave of some sessions: `users` lists every session in the call. */
export function notifyInCall(ctx: Ctx, room: Room, changed: readonly TalkSession[], flags: number): void {
  if (!ctx.external) return;
  const st = ctx.state;
  const users: Record<string, unknown>[] = [];
  for (const s of room.sessions.values()) if (s.inCall !== 0) users.push(hpbUserEntry(st, s));
  queue(ctx, room, { type: 'incall', incall: { incall: flags, changed: changed.map((s) => hpbUserEntry(st, s)), users } });
}

/** A moderator ended the call for everyone (`incall-all`). */
export function notifyInCallAll(ctx: Ctx, room: Room, flags: number): void {
  queue(ctx, room, { type: 'incall', incall: { incall: flags, all: true } });
}

/** Sessions that left the conversation (guests, or one replaced by a second join from the same jar). */
export function notifyDisinvite(ctx: Ctx, room: Room, sessionIds: readonly string[]): void {
  queue(ctx, room, { type: 'disinvite', disinvite: { userids: [], sessionids: [...sessionIds], alluserids: userIds(room), properties: roomProperties(room) } });
}

export function notifyInvite(ctx: Ctx, room: Room, invited: readonly string[]): void {
  queue(ctx, room, { type: 'invite', invite: { userids: [...invited], alluserids: userIds(room), properties: roomProperties(room) } });
}

/** Lobby, read-only, type or name changed. */
export function notifyUpdate(ctx: Ctx, room: Room): void {
  queue(ctx, room, { type: 'update', update: { userids: userIds(room), properties: roomProperties(room) } });
}

export function notifyDelete(ctx: Ctx, room: Room, formerUserIds: readonly string[]): void {
  queue(ctx, room, { type: 'delete', delete: { userids: [...formerUserIds] } });
}

/** Participant type, permissions or a guest's name changed. */
export function notifyParticipants(ctx: Ctx, room: Room, changed: readonly TalkSession[]): void {
  if (!ctx.external) return;
  const st = ctx.state;
  const users = [...room.sessions.values()].map((s) => hpbUserEntry(st, s));
  queue(ctx, room, { type: 'participants', participants: { changed: changed.map((s) => hpbUserEntry(st, s)), users } });
}
