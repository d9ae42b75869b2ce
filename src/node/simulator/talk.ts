// The Talk controllers and their middleware checks (reference sections 1.5 and 2), on TalkState.
// Each handler returns the status and OCS data the real server gives for the same request sequence.

import {
  ActorType,
  CALL_FLAGS_MAX,
  CallFlag,
  ConversationType,
  DEFAULT_JOIN_FLAGS,
  LobbyState,
  ParticipantType,
  Permission,
  ReadOnlyState,
  StartCalls,
  Timeouts,
  type BruteForceAction,
} from '../../shared/constants.ts';
import type { EndpointId } from '../../shared/endpoints.ts';
import type { Attendee, PhpSession, QueuedMessage, Room, TalkSession, TalkState } from './state.ts';
import { RawJson } from './raw-json.ts';
import { phpJson } from '../../shared/php-json.ts';

/** Request parameters merged from query, form and JSON bodies, as Nextcloud's Request does. */
export type Params = ReadonlyMap<string, unknown>;

export interface Ctx {
  readonly state: TalkState;
  readonly userId: string | null;
  readonly php: PhpSession;
  readonly params: Params;
  readonly token: string;
  readonly attendeeId: string;
}

export interface Result {
  readonly status: number;
  readonly data?: unknown;
  /** Register a brute-force attempt for this action after the controller (Response::throttle). */
  readonly throttle?: { readonly action: BruteForceAction; readonly token: string };
  readonly headers?: Readonly<Record<string, string>>;
  /** A successful join resets this address's brute-force attempts for the token. */
  readonly resetAttempts?: string;
  /** A bare framework Response (e.g. a missing required parameter): no OCS envelope. */
  readonly bare?: boolean;
}

const r = (status: number, data: unknown = [], extra: Partial<Result> = {}): Result => ({ status, data, ...extra });

// ---- parameter conversion as Nextcloud's Dispatcher does it ---------------------------------------

/** PHP `settype($v, 'int')`: leading digits of a string, 0 for garbage. */
function phpInt(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const m = /^\s*[+-]?\d+/.exec(v);
    return m ? parseInt(m[0], 10) : 0;
  }
  return 0;
}

function phpBool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return !(v === '' || v === '0' || v === 'false');
  return true;
}

function phpString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v === true ? 1 : v === false ? '' : v);
  return undefined;
}

/** A required parameter the framework could not pass: TypeError -> bare 400. */
class MissingParameter extends Error {}
/** `int<a,b>` parameter out of range: Talk's ParameterOutOfRangeMiddleware -> 400 {error: name}. */
class OutOfRange extends Error {
  readonly param: string;
  constructor(param: string) {
    super(param);
    this.param = param;
  }
}

function requiredInt(p: Params, name: string): number {
  const v = p.get(name);
  if (v === undefined || v === null) throw new MissingParameter(name);
  return phpInt(v);
}

function requiredString(p: Params, name: string): string {
  const v = phpString(p.get(name));
  if (v === undefined) throw new MissingParameter(name);
  return v;
}

// ---- middleware (CanUseTalk + Injection) ----------------------------------------------------------

type Requirement = 'none' | 'participant' | 'moderator' | 'loggedInModerator';

interface Rules {
  readonly requires: Requirement;
  readonly callEnabled?: boolean;
  readonly readWrite?: boolean;
  readonly noLobby?: boolean;
  readonly permission?: number;
}

const RULES: { readonly [K in Exclude<EndpointId, 'capabilities'>]: Rules } = {
  room_list: { requires: 'none' },
  room_create: { requires: 'none' },
  room_get: { requires: 'none' },
  room_delete: { requires: 'moderator' },
  room_public: { requires: 'loggedInModerator' },
  room_private: { requires: 'loggedInModerator' },
  room_lobby: { requires: 'moderator' },
  room_read_only: { requires: 'moderator' },
  room_join: { requires: 'none' },
  room_leave: { requires: 'none' },
  room_add_participant: { requires: 'loggedInModerator' },
  room_participants: { requires: 'participant', noLobby: true },
  guest_name: { requires: 'participant' },
  signaling_settings: { requires: 'none' },
  signaling_poll: { requires: 'none' },
  signaling_send: { requires: 'none' },
  call_peers: { requires: 'participant', callEnabled: true, readWrite: true, noLobby: true },
  call_join: { requires: 'participant', callEnabled: true, readWrite: true, noLobby: true },
  call_flags: { requires: 'participant' },
  call_ring: { requires: 'participant', callEnabled: true, permission: Permission.startCall },
  call_leave: { requires: 'participant' },
};

export interface Participant {
  readonly attendee: Attendee;
  readonly session: TalkSession | null;
}

/** Manager::getRoomForUserByToken: the room if the caller may see it. */
function roomForCaller(ctx: Ctx, token: string): Room | null {
  const room = ctx.state.rooms.get(token);
  if (!room) return null;
  ctx.state.applyLobbyTimer(room);
  if (room.type === ConversationType.public) return room;
  if (ctx.userId !== null) return ctx.state.userAttendee(room, ctx.userId) ? room : null;
  const sid = ctx.php.talk.get(token);
  return sid !== undefined && room.sessions.has(sid) ? room : null;
}

/** ParticipantService::getParticipant / getParticipantBySession. */
function participantOf(ctx: Ctx, room: Room): Participant | null {
  const sid = ctx.php.talk.get(room.token);
  if (ctx.userId !== null) {
    const attendee = ctx.state.userAttendee(room, ctx.userId);
    if (!attendee) return null;
    if (sid !== undefined) {
      const s = room.sessions.get(sid);
      return { attendee, session: s && s.attendee === attendee ? s : null };
    }
    const first = attendee.sessions.values().next();
    return { attendee, session: first.done ? null : first.value };
  }
  if (sid === undefined) return null;
  const s = room.sessions.get(sid);
  return s ? { attendee: s.attendee, session: s } : null;
}

interface Resolved {
  readonly room: Room | null;
  readonly participant: Participant | null;
}

function middleware(id: Exclude<EndpointId, 'capabilities'>, ctx: Ctx): Resolved | Result {
  const rules = RULES[id];
  const st = ctx.state;
  if (rules.callEnabled && st.settings.startCalls === StartCalls.noOne) return r(403);
  if (rules.requires === 'none') return { room: null, participant: null };
  const room = roomForCaller(ctx, ctx.token);
  if (!room) return r(404);
  const participant = participantOf(ctx, room);
  if (!participant) return r(404);
  const a = participant.attendee;
  if (rules.requires === 'moderator' || rules.requires === 'loggedInModerator') {
    const ok =
      rules.requires === 'moderator'
        ? st.isModerator(a)
        : a.participantType === ParticipantType.owner || a.participantType === ParticipantType.moderator;
    if (!ok) return r(403);
  }
  if (rules.readWrite && room.readOnly === ReadOnlyState.readOnly) return r(403);
  if (rules.noLobby && room.lobbyState !== LobbyState.none) {
    if (!st.isModerator(a) && !(st.permissionsOf(a) & Permission.lobbyIgnore)) return r(412);
  }
  if (rules.permission !== undefined && !(st.permissionsOf(a) & rules.permission)) return r(403);
  return { room, participant };
}

// ---- formatting -----------------------------------------------------------------------------------

function formatRoom(st: TalkState, room: Room, p: Participant | null): Record<string, unknown> {
  const a = p?.attendee;
  const session = p?.session ?? null;
  const moderator = a ? st.isModerator(a) : false;
  return {
    id: room.id,
    token: room.token,
    type: room.type,
    name: room.name,
    displayName: room.name,
    description: '',
    participantType: a?.participantType ?? 0,
    attendeeId: a?.id ?? 0,
    attendeePin: '',
    actorType: a?.actorType ?? '',
    actorId: a?.actorId ?? '',
    permissions: a ? st.permissionsOf(a) : 0,
    attendeePermissions: a?.permissions ?? 0,
    callPermissions: 0,
    defaultPermissions: room.defaultPermissions,
    participantFlags: session?.inCall ?? 0,
    readOnly: room.readOnly,
    listable: 0,
    hasPassword: room.password !== '',
    hasCall: room.activeSince !== 0,
    callFlag: room.callFlag,
    canStartCall: a ? st.canStartCall(a) : false,
    canDeleteConversation: moderator,
    canLeaveConversation: a?.actorType === ActorType.users,
    lobbyState: room.lobbyState,
    lobbyTimer: room.lobbyTimer,
    lastPing: session?.lastPing ?? 0,
    sessionId: session?.id ?? '0',
    callStartTime: room.activeSince,
    callRecording: 0,
    recordingConsent: 0,
    sipEnabled: 0,
    messageExpiration: 0,
    lastActivity: room.lastActivity,
    unreadMessages: 0,
    unreadMention: false,
    isFavorite: false,
    notificationLevel: 0,
    objectType: '',
    objectId: '',
    breakoutRoomMode: 0,
    breakoutRoomStatus: 0,
    avatarVersion: '',
    isCustomAvatar: false,
  };
}

/** Successful call/leave payloads: `null` in current Talk, `[]` on Talk 19. */
const done = (st: TalkState): unknown => (st.settings.compat === 'talk19' ? [] : null);

function talkHash(room: Room): Record<string, string> {
  return { 'X-Nextcloud-Talk-Hash': (room.id * 2654435761 >>> 0).toString(16).padStart(8, '0') };
}

// ---- controllers ----------------------------------------------------------------------------------

function createRoom(ctx: Ctx): Result {
  const st = ctx.state;
  if (ctx.userId === null) return r(401);
  const type = ctx.params.has('roomType') ? phpInt(ctx.params.get('roomType')) : ConversationType.group;
  const name = (phpString(ctx.params.get('roomName')) ?? '').trim();
  const password = phpString(ctx.params.get('password')) ?? '';
  if (type === ConversationType.oneToOne) {
    const invite = phpString(ctx.params.get('invite')) ?? '';
    const other = st.users.get(invite);
    if (!other || invite === ctx.userId) return r(404, { error: 'invite' });
    for (const room of st.rooms.values()) {
      if (room.type === ConversationType.oneToOne && st.userAttendee(room, ctx.userId) && st.userAttendee(room, invite)) {
        return r(200, formatRoom(st, room, participantOf(ctx, room)));
      }
    }
    const room = st.createRoom(type, [ctx.userId, invite].sort().join(','), '');
    st.addAttendee(room, ActorType.users, ctx.userId, st.users.get(ctx.userId)?.displayName ?? ctx.userId, ParticipantType.owner);
    st.addAttendee(room, ActorType.users, invite, other.displayName, ParticipantType.owner);
    return r(201, formatRoom(st, room, participantOf(ctx, room)));
  }
  if (type !== ConversationType.group && type !== ConversationType.public) return r(400, { error: 'type' });
  if (name === '' || name.length > 255) return r(400, { error: 'name' });
  if (password !== '' && type !== ConversationType.public) return r(400, { error: 'password' });
  const room = st.createRoom(type, name, password);
  st.addAttendee(room, ActorType.users, ctx.userId, st.users.get(ctx.userId)?.displayName ?? ctx.userId, ParticipantType.owner);
  return r(201, formatRoom(st, room, participantOf(ctx, room)));
}

function listRooms(ctx: Ctx): Result {
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

function getRoom(ctx: Ctx): Result {
  const room = roomForCaller(ctx, ctx.token);
  if (!room) return r(404, [], { throttle: { action: 'talkRoomToken', token: ctx.token } });
  return r(200, formatRoom(ctx.state, room, participantOf(ctx, room)), { headers: talkHash(room) });
}

function deleteRoom(ctx: Ctx, room: Room): Result {
  // Deleting ends every session: held long-polls then answer 404 (the room is gone).
  ctx.state.refreshParticipants(room);
  ctx.state.deleteRoom(room);
  return r(200, done(ctx.state));
}

function setPublic(ctx: Ctx, room: Room, p: Participant, makePublic: boolean): Result {
  if (room.type !== ConversationType.group && room.type !== ConversationType.public) return r(400, { error: 'type' });
  if (makePublic) {
    const password = phpString(ctx.params.get('password')) ?? '';
    room.type = ConversationType.public;
    if (password !== '') room.password = password;
  } else {
    room.type = ConversationType.group;
    room.password = '';
  }
  return r(200, formatRoom(ctx.state, room, p));
}

function setLobby(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  const state = requiredInt(ctx.params, 'state');
  const timerRaw = ctx.params.get('timer');
  const timer = timerRaw === undefined || timerRaw === null || timerRaw === '' ? 0 : phpInt(timerRaw);
  if (room.type !== ConversationType.group && room.type !== ConversationType.public) return r(400, { error: 'type' });
  if (state !== LobbyState.none && state !== LobbyState.nonModerators) return r(400, { error: 'value' });
  room.lobbyState = state;
  room.lobbyTimer = state === LobbyState.none ? 0 : Math.max(timer, 0);
  if (state === LobbyState.nonModerators) {
    let changed = false;
    for (const s of room.sessions.values()) {
      if (s.inCall !== 0 && !(st.permissionsOf(s.attendee) & Permission.lobbyIgnore)) {
        s.inCall = 0;
        changed = true;
      }
    }
    if (changed && !st.hasActiveSessionsInCall(room)) {
      room.activeSince = 0;
      room.callFlag = 0;
    }
  }
  st.refreshParticipants(room);
  return r(200, formatRoom(st, room, p));
}

function setReadOnly(ctx: Ctx, room: Room, p: Participant): Result {
  const state = requiredInt(ctx.params, 'state');
  if (room.type !== ConversationType.group && room.type !== ConversationType.public) return r(400, { error: 'type' });
  if (state !== ReadOnlyState.readWrite && state !== ReadOnlyState.readOnly) return r(400, { error: 'value' });
  room.readOnly = state;
  if (state === ReadOnlyState.readOnly) ctx.state.endCallForEveryone(room);
  ctx.state.refreshParticipants(room);
  return r(200, formatRoom(ctx.state, room, p));
}

function joinRoom(ctx: Ctx): Result {
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
    st.leaveRoomAsSession(previous, true);
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

function leaveRoom(ctx: Ctx): Result {
  const st = ctx.state;
  const sid = ctx.php.talk.get(ctx.token);
  ctx.php.talk.delete(ctx.token);
  if (sid !== undefined) {
    const s = st.sessionsById.get(sid);
    if (s && s.attendee.room.token === ctx.token) st.leaveRoomAsSession(s);
  }
  st.releaseIfEmpty(ctx.php);
  return r(200, done(st));
}

function addParticipant(ctx: Ctx, room: Room): Result {
  const st = ctx.state;
  const newParticipant = requiredString(ctx.params, 'newParticipant');
  const source = phpString(ctx.params.get('source')) ?? 'users';
  if (room.type === ConversationType.oneToOne || room.type === ConversationType.formerOneToOne) {
    return r(400, { error: 'type' });
  }
  if (source !== 'users') return r(400, { error: 'source' });
  const user = st.users.get(newParticipant);
  if (!user) return r(404);
  if (!st.userAttendee(room, newParticipant)) {
    st.addAttendee(room, ActorType.users, user.id, user.displayName, ParticipantType.user);
    st.refreshParticipants(room);
  }
  return r(200, []);
}

function listParticipants(ctx: Ctx, room: Room, p: Participant): Result {
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

function guestName(ctx: Ctx, room: Room, p: Participant): Result {
  const displayName = requiredString(ctx.params, 'displayName');
  if (p.attendee.actorType !== ActorType.guests) return r(403);
  p.attendee.displayName = displayName.trim().slice(0, 64);
  ctx.state.refreshParticipants(room);
  return r(200, []);
}

function signalingSettings(ctx: Ctx): Result {
  const token = phpString(ctx.params.get('token')) ?? '';
  if (token !== '' && !roomForCaller(ctx, token)) {
    return r(404, [], { throttle: { action: 'talkRoomToken', token } });
  }
  return r(200, {
    signalingMode: 'internal',
    userId: ctx.userId,
    hideWarning: false,
    server: '',
    ticket: '',
    helloAuthParams: { '1.0': { userid: ctx.userId, ticket: '' }, '2.0': { token: '' } },
    federation: [],
    stunservers: [{ urls: ['stun.nextcloud.com:443'] }],
    turnservers: [],
    sipDialinInfo: '',
  });
}

function usersInRoom(st: TalkState, room: Room, pingTs: number): unknown[] {
  const threshold = Math.min(st.nowSec() - Timeouts.usersInRoomSeconds, pingTs) - 1;
  const out: unknown[] = [];
  for (const s of room.sessions.values()) {
    if (s.lastPing <= threshold) continue;
    const a = s.attendee;
    out.push({
      userId: a.actorType === ActorType.users ? a.actorId : '',
      roomId: room.id,
      lastPing: s.lastPing,
      sessionId: s.id,
      inCall: s.inCall,
      participantPermissions: st.permissionsOf(a),
      actorType: a.actorType,
      actorId: a.actorId,
    });
  }
  return out;
}

/** GET /signaling/{token}: pings, then holds up to N one-second ticks for messages. */
function pullMessages(ctx: Ctx): Result | Promise<Result> {
  const st = ctx.state;
  const gone = [{ type: 'usersInRoom', data: [] }];
  const sid = ctx.php.talk.get(ctx.token);
  if (sid === undefined) return r(404, gone);
  const session = st.sessionsById.get(sid);
  if (!session || session.attendee.room.token !== ctx.token) {
    ctx.php.talk.delete(ctx.token);
    return r(404, gone);
  }
  const pingTs = st.nowSec();
  session.lastPing = pingTs;
  session.attendee.room.version++;
  const startMs = Date.now();
  const ticks = st.settings.signalingPullSeconds;

  const take = (): QueuedMessage[] | 'refresh' | null => {
    if (session.refresh) {
      session.refresh = false;
      session.messages = [];
      return 'refresh';
    }
    if (session.messages.length > 0) {
      const m = session.messages;
      session.messages = [];
      return m;
    }
    return null;
  };

  const finish = (messages: readonly QueuedMessage[]): Result => {
    const room = session.attendee.room;
    if (!session.deleted && !room.deleted) {
      return r(200, [...messages, { type: 'usersInRoom', data: usersInRoom(st, room, pingTs) }]);
    }
    // Was the session killed or the whole conversation?
    const still = roomForCaller(ctx, ctx.token);
    if (!still) return r(404, gone);
    if (ctx.userId !== null && !st.userAttendee(still, ctx.userId)) return r(404, gone);
    return r(409, gone);
  };

  const first = take();
  if (first !== null) return finish(first === 'refresh' ? [] : first);
  if (ticks <= 0) return finish([]);

  return new Promise<Result>((resolve) => {
    let tickTimer: NodeJS.Timeout | null = null;
    const cleanup = (): void => {
      clearTimeout(deadline);
      if (tickTimer) clearTimeout(tickTimer);
      if (session.wake === wake) session.wake = null;
    };
    const check = (): void => {
      tickTimer = null;
      const got = take();
      if (got !== null) {
        cleanup();
        resolve(finish(got === 'refresh' ? [] : got));
      }
    };
    // The PHP loop looks once a second; something that arrives is seen at the next tick.
    const wake = (): void => {
      if (tickTimer) return;
      const elapsed = Date.now() - startMs;
      const next = Math.ceil((elapsed + 1) / 1000) * 1000;
      tickTimer = setTimeout(check, next - elapsed);
      tickTimer.unref();
    };
    const deadline = setTimeout(() => {
      cleanup();
      const got = take();
      resolve(finish(got === null || got === 'refresh' ? [] : got));
    }, ticks * 1000);
    // A held poll must not keep a process alive once its server is closed (a 30 s wait at exit).
    deadline.unref();
    session.wake = wake;
    if (session.deleted) wake();
  });
}

function sendMessages(ctx: Ctx): Result {
  const st = ctx.state;
  const raw = phpString(ctx.params.get('messages'));
  const own = ctx.php.talk.get(ctx.token);
  let list: unknown;
  try {
    list = raw === undefined ? null : JSON.parse(raw);
  } catch {
    list = null;
  }
  if (Array.isArray(list) && own !== undefined) {
    const sender = st.sessionsById.get(own);
    for (const m of list) {
      if (typeof m !== 'object' || m === null) continue;
      const msg = m as Record<string, unknown>;
      if (msg['ev'] !== 'message' || typeof msg['fn'] !== 'string' || msg['sessionId'] !== own) continue;
      let decoded: unknown;
      try {
        decoded = JSON.parse(msg['fn']);
      } catch {
        continue;
      }
      if (typeof decoded !== 'object' || decoded === null) continue;
      const d = decoded as Record<string, unknown>;
      if (d['type'] === 'control' && !(sender && st.isModerator(sender.attendee))) continue;
      d['from'] = own;
      const to = typeof d['to'] === 'string' ? st.sessionsById.get(d['to']) : undefined;
      if (!to) continue;
      to.messages.push({ type: 'message', data: phpJson(d) });
      to.wake?.();
    }
  }
  return r(200, done(st));
}

function callPeers(ctx: Ctx, room: Room): Result {
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

function joinCall(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  const flags = flagsParam(ctx, false) ?? DEFAULT_JOIN_FLAGS;
  if (!p.session) return r(404);
  if (room.activeSince === 0 && !st.canStartCall(p.attendee)) return r(403);
  st.changeInCall(p.session, allowedFlags(st, p.attendee, flags));
  return r(200, done(st));
}

function updateFlags(ctx: Ctx, p: Participant): Result {
  const st = ctx.state;
  const flags = flagsParam(ctx, true)!;
  if (!p.session) return r(404, []);
  if (!(p.session.inCall & CallFlag.inCall) || !(flags & CallFlag.inCall)) return r(400, []);
  p.session.inCall = allowedFlags(st, p.attendee, flags);
  st.refreshParticipants(p.attendee.room);
  return r(200, done(st));
}

function ring(ctx: Ctx, room: Room, p: Participant): Result {
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

function leaveCall(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  if (!p.session) return r(404);
  if (phpBool(ctx.params.get('all'), false) && st.isModerator(p.attendee)) st.endCallForEveryone(room);
  else st.changeInCall(p.session, CallFlag.disconnected);
  return r(200, done(st));
}

function capabilities(ctx: Ctx): Result {
  return r(200, capabilitiesPayload(ctx.state));
}

export function capabilitiesPayload(st: TalkState): unknown {
  return {
    version: { major: 31, minor: 0, micro: 0, string: '31.0.0', edition: '', extendedSupport: false },
    capabilities: {
      core: { pollinterval: 60, 'webdav-root': 'remote.php/webdav' },
      spreed: {
        features: [
          'audio', 'video', 'chat-v2', 'conversation-v4', 'guest-signaling', 'guest-display-names', 'no-ping',
          'in-call-flags', 'webinary-lobby', 'read-only-rooms', 'start-call-flag', 'signaling-v3', 'silent-call',
          'send-call-notification', 'session-state', 'recording-consent', 'download-call-participants',
          'publishing-permissions', 'conversation-permissions', 'config-call', 'talk-polls',
        ],
        'features-local': ['call-notification-state-api'],
        config: {
          call: {
            enabled: st.settings.startCalls !== StartCalls.noOne,
            'recording-consent': 0,
            'max-duration': 0,
            'start-without-media': false,
            'end-to-end-encryption': false,
            'live-transcription': false,
          },
          signaling: { 'session-ping-limit': 200 },
        },
        'config-local': {},
        version: '21.0.0-talksim',
      },
    },
  };
}

/** Runs one endpoint: middleware checks, then the controller. */
export function handle(id: EndpointId, ctx: Ctx): Result | Promise<Result> {
  try {
    if (id === 'capabilities') return capabilities(ctx);
    const m = middleware(id, ctx);
    if ('status' in m) return m;
    const { room, participant: p } = m;
    switch (id) {
      case 'room_create':
        return createRoom(ctx);
      case 'room_list':
        return listRooms(ctx);
      case 'room_get':
        return getRoom(ctx);
      case 'room_join':
        return joinRoom(ctx);
      case 'room_leave':
        return leaveRoom(ctx);
      case 'signaling_settings':
        return signalingSettings(ctx);
      case 'signaling_poll':
        return pullMessages(ctx);
      case 'signaling_send':
        return sendMessages(ctx);
      default:
        break;
    }
    if (!room || !p) return r(404);
    switch (id) {
      case 'room_delete':
        return deleteRoom(ctx, room);
      case 'room_public':
        return setPublic(ctx, room, p, true);
      case 'room_private':
        return setPublic(ctx, room, p, false);
      case 'room_lobby':
        return setLobby(ctx, room, p);
      case 'room_read_only':
        return setReadOnly(ctx, room, p);
      case 'room_add_participant':
        return addParticipant(ctx, room);
      case 'room_participants':
        return listParticipants(ctx, room, p);
      case 'guest_name':
        return guestName(ctx, room, p);
      case 'call_peers':
        return callPeers(ctx, room);
      case 'call_join':
        return joinCall(ctx, room, p);
      case 'call_flags':
        return updateFlags(ctx, p);
      case 'call_ring':
        return ring(ctx, room, p);
      case 'call_leave':
        return leaveCall(ctx, room, p);
    }
  } catch (e) {
    if (e instanceof MissingParameter) return { status: 400, bare: true };
    if (e instanceof OutOfRange) return r(400, { error: e.param });
    throw e;
  }
}
