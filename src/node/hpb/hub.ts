// What the HPB emulator's areas share: the sessions and rooms of the hub, and the ways to reach a
// session. The areas (clients.ts: the client protocol; room-api.ts: what Talk notifies; backend.ts:
// what the HPB asks Talk) take a Hub; emulator.ts holds it and wires the servers.

import type { Counter, Histogram } from 'prom-client';
import type { WebSocket } from 'ws';
import type { HpbFaults } from './faults.ts';

export type Json = Record<string, unknown>;

export const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const trimSlash = (u: string): string => u.replace(/\/+$/, '');

export const HPB_VERSION = 'talkload-hpb-emulator';
/** The one backend this emulator serves, as its metrics label it. */
export const BACKEND_LABEL = 'default';

export interface HubSession {
  readonly id: string;
  readonly resumeId: string;
  readonly userId: string;
  readonly user: Record<string, unknown>;
  readonly version: string;
  ws: WebSocket | null;
  room: string | null;
  /** The Talk session id given on room join. */
  talkSessionId: string;
  /** The room's properties as Talk gave them on join. */
  properties: Json;
  inCall: number;
  timer: NodeJS.Timeout | null;
  /** Messages for a dropped connection, delivered on resume. */
  pending: string[];
  closed: boolean;
}

export interface HubMetrics {
  sessionsTotal: Counter<'backend' | 'clienttype'>;
  resumed: Counter<'backend' | 'clienttype'>;
  resumeFailed: Counter;
  backendRequests: Counter<'backend'>;
  backendDuration: Histogram<'backend'>;
  backendErrors: Counter<'backend' | 'error'>;
  messages: Counter<'type'>;
  roomRequests: Counter<'type' | 'result'>;
  fanout: Counter;
}

export interface HubLimits {
  readonly secret: string;
  readonly helloV2: boolean;
  readonly helloTimeoutMs: number;
  readonly roomJoinTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly resumeMs: number;
  readonly backendTimeoutMs: number;
}

/** The hub's state and its ways to deliver; one per emulator. */
export interface Hub {
  readonly backend: string;
  readonly opts: HubLimits;
  readonly faults: HpbFaults;
  readonly m: HubMetrics;
  readonly sessions: Map<string, HubSession>;
  readonly byResume: Map<string, HubSession>;
  /**
   * Sessions in a room by their Talk session id: a join with an id in use ends the sessions that
   * hold it (one at most, unless two joins with the same id raced), found without a scan of all.
   */
  readonly byTalkSession: Map<string, Set<HubSession>>;
  readonly rooms: Map<string, Set<HubSession>>;
}

/** One serialisation for every recipient (a call of n sessions gets n copies per change). */
export function fanout(hub: Hub, targets: Iterable<HubSession> | undefined, message: Json): void {
  if (!targets) return;
  const list = [...targets];
  if (list.length === 0) return;
  const text = JSON.stringify(message);
  const deliver = (): void => {
    for (const s of list) sendText(s, text);
    hub.m.fanout.inc(list.length);
  };
  const delay = hub.faults.fanoutDelayMs ?? 0;
  if (delay > 0) setTimeout(deliver, delay).unref();
  else deliver();
}

export function send(s: HubSession, message: Json): void {
  sendText(s, JSON.stringify(message));
}

export function sendText(s: HubSession, text: string): void {
  if (s.ws && s.ws.readyState === s.ws.OPEN) s.ws.send(text);
  else if (!s.ws && !s.closed && s.pending.length < 1000) s.pending.push(text);
}

/** Out of its room here (no request to Talk); the others learn that it left. */
export function leaveLocally(hub: Hub, s: HubSession): void {
  const roomId = s.room;
  if (roomId === null) return;
  const members = hub.rooms.get(roomId);
  members?.delete(s);
  if (members && members.size === 0) hub.rooms.delete(roomId);
  untrackTalkSession(hub, s);
  s.room = null;
  s.talkSessionId = '';
  s.inCall = 0;
  fanout(hub, members, { type: 'event', event: { target: 'room', type: 'leave', leave: [s.id] } });
}

/** Indexes a session under the Talk session id it joined with. */
export function trackTalkSession(hub: Hub, s: HubSession): void {
  if (s.talkSessionId === '') return;
  let set = hub.byTalkSession.get(s.talkSessionId);
  if (!set) hub.byTalkSession.set(s.talkSessionId, (set = new Set()));
  set.add(s);
}

function untrackTalkSession(hub: Hub, s: HubSession): void {
  const set = hub.byTalkSession.get(s.talkSessionId);
  if (!set) return;
  set.delete(s);
  if (set.size === 0) hub.byTalkSession.delete(s.talkSessionId);
}

/** The session is over: no timer, not found by id or resume id any more. */
export function forget(hub: Hub, s: HubSession): void {
  s.closed = true;
  if (s.timer) clearTimeout(s.timer);
  s.timer = null;
  hub.sessions.delete(s.id);
  hub.byResume.delete(s.resumeId);
}

/** A room event's session: `roomsessionid` is the Talk session id. */
export function entryOf(s: HubSession): Json {
  const e: Json = { sessionid: s.id, userid: s.userId };
  if (Object.keys(s.user).length > 0) e['user'] = s.user;
  e['roomsessionid'] = s.talkSessionId;
  return e;
}
