// CallController: the call peers, joining, flags, ringing and leaving (reference 2.13-2.18).

import { ActorType, CALL_FLAGS_MAX, CallFlag, DEFAULT_JOIN_FLAGS, Permission, Timeouts } from '../../../shared/constants.ts';
import type { Attendee, Room, TalkState } from '../state.ts';
import { RawJson } from '../raw-json.ts';
import { phpJson } from '../../../shared/php-json.ts';
import { notifyInCall, notifyInCallAll } from './backend-notifier.ts';
import { type Ctx, type Participant, type Result, MissingParameter, OutOfRange, done, phpBool, phpInt, r } from './common.ts';

export function callPeers(ctx: Ctx, room: Room): Result {
  const now = ctx.state.nowSec();
  const cacheKey = `${now}:${room.version}`;
  if (room.peersCache?.key === cacheKey) return r(200, room.peersCache.json);
  const limit = now - Timeouts.peerListSeconds;
  const parts: string[] = [];
  for (const s of room.sessions.values()) {
    if (s.inCall === 0 || s.lastPing < limit) continue;
    // Entries are cached per session: a large call re-serialises only what changed.
    const a = s.attendee;
    const key = `${s.lastPing}\u0000${a.displayName}`;
    if (s.peerJsonKey !== key) {
      s.peerJson = phpJson({ actorType: a.actorType, actorId: a.actorId, displayName: a.displayName, token: room.token, lastPing: s.lastPing, sessionId: s.id });
      s.peerJsonKey = key;
    }
    parts.push(s.peerJson);
  }
  const json = new RawJson(`[${parts.join(',')}]`);
  room.peersCache = { key: cacheKey, json };
  return r(200, json);
}

/** `int<0,15>` flags: out of range is 400 {error:'flags'} (Talk 19 had no range check). */
function flagsParam(ctx: Ctx, required: boolean): number | undefined {
  const v = ctx.params.get('flags');
  if (v === undefined || v === null) {
    if (required) throw new MissingParameter('flags');
    return undefined;
  }
  const flags = phpInt(v);
  if (ctx.state.settings.compat !== 'talk19' && (flags < 0 || flags > CALL_FLAGS_MAX)) throw new OutOfRange('flags');
  return flags;
}

/** Audio/video bits the participant may not publish are dropped. */
function allowedFlags(st: TalkState, a: Attendee, flags: number): number {
  const perms = st.permissionsOf(a);
  let f = flags;
  if (!(perms & Permission.publishAudio)) f &= ~CallFlag.withAudio;
  if (!(perms & Permission.publishVideo)) f &= ~CallFlag.withVideo;
  return f;
}

export function joinCall(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  const flags = flagsParam(ctx, false) ?? DEFAULT_JOIN_FLAGS;
  if (!p.session) return r(404);
  if (room.activeSince === 0 && !st.canStartCall(p.attendee)) return r(403);
  const granted = allowedFlags(st, p.attendee, flags);
  st.changeInCall(p.session, granted);
  notifyInCall(ctx, room, [p.session], granted);
  return r(200, done(st));
}

export function updateFlags(ctx: Ctx, p: Participant): Result {
  const st = ctx.state;
  const flags = flagsParam(ctx, true)!;
  if (!p.session) return r(404, []);
  if (!(p.session.inCall & CallFlag.inCall) || !(flags & CallFlag.inCall)) return r(400, []);
  p.session.inCall = allowedFlags(st, p.attendee, flags);
  st.refreshParticipants(p.attendee.room);
  notifyInCall(ctx, p.attendee.room, [p.session], p.session.inCall);
  return r(200, done(st));
}

export function ring(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  if (room.callFlag === CallFlag.disconnected) return r(400, { error: 'in-call' });
  if (p.session && p.session.inCall === CallFlag.disconnected) return r(400, { error: 'in-call' });
  const target = room.attendees.get(phpInt(ctx.attendeeId));
  if (!target) return r(404);
  if (target.actorType !== ActorType.users && target.actorType !== ActorType.federatedUsers) {
    return r(400, { error: 'actor-type' });
  }
  return r(200, done(st));
}

export function leaveCall(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  if (!p.session) return r(404);
  if (phpBool(ctx.params.get('all'), false) && st.isModerator(p.attendee)) {
    st.endCallForEveryone(room, p.attendee);
    notifyInCallAll(ctx, room, CallFlag.disconnected);
  } else {
    st.changeInCall(p.session, CallFlag.disconnected);
    notifyInCall(ctx, room, [p.session], CallFlag.disconnected);
  }
  return r(200, done(st));
}

