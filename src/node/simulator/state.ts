// In-memory model of the Talk server's state: users, conversations, attendees, Talk sessions,
// PHP sessions (the guest's identity) and brute-force attempts. No HTTP here.

import { systemMessage } from './system-messages.ts';
import { createHash, randomBytes } from 'node:crypto';
import {
  ActorType,
  BruteForce,
  ParticipantType,
  type BruteForceAction,
  DEFAULT_PERMISSIONS,
  Hpb,
  MODERATOR_PERMISSIONS,
  MODERATOR_TYPES,
  Permission,
  type ParticipantTypeValue,
  type StartCallsValue,
  StartCalls,
  Timeouts,
} from '../../shared/constants.ts';
import type { RawJson } from './raw-json.ts';

export interface Clock {
  /** Milliseconds since the epoch, shifted by the test offset. */
  nowMs(): number;
}

export class ShiftableClock implements Clock {
  offsetMs = 0;
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
}

export interface User {
  readonly id: string;
  readonly password: string;
  readonly displayName: string;
}

export interface Attendee {
  readonly id: number;
  readonly room: Room;
  readonly actorType: string;
  readonly actorId: string;
  displayName: string;
  participantType: ParticipantTypeValue;
  /** 0 = default (inherit). */
  permissions: number;
  lastJoinedCall: number;
  sessions: Set<TalkSession>;
}

/** A message queued for a session's internal-signaling long-poll. */
/** A row of Talk's talk_internalsignaling table: its text and when it was written (whole seconds). */
export type QueuedMessage = { readonly type: 'message'; readonly data: string; readonly ts: number };

export interface TalkSession {
  readonly id: string;
  readonly attendee: Attendee;
  inCall: number;
  /** Seconds since the epoch. */
  lastPing: number;
  deleted: boolean;
  /**
   * Messages for the long-poll, and the times (whole seconds, oldest first) of the unread
   * `refresh-participant-list` rows: Talk's Listener writes one per change of the room.
   */
  messages: QueuedMessage[];
  refreshes: number[];
  /** This session's `GET /call` entry as JSON, and what it was built from. */
  peerJson: string;
  peerJsonKey: string;
  /** Joined to its room on the HPB (backend `room` join, until its `leave`). */
  hpbJoined: boolean;
  /** Session state: 1 active, 0 inactive (`PUT .../participants/state`). */
  state: number;
}

/** A chat message as `GET /chat/{token}` lists it (reference 2.21: only as load beside a call). */
export interface ChatMessage {
  readonly id: number;
  readonly token: string;
  readonly actorType: string;
  readonly actorId: string;
  readonly actorDisplayName: string;
  readonly timestamp: number;
  readonly message: string;
  /** Talk's system message name (`conversation_created`, `user_added`, ...), or '' for a comment. */
  readonly systemMessage?: string;
  readonly messageParameters?: Record<string, unknown>;
  /** The message this one replies to. */
  readonly parentId?: number;
}

export interface Room {
  readonly id: number;
  readonly token: string;
  type: number;
  name: string;
  description: string;
  readOnly: number;
  lobbyState: number;
  /** Seconds since the epoch, 0 = none. */
  lobbyTimer: number;
  password: string;
  defaultPermissions: number;
  callFlag: number;
  /** Seconds since the epoch when the running call started, 0 = no call. */
  activeSince: number;
  lastActivity: number;
  deleted: boolean;
  readonly attendees: Map<number, Attendee>;
  /** `${actorType}/${actorId}` -> attendee. */
  readonly attendeeByActor: Map<string, Attendee>;
  readonly sessions: Map<string, TalkSession>;
  /** Bumped on every change a peer list can show; with the second, keys the `GET /call` cache. */
  version: number;
  peersCache: { readonly key: string; readonly json: RawJson } | null;
  /** Chat messages, oldest first. */
  readonly chat: ChatMessage[];
}

/** The PHP session behind the session cookie: who is logged in and room token -> Talk session id. */
export interface PhpSession {
  readonly id: string;
  userId: string | null;
  readonly talk: Map<string, string>;
  /** Clock ms of the last request that used it (PHP's garbage collection goes by this). */
  lastUsedMs: number;
}

/** PHP's default session.gc_maxlifetime: idle PHP sessions are gone after 24 minutes. */
export const PHP_SESSION_LIFETIME_MS = 1440 * 1000;

export interface ServerSettings {
  /** Admin `start_calls`. */
  startCalls: StartCallsValue;
  /** Brute-force protection: on (sleeps), testing (no sleep, still 429), off. */
  bruteForce: 'on' | 'testing' | 'off';
  bruteForceMaxAttempts: number;
  /** Internal signaling long-poll hold, seconds. */
  signalingPullSeconds: number;
  /** Reproduce Talk 19 (Nextcloud 29) differences: no flags range check, `[]` payloads, 500 at max delay. */
  compat: 'latest' | 'talk19';
  /** Capability `config.signaling.session-ping-limit`: the most sessions the HPB pings in one request. */
  sessionPingLimit: number;
}

export const defaultSettings = (): ServerSettings => ({
  startCalls: StartCalls.everyone,
  bruteForce: 'on',
  bruteForceMaxAttempts: BruteForce.maxAttempts,
  signalingPullSeconds: Timeouts.signalingPullSeconds,
  compat: 'latest',
  sessionPingLimit: Hpb.sessionPingLimit,
});

/** Nextcloud's secure-random default alphabet, which Talk session ids use (reference 3.3): 64 characters, '/' among them. */
const SESSION_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

interface Attempt {
  readonly action: BruteForceAction;
  readonly token: string;
  readonly atMs: number;
}

export class TalkState {
  readonly users = new Map<string, User>();
  readonly rooms = new Map<string, Room>();
  readonly sessionsById = new Map<string, TalkSession>();
  readonly phpSessions = new Map<string, PhpSession>();
  readonly attempts = new Map<string, Attempt[]>();
  readonly instanceId = 'oc' + randomString(10, TOKEN_CHARS);
  private nextRoomId = 1;
  private nextAttendeeId = 1;
  /** Chat message ids are global, as comment ids are in Nextcloud. */
  nextMessageId = 1;

  readonly clock: Clock;
  readonly settings: ServerSettings;
  constructor(clock: Clock, settings: ServerSettings, users: readonly User[]) {
    this.clock = clock;
    this.settings = settings;
    for (const u of users) this.users.set(u.id, u);
  }

  nowSec(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  // ---- PHP sessions -------------------------------------------------------------------------

  newPhpSessionId(): string {
    return randomString(26, TOKEN_CHARS);
  }

  /** The PHP session for an id, created empty on first write. */
  phpSession(id: string): PhpSession {
    let s = this.phpSessions.get(id);
    if (!s) {
      s = { id, userId: null, talk: new Map(), lastUsedMs: 0 };
      this.phpSessions.set(id, s);
    }
    s.lastUsedMs = this.clock.nowMs();
    return s;
  }

  /** PHP garbage collection: sessions idle for 24 minutes are gone (a long call loses its guests). */
  collectPhpSessions(): number {
    const limit = this.clock.nowMs() - PHP_SESSION_LIFETIME_MS;
    let n = 0;
    for (const [id, s] of this.phpSessions) {
      if (s.lastUsedMs < limit) {
        this.phpSessions.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Forget PHP sessions that hold nothing, so cookieless load does not grow memory. */
  releaseIfEmpty(php: PhpSession): void {
    if (php.userId === null && php.talk.size === 0) this.phpSessions.delete(php.id);
  }

  // ---- rooms and attendees ------------------------------------------------------------------

  createRoom(type: number, name: string, password: string): Room {
    let token: string;
    do token = randomString(8, TOKEN_CHARS);
    while (this.rooms.has(token));
    const room: Room = {
      id: this.nextRoomId++,
      token,
      type,
      name,
      description: '',
      readOnly: 0,
      lobbyState: 0,
      lobbyTimer: 0,
      password,
      defaultPermissions: 0,
      callFlag: 0,
      activeSince: 0,
      lastActivity: this.nowSec(),
      deleted: false,
      attendees: new Map(),
      attendeeByActor: new Map(),
      sessions: new Map(),
      version: 0,
      peersCache: null,
      chat: [],
    };
    this.rooms.set(token, room);
    return room;
  }

  addAttendee(room: Room, actorType: string, actorId: string, displayName: string, type: ParticipantTypeValue): Attendee {
    const a: Attendee = {
      id: this.nextAttendeeId++,
      room,
      actorType,
      actorId,
      displayName,
      participantType: type,
      permissions: 0,
      lastJoinedCall: 0,
      sessions: new Set(),
    };
    room.attendees.set(a.id, a);
    room.attendeeByActor.set(`${actorType}/${actorId}`, a);
    return a;
  }

  removeAttendee(a: Attendee): void {
    for (const s of a.sessions) this.deleteSession(s);
    a.room.attendees.delete(a.id);
    a.room.attendeeByActor.delete(`${a.actorType}/${a.actorId}`);
  }

  /**
   * An attendee is removed (by a moderator, by leaving for good, or by making the room private):
   * its sessions leave the call and end at once, and the call ends when nobody fresh is left in it.
   */
  removeAttendeeAndSessions(a: Attendee): TalkSession[] {
    const room = a.room;
    const sessions = [...a.sessions];
    for (const s of sessions) s.inCall = 0;
    this.removeAttendee(a);
    this.endCallIfEmpty(room);
    this.refreshParticipants(room);
    return sessions;
  }

  userAttendee(room: Room, userId: string): Attendee | undefined {
    return room.attendeeByActor.get(`users/${userId}`);
  }

  deleteRoom(room: Room): void {
    for (const s of [...room.sessions.values()]) this.deleteSession(s);
    room.deleted = true;
    this.rooms.delete(room.token);
  }

  // ---- Talk sessions ------------------------------------------------------------------------

  private newSessionId(): string {
    let id: string;
    do id = randomString(Timeouts.sessionIdLength, SESSION_ID_CHARS);
    while (this.sessionsById.has(id));
    return id;
  }

  /** A new guest: its actor id is the sha1 of its first session id. */
  createGuest(room: Room): TalkSession {
    const id = this.newSessionId();
    const actorId = createHash('sha1').update(id).digest('hex');
    return this.createSession(this.addAttendee(room, ActorType.guests, actorId, '', ParticipantType.guest), id);
  }

  createSession(attendee: Attendee, id = this.newSessionId()): TalkSession {
    const s: TalkSession = {
      id,
      attendee,
      inCall: 0,
      lastPing: this.nowSec(),
      deleted: false,
      messages: [],
      refreshes: [],
      peerJson: '',
      peerJsonKey: '',
      hpbJoined: false,
      state: 1,
    };
    attendee.sessions.add(s);
    attendee.room.sessions.set(id, s);
    attendee.room.version++;
    this.sessionsById.set(id, s);
    return s;
  }

  deleteSession(s: TalkSession): void {
    if (s.deleted) return;
    s.deleted = true;
    s.messages = [];
    s.attendee.sessions.delete(s);
    s.attendee.room.sessions.delete(s.id);
    s.attendee.room.version++;
    this.sessionsById.delete(s.id);
  }

  /** Tell every session of the room that the participant list changed (a row each, read by its long-poll). */
  refreshParticipants(room: Room): void {
    room.version++;
    const now = this.nowSec();
    for (const s of room.sessions.values()) {
      // One row per second is enough: rows of the same second become visible together.
      if (s.refreshes.at(-1) !== now) s.refreshes.push(now);
    }
  }

  // ---- permissions and call state -----------------------------------------------------------

  isModerator(a: Attendee): boolean {
    return MODERATOR_TYPES.includes(a.participantType);
  }

  permissionsOf(a: Attendee): number {
    if (this.isModerator(a)) return MODERATOR_PERMISSIONS;
    if (a.permissions & Permission.custom) return a.permissions;
    if (a.room.defaultPermissions !== 0) return a.room.defaultPermissions;
    return DEFAULT_PERMISSIONS;
  }

  /** Held by the lobby: it is on and the attendee is neither a moderator nor allowed to ignore it. */
  heldByLobby(a: Attendee): boolean {
    return a.room.lobbyState !== 0 && !this.isModerator(a) && !(this.permissionsOf(a) & Permission.lobbyIgnore);
  }

  canStartCall(a: Attendee): boolean {
    if (!(this.permissionsOf(a) & Permission.startCall)) return false;
    switch (this.settings.startCalls) {
      case StartCalls.everyone:
        return true;
      case StartCalls.users:
        return a.actorType === 'users';
      case StartCalls.moderators:
        return this.isModerator(a);
      default:
        return false;
    }
  }

  /** A call "has people" only while a session in it pinged within 30 s. */
  hasActiveSessionsInCall(room: Room): boolean {
    const limit = this.nowSec() - Timeouts.peerListSeconds;
    for (const s of room.sessions.values()) if (s.inCall !== 0 && s.lastPing >= limit) return true;
    return false;
  }

  /** A system message in the room's chat (system-messages.ts). */
  system(room: Room, actor: Attendee | null, name: string, target?: Attendee): void {
    systemMessage(() => this.nextMessageId++, this.nowSec(), room, actor, name, target);
  }

  /** Sets a session's in-call flags; leaving ends the call when no fresh session remains in it. */
  changeInCall(s: TalkSession, flags: number): void {
    const room = s.attendee.room;
    const was = s.inCall;
    s.inCall = flags;
    if (flags !== 0) {
      s.attendee.lastJoinedCall = this.nowSec();
      if (was === 0) this.system(room, s.attendee, room.activeSince === 0 ? 'call_started' : 'call_joined');
      if (room.activeSince === 0) room.activeSince = this.nowSec();
      room.callFlag |= flags;
    } else if (was !== 0) {
      if (!this.endCallIfEmpty(room, s.attendee)) this.system(room, s.attendee, 'call_left');
    }
    this.refreshParticipants(room);
  }

  /** The call ends when no session that pinged within 30 s is left in it; true when it ended now. */
  endCallIfEmpty(room: Room, by: Attendee | null = null): boolean {
    if (room.activeSince !== 0 && !this.hasActiveSessionsInCall(room)) {
      room.activeSince = 0;
      room.callFlag = 0;
      this.system(room, by, 'call_ended');
      return true;
    }
    return false;
  }

  endCallForEveryone(room: Room, by: Attendee | null = null): void {
    for (const s of room.sessions.values()) s.inCall = 0;
    if (room.activeSince !== 0) this.system(room, by, 'call_ended_everyone');
    room.activeSince = 0;
    room.callFlag = 0;
    this.refreshParticipants(room);
  }

  /** Leaving a conversation (or being replaced by a second join from the same cookie jar). */
  leaveRoomAsSession(s: TalkSession, duplicated = false): void {
    const a = s.attendee;
    if (s.inCall !== 0) {
      s.inCall = 0;
      if (!this.endCallIfEmpty(a.room, a)) this.system(a.room, a, 'call_left');
    }
    this.deleteSession(s);
    if (!duplicated && a.actorType === 'users' && a.participantType === 5 && a.sessions.size === 0) {
      this.removeAttendee(a);
    }
    this.refreshParticipants(a.room);
  }

  /** The lobby timer switches the lobby off lazily, when the room is loaded. */
  applyLobbyTimer(room: Room): void {
    if (room.lobbyState !== 0 && room.lobbyTimer !== 0 && room.lobbyTimer <= this.nowSec()) {
      room.lobbyState = 0;
      room.lobbyTimer = 0;
    }
  }

  // ---- brute force --------------------------------------------------------------------------

  private attemptsOf(ip: string, action: BruteForceAction, windowSec: number): number {
    const list = this.attempts.get(ip);
    if (!list) return 0;
    const since = this.clock.nowMs() - windowSec * 1000;
    let n = 0;
    for (const a of list) if (a.action === action && a.atMs >= since) n++;
    return n;
  }

  /** The delay Nextcloud sleeps for this address and action, in ms. */
  bruteForceDelayMs(ip: string, action: BruteForceAction): number {
    if (this.settings.bruteForce === 'off') return 0;
    const n = this.attemptsOf(ip, action, BruteForce.delayWindowSeconds);
    if (n === 0) return 0;
    if (n > this.settings.bruteForceMaxAttempts) return BruteForce.maxDelaySeconds * 1000;
    return Math.min(Math.ceil(BruteForce.firstDelaySeconds * 2 ** n * 1000), BruteForce.maxDelaySeconds * 1000);
  }

  bruteForceBlocked(ip: string, action: BruteForceAction): boolean {
    if (this.settings.bruteForce === 'off') return false;
    return this.attemptsOf(ip, action, BruteForce.maxWindowSeconds) > this.settings.bruteForceMaxAttempts;
  }

  registerAttempt(ip: string, action: BruteForceAction, token: string): void {
    if (this.settings.bruteForce === 'off') return;
    let list = this.attempts.get(ip);
    if (!list) this.attempts.set(ip, (list = []));
    list.push({ action, token, atMs: this.clock.nowMs() });
  }

  /** A successful join resets this address's attempts for that token only. */
  resetAttempts(ip: string, action: BruteForceAction, token: string): void {
    const list = this.attempts.get(ip);
    if (!list) return;
    const kept = list.filter((a) => !(a.action === action && a.token === token));
    if (kept.length === 0) this.attempts.delete(ip);
    else this.attempts.set(ip, kept);
  }

  resetBruteForce(): void {
    this.attempts.clear();
  }
}
