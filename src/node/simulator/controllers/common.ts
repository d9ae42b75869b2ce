// What every controller shares: the request context, results, PHP's parameter conversion, the
// caller's room and participant, and the room format.

import { ActorType, ConversationType, ParticipantType, type BruteForceAction } from '../../../shared/constants.ts';
import type { Attendee, PhpSession, Room, TalkSession, TalkState } from '../state.ts';
import type { ExternalSignaling } from '../external-signaling.ts';

/** Request parameters merged from query, form and JSON bodies, as Nextcloud's Request does. */
export type Params = ReadonlyMap<string, unknown>;

export interface Ctx {
  readonly state: TalkState;
  readonly userId: string | null;
  readonly php: PhpSession;
  readonly params: Params;
  readonly token: string;
  readonly attendeeId: string;
  /** The raw request, for the HPB backend endpoint (its checksum covers the body as sent). */
  readonly body: string;
  header(name: string): string | undefined;
  /** Set when Talk is configured with an HPB (external signaling). */
  readonly external: ExternalSignaling | null;
  /** Notifications to the HPB started by the controller; the OCS answer waits for them. */
  readonly outbox: Promise<void>[];
  /**
   * Whether a write of this request now fails with SQLite's "database is locked" (the capacity
   * model's `db=sqlite`; always false without it, so sequential requests never meet it).
   */
  dbLocked(): boolean;
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
  /** An HPB backend request: its type and result (for metrics), and a ping's batch size. */
  readonly backend?: { readonly type: string; readonly result: string; readonly pingBatch?: number };
  /** An exception no middleware handles (a database error): PHP's uncaught-error answer, a 500. */
  readonly uncaught?: boolean;
}

export const r = (status: number, data: unknown = [], extra: Partial<Result> = {}): Result => ({ status, data, ...extra });

// ---- parameter conversion as Nextcloud's Dispatcher does it ---------------------------------------

/** PHP `settype($v, 'int')`: leading digits of a string, 0 for garbage. */
export function phpInt(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const m = /^\s*[+-]?\d+/.exec(v);
    return m ? parseInt(m[0], 10) : 0;
  }
  return 0;
}

export function phpBool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return !(v === '' || v === '0' || v === 'false');
  return true;
}

export function phpString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v === true ? 1 : v === false ? '' : v);
  return undefined;
}

/** A required parameter the framework could not pass: TypeError -> bare 400. */
export class MissingParameter extends Error {}
/** `int<a,b>` parameter out of range: Talk's ParameterOutOfRangeMiddleware -> 400 {error: name}. */
export class OutOfRange extends Error {
  readonly param: string;
  constructor(param: string) {
    super(param);
    this.param = param;
  }
}

export function requiredInt(p: Params, name: string): number {
  const v = p.get(name);
  if (v === undefined || v === null) throw new MissingParameter(name);
  return phpInt(v);
}

export function requiredString(p: Params, name: string): string {
  const v = phpString(p.get(name));
  if (v === undefined) throw new MissingParameter(name);
  return v;
}


/**
 * A request held as Talk's PHP loops hold it (the signaling and the chat long-poll): the loop looks
 * once a second, so something that arrives is seen at the next whole second of the wait, and at
 * `seconds` it gives up. `look` answers once there is something (null: keep waiting), `giveUp` at
 * the deadline. Talk's loops (SignalingController::pullMessages, ChatController::receiveMessages)
 * look, sleep a second, look again: each held request on its own phase, so their answers are
 * staggered, not in step, and nothing wakes them sooner.
 */
export function holdPoll<T>(seconds: number, look: () => T | null, giveUp: () => T): Promise<T> {
  const startMs = Date.now();
  return new Promise<T>((resolve) => {
    let tick: NodeJS.Timeout | null = null;
    let done = false;
    const end = (value: T): void => {
      done = true;
      clearTimeout(deadline);
      if (tick) clearTimeout(tick);
      resolve(value);
    };
    const schedule = (): void => {
      const elapsed = Date.now() - startMs;
      tick = setTimeout(() => {
        tick = null;
        if (done) return;
        const got = look();
        if (got !== null) end(got);
        else schedule();
      }, Math.ceil((elapsed + 1) / 1000) * 1000 - elapsed);
      tick.unref();
    };
    // A held poll must not keep a process alive once its server is closed (a 30 s wait at exit).
    const deadline = setTimeout(() => end(giveUp()), seconds * 1000);
    deadline.unref();
    schedule();
  });
}

export interface Participant {
  readonly attendee: Attendee;
  readonly session: TalkSession | null;
}

/** Manager::getRoomForUserByToken: the room if the caller may see it. */
export function roomForCaller(ctx: Ctx, token: string): Room | null {
  const room = ctx.state.rooms.get(token);
  if (!room) return null;
  ctx.state.applyLobbyTimer(room);
  if (room.type === ConversationType.public) return room;
  if (ctx.userId !== null) return ctx.state.userAttendee(room, ctx.userId) ? room : null;
  const sid = ctx.php.talk.get(token);
  return sid !== undefined && room.sessions.has(sid) ? room : null;
}

/** ParticipantService::getParticipant / getParticipantBySession. */
export function participantOf(ctx: Ctx, room: Room): Participant | null {
  const sid = ctx.php.talk.get(room.token);
  if (ctx.userId !== null) {
    const attendee = ctx.state.userAttendee(room, ctx.userId);
    if (!attendee) return null;
    // A user's Talk session lives in its cookie jar as a guest's does: Basic auth alone finds the
    // attendee, not a session (call requests from a jar that has not joined answer 404).
    const s = sid !== undefined ? room.sessions.get(sid) : undefined;
    return { attendee, session: s && s.attendee === attendee ? s : null };
  }
  if (sid === undefined) return null;
  const s = room.sessions.get(sid);
  return s ? { attendee: s.attendee, session: s } : null;
}

// ---- formatting -----------------------------------------------------------------------------------

export function formatRoom(st: TalkState, room: Room, p: Participant | null): Record<string, unknown> {
  const a = p?.attendee;
  const session = p?.session ?? null;
  const moderator = a ? st.isModerator(a) : false;
  // Someone held by the lobby learns nothing of the call behind it.
  const held = a ? st.heldByLobby(a) : room.lobbyState !== 0;
  return {
    id: room.id,
    token: room.token,
    type: room.type,
    name: room.name,
    displayName: room.name,
    description: room.description,
    // Someone who is no participant (a user reading a public conversation) gets Talk's defaults:
    // participant type 4 (RoomFormatter's default) and nothing of the call.
    participantType: a?.participantType ?? ParticipantType.guest,
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
    hasCall: a !== undefined && room.activeSince !== 0 && !held,
    callFlag: a ? room.callFlag : 0,
    canStartCall: a && !held ? st.canStartCall(a) : false,
    canDeleteConversation: moderator,
    canLeaveConversation: a?.actorType === ActorType.users,
    lobbyState: room.lobbyState,
    lobbyTimer: room.lobbyTimer,
    lastPing: session?.lastPing ?? 0,
    sessionId: session?.id ?? '0',
    callStartTime: a ? room.activeSince : 0,
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
export const done = (st: TalkState): unknown => (st.settings.compat === 'talk19' ? [] : null);

export function talkHash(room: Room): Record<string, string> {
  return { 'X-Nextcloud-Talk-Hash': (room.id * 2654435761 >>> 0).toString(16).padStart(8, '0') };
}

