// SignalingController, HPB side: `POST /signaling/backend`, the requests the HPB makes to Talk
// (protocol docs, "Backend requests"). Talk answers HTTP 200 in the OCS envelope even on failure,
// with `{type: "error", error: {code, message}}`; a bad checksum also registers a brute-force attempt.

import { ActorType } from '../../../shared/constants.ts';
import { CHECKSUM_HEADER, RANDOM_HEADER, checksumValid } from '../../hpb/signed.ts';
import type { Room, TalkSession } from '../state.ts';
import { notifyInCall, roomProperties } from './backend-notifier.ts';
import { type Ctx, type Result, r } from './common.ts';

const error = (code: string, message: string, type: string, extra: Partial<Result> = {}): Result =>
  r(200, { type: 'error', error: { code, message } }, { backend: { type, result: code }, ...extra });

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function signalingBackend(ctx: Ctx): Result {
  const secret = ctx.external?.config.secret ?? '';
  if (!checksumValid(secret, ctx.header(RANDOM_HEADER), ctx.header(CHECKSUM_HEADER), ctx.body)) {
    return error('invalid_request', 'The request could not be authenticated.', 'unknown', {
      throttle: { action: 'talkSignalingSecret', token: '' },
    });
  }
  let msg: Record<string, unknown> | null;
  try {
    msg = obj(JSON.parse(ctx.body));
  } catch {
    msg = null;
  }
  const type = str(msg?.['type']);
  switch (type) {
    case 'auth':
      return backendAuth(ctx, obj(msg?.['auth']));
    case 'room':
      return backendRoom(ctx, obj(msg?.['room']));
    case 'ping':
      return backendPing(ctx, obj(msg?.['ping']));
    default:
      return error('unknown_type', `The given type ${JSON.stringify(type)} is not supported.`, 'unknown');
  }
}

function backendAuth(ctx: Ctx, auth: Record<string, unknown> | null): Result {
  const params = obj(auth?.['params']);
  if (str(auth?.['version']) !== '1.0' || !params) return error('invalid_request', 'The request could not be parsed.', 'auth');
  const userId = str(params['userid']);
  const ticket = str(params['ticket']);
  if (!ctx.external?.ticketValid(userId, ticket)) return error('invalid_ticket', 'The given ticket is not valid for this user.', 'auth');
  if (userId === '') return r(200, { type: 'auth', auth: { version: '1.0' } }, { backend: { type: 'auth', result: 'ok' } });
  const user = ctx.state.users.get(userId);
  if (!user) return error('no_such_user', 'The given user does not exist.', 'auth');
  return r(200, { type: 'auth', auth: { version: '1.0', userid: user.id, user: { displayname: user.displayName } } }, { backend: { type: 'auth', result: 'ok' } });
}

/** What the participant may do, as the HPB's permission names. */
function permissions(ctx: Ctx, s: TalkSession): string[] {
  const p = ctx.state.permissionsOf(s.attendee);
  const out: string[] = [];
  if (p & 16) out.push('publish-audio');
  if (p & 32) out.push('publish-video');
  if (p & (16 | 32)) out.push('publish-media');
  if (p & 64) out.push('publish-screen');
  if (ctx.state.isModerator(s.attendee)) out.push('control');
  return out;
}

function backendRoom(ctx: Ctx, room: Record<string, unknown> | null): Result {
  const st = ctx.state;
  const token = str(room?.['roomid']);
  const userId = str(room?.['userid']);
  const sessionId = str(room?.['sessionid']);
  const action = str(room?.['action']) || 'join';
  const noSuchRoom = (): Result => error('no_such_room', 'The user is not invited to this room.', 'room');
  const target: Room | undefined = st.rooms.get(token);
  if (!target) return noSuchRoom();
  st.applyLobbyTimer(target);
  const session = sessionId !== '' ? target.sessions.get(sessionId) : undefined;
  if (!session) return noSuchRoom();
  const a = session.attendee;
  if (userId !== '' ? a.actorType !== ActorType.users || a.actorId !== userId : a.actorType === ActorType.users) return noSuchRoom();
  if (action === 'join') {
    if (session.hpbJoined) return error('duplicate_session', 'The session is already joined to this room.', 'room');
    session.hpbJoined = true;
    session.lastPing = st.nowSec();
    target.version++;
    return r(200, { type: 'room', room: { version: '1.0', roomid: token, properties: roomProperties(target), permissions: permissions(ctx, session) } }, { backend: { type: 'room', result: 'ok' } });
  }
  if (action === 'leave') {
    // Guests are removed with their session (they never come back as the same attendee); users
    // only end this session. Leaving while in the call leaves the call first.
    if (session.inCall !== 0) {
      st.changeInCall(session, 0);
      notifyInCall(ctx, target, [session], 0);
    }
    if (a.actorType === ActorType.guests) st.removeAttendee(a);
    else st.leaveRoomAsSession(session);
    st.refreshParticipants(target);
    return r(200, { type: 'room', room: { version: '1.0', roomid: token } }, { backend: { type: 'room', result: 'ok' } });
  }
  return error('invalid_request', `The action ${JSON.stringify(action)} is not supported.`, 'room');
}

/** One lastPing update for a whole batch (Talk updates them in a single query). */
function backendPing(ctx: Ctx, ping: Record<string, unknown> | null): Result {
  const st = ctx.state;
  const token = str(ping?.['roomid']);
  const entries = Array.isArray(ping?.['entries']) ? (ping['entries'] as unknown[]) : null;
  if (!entries) return error('invalid_request', 'The request could not be parsed.', 'ping');
  const now = st.nowSec();
  for (const e of entries) {
    const s = st.sessionsById.get(str(obj(e)?.['sessionid']));
    if (s && s.lastPing !== now) {
      s.lastPing = now;
      s.attendee.room.version++;
    }
  }
  return r(200, { type: 'room', room: { version: '1.0', roomid: token } }, { backend: { type: 'ping', result: 'ok', pingBatch: entries.length } });
}
