// The one catalogue of the Talk call flow (reference sections 1, 2, 7 and 8; where docs and code
// disagree, the code's behaviour is listed). The k6 client, the prober, the simulator and the docs
// all read this file. Runtime-neutral: no k6, no node: imports.

import type { BruteForceAction } from './constants.ts';

export const OCS_BASE = '/ocs/v2.php';
export const TALK_BASE = `${OCS_BASE}/apps/spreed/api`;

export const ENDPOINT_IDS = [
  'capabilities',
  'room_list',
  'room_create',
  'room_get',
  'room_delete',
  'room_rename',
  'room_description',
  'room_public',
  'room_private',
  'room_lobby',
  'room_read_only',
  'room_join',
  'room_leave',
  'room_add_participant',
  'room_participants',
  'room_promote',
  'room_demote',
  'room_remove_attendee',
  'room_remove_self',
  'room_password',
  'room_session_state',
  'room_default_permissions',
  'room_attendee_permissions',
  'guest_name',
  'signaling_settings',
  'signaling_poll',
  'signaling_send',
  'signaling_backend',
  'call_peers',
  'call_join',
  'call_flags',
  'call_ring',
  'call_leave',
  'chat_send',
  'chat_receive',
] as const;
export type EndpointId = (typeof ENDPOINT_IDS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** How an answer is wrapped: the OCS envelope, or the plain JSON of a security middleware. */
export type BodyShape = 'ocs' | 'plain-json';

export interface StatusDoc {
  readonly code: number;
  readonly reason: string;
  readonly shape: BodyShape;
}

export interface EndpointSpec {
  readonly id: EndpointId;
  readonly method: HttpMethod;
  /** Path from the origin; `{token}` and `{attendeeId}` are placeholders. */
  readonly path: string;
  readonly apiVersion: 'v1' | 'v3' | 'v4' | 'core';
  /** `#[PublicPage]`: callable without credentials (guests). */
  readonly guestAllowed: boolean;
  /** Brute-force actions whose delay the server sleeps before the controller runs. */
  readonly bruteForce: readonly BruteForceAction[];
  /** Statuses that mean "worked as asked". */
  readonly success: readonly number[];
  /** Every status the endpoint is documented (or seen in code) to answer with. */
  readonly statuses: readonly StatusDoc[];
  /** Value of k6's `name` tag and of the prober's `endpoint` label. */
  readonly tag: EndpointId;
  /** One line for docs and reports. */
  readonly summary: string;
}

const csrf: StatusDoc = {
  code: 412,
  reason: 'CSRF check failed: request without `OCS-APIRequest: true` (plain JSON `{"message":"CSRF check failed"}`)',
  shape: 'plain-json',
};
const strictCookie: StatusDoc = {
  code: 412,
  reason:
    'strict cookie missing: request carries the session cookie but neither the OCS header nor the same-site cookies (plain JSON)',
  shape: 'plain-json',
};
const notLoggedIn: StatusDoc = { code: 401, reason: 'not logged in (guests); OCS statuscode 997', shape: 'ocs' };
const bruteForceMax: StatusDoc = {
  code: 429,
  reason: 'brute-force maximum reached for this client address (all virtual users share it)',
  shape: 'ocs',
};
const lobby: StatusDoc = { code: 412, reason: 'lobby is on and the caller is not a moderator', shape: 'ocs' };
const noSession: StatusDoc = {
  code: 404,
  reason: 'room unknown, caller not a participant, or no Talk session in this cookie jar',
  shape: 'ocs',
};
const oldClient: StatusDoc = { code: 426, reason: 'outdated Talk mobile/desktop User-Agent', shape: 'ocs' };

const s = (code: number, reason: string): StatusDoc => ({ code, reason, shape: 'ocs' });

/** Statuses every Talk controller method can give before the controller runs. */
const talkCommon: readonly StatusDoc[] = [csrf, strictCookie, oldClient];

const spec = (e: Omit<EndpointSpec, 'tag'>): EndpointSpec => Object.freeze({ ...e, tag: e.id });

export const ENDPOINTS: { readonly [K in EndpointId]: EndpointSpec } = Object.freeze({
  capabilities: spec({
    id: 'capabilities',
    method: 'GET',
    path: `${OCS_BASE}/cloud/capabilities`,
    apiVersion: 'core',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [s(200, 'capabilities; Talk block under `capabilities.spreed`'), csrf, strictCookie],
    summary: 'server and Talk capabilities',
  }),
  room_list: spec({
    id: 'room_list',
    method: 'GET',
    path: `${TALK_BASE}/v4/room`,
    apiVersion: 'v4',
    guestAllowed: false,
    bruteForce: [],
    success: [200],
    statuses: [s(200, "the caller's conversations"), notLoggedIn, ...talkCommon],
    summary: "list the caller's conversations",
  }),
  room_create: spec({
    id: 'room_create',
    method: 'POST',
    path: `${TALK_BASE}/v4/room`,
    apiVersion: 'v4',
    guestAllowed: false,
    bruteForce: [],
    success: [201, 200, 202],
    statuses: [
      s(201, 'conversation created'),
      s(200, 'one-to-one conversation already existed'),
      s(202, 'created, some invitations invalid'),
      s(400, '`{error}`: type, name, password, object'),
      notLoggedIn,
      s(403, '`{error:"permissions"}` user may not create conversations'),
      s(404, '`{error:"invite"}` no valid invitee'),
      ...talkCommon,
    ],
    summary: 'create a conversation',
  }),
  room_get: spec({
    id: 'room_get',
    method: 'GET',
    path: `${TALK_BASE}/v4/room/{token}`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: ['talkRoomToken'],
    success: [200],
    statuses: [
      s(200, 'room object (`sessionId` "0" when not joined)'),
      s(401, 'SIP bridge checksum failure'),
      s(404, 'unknown or inaccessible room; brute-force attempt registered'),
      bruteForceMax,
      ...talkCommon,
    ],
    summary: 'get one conversation',
  }),
  room_delete: spec({
    id: 'room_delete',
    method: 'DELETE',
    path: `${TALK_BASE}/v4/room/{token}`,
    apiVersion: 'v4',
    // #[PublicPage] with a moderator check: a guest gets 403, not 401.
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'deleted'),
      s(400, 'conversation type cannot be deleted'),
      s(403, 'not a moderator (guests too)'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'delete a conversation',
  }),
  room_rename: spec({
    id: 'room_rename',
    method: 'PUT',
    path: `${TALK_BASE}/v4/room/{token}`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'renamed (`roomName`, trimmed)'),
      s(400, 'blank or longer than 255 characters, or a one-to-one conversation'),
      s(403, 'not a moderator (guests too: the route is public with a moderator check)'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'rename a conversation',
  }),
  room_description: spec({
    id: 'room_description',
    method: 'PUT',
    path: `${TALK_BASE}/v4/room/{token}/description`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'description set (empty: removed)'),
      s(400, 'longer than 2000 characters, or a one-to-one conversation'),
      s(403, 'not a moderator (guests too)'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'set the conversation description',
  }),
  room_public: spec({
    id: 'room_public',
    method: 'POST',
    path: `${TALK_BASE}/v4/room/{token}/public`,
    apiVersion: 'v4',
    guestAllowed: false,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'room is public'),
      s(400, '`{error}`: type, breakout-room, value, password'),
      notLoggedIn,
      s(403, 'not a moderator'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'make a conversation public (guests can join)',
  }),
  room_private: spec({
    id: 'room_private',
    method: 'DELETE',
    path: `${TALK_BASE}/v4/room/{token}/public`,
    apiVersion: 'v4',
    guestAllowed: false,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'room is private'),
      s(400, '`{error}`: type, breakout-room'),
      notLoggedIn,
      s(403, 'not a moderator'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'make a conversation private',
  }),
  room_lobby: spec({
    id: 'room_lobby',
    method: 'PUT',
    path: `${TALK_BASE}/v4/room/{token}/webinar/lobby`,
    apiVersion: 'v4',
    guestAllowed: false,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'lobby state set; enabling it disconnects non-moderators from the call'),
      s(400, '`{error}`: type, value, breakout-room, object (bad timer)'),
      notLoggedIn,
      s(403, 'not a moderator'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'set the lobby',
  }),
  room_read_only: spec({
    id: 'room_read_only',
    method: 'PUT',
    path: `${TALK_BASE}/v4/room/{token}/read-only`,
    apiVersion: 'v4',
    guestAllowed: false,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'read-only state set; read-only disconnects everyone from the call'),
      s(400, '`{error}`: type, value'),
      notLoggedIn,
      s(403, 'not a moderator'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'set read-only',
  }),
  room_join: spec({
    id: 'room_join',
    method: 'POST',
    path: `${TALK_BASE}/v4/room/{token}/participants/active`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: ['talkRoomPassword', 'talkRoomToken'],
    success: [200],
    statuses: [
      s(200, 'joined: room object with the new `sessionId`'),
      s(403, '`{error:"password"}` missing or wrong password (attempt registered), or `{error:"ban"}`'),
      s(404, 'unknown token or a room the caller may not self-join; attempt registered'),
      s(409, '`force=false` while this cookie jar already has a session in the call'),
      bruteForceMax,
      ...talkCommon,
    ],
    summary: 'join a conversation (creates the Talk session)',
  }),
  room_leave: spec({
    id: 'room_leave',
    method: 'DELETE',
    path: `${TALK_BASE}/v4/room/{token}/participants/active`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [s(200, 'left (always, even with nothing to leave)'), ...talkCommon],
    summary: 'leave a conversation',
  }),
  room_add_participant: spec({
    id: 'room_add_participant',
    method: 'POST',
    path: `${TALK_BASE}/v4/room/{token}/participants`,
    apiVersion: 'v4',
    guestAllowed: false,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'added (also when already a participant)'),
      s(400, 'bad source or conversation type'),
      notLoggedIn,
      s(403, 'not a moderator'),
      s(404, 'unknown user, or caller not a participant'),
      ...talkCommon,
    ],
    summary: 'add a user to a conversation (how ring targets get in)',
  }),
  room_participants: spec({
    id: 'room_participants',
    method: 'GET',
    path: `${TALK_BASE}/v4/room/{token}/participants`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'participant list; stale sessions (100 s) are expired as a side effect'),
      s(403, 'caller is a plain guest'),
      noSession,
      lobby,
      ...talkCommon,
    ],
    summary: 'list conversation participants',
  }),
  room_promote: spec({
    id: 'room_promote',
    method: 'POST',
    path: `${TALK_BASE}/v4/room/{token}/moderators`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'promoted: a user to moderator (2), a guest to guest moderator (6)'),
      s(400, 'already a moderator, or a type that cannot be promoted (self-joined user, group)'),
      s(403, 'caller not a moderator, or promoting itself'),
      s(404, 'attendee unknown in this conversation, or caller not a participant'),
      ...talkCommon,
    ],
    summary: 'promote an attendee to moderator (`attendeeId`)',
  }),
  room_demote: spec({
    id: 'room_demote',
    method: 'DELETE',
    path: `${TALK_BASE}/v4/room/{token}/moderators`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'demoted: moderator to user (3), guest moderator to guest (4)'),
      s(400, 'not a moderator, or the owner'),
      s(403, 'caller not a moderator, or demoting itself'),
      s(404, 'attendee unknown in this conversation, or caller not a participant'),
      ...talkCommon,
    ],
    summary: 'demote a moderator (`attendeeId`)',
  }),
  room_remove_attendee: spec({
    id: 'room_remove_attendee',
    method: 'DELETE',
    path: `${TALK_BASE}/v4/room/{token}/attendees`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'removed: its sessions end at once (out of the call, requests 404)'),
      s(400, 'one-to-one conversation, or the last moderator removing itself'),
      s(403, 'caller not a moderator, or the target is the owner'),
      s(404, 'attendee unknown in this conversation, or caller not a participant'),
      ...talkCommon,
    ],
    summary: 'remove an attendee (`attendeeId`)',
  }),
  room_remove_self: spec({
    id: 'room_remove_self',
    method: 'DELETE',
    path: `${TALK_BASE}/v4/room/{token}/participants/self`,
    apiVersion: 'v4',
    guestAllowed: false,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'the user left the conversation for good (the lobby does not hold this)'),
      s(400, 'the last moderator while other users remain'),
      notLoggedIn,
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'a user removes itself from a conversation',
  }),
  room_password: spec({
    id: 'room_password',
    method: 'PUT',
    path: `${TALK_BASE}/v4/room/{token}/password`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'password set (empty: removed)'),
      s(400, 'the password policy refused it (`{message}`)'),
      s(403, 'caller not a moderator, or the conversation is not public'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'set or remove the conversation password',
  }),
  room_session_state: spec({
    id: 'room_session_state',
    method: 'PUT',
    path: `${TALK_BASE}/v4/room/{token}/participants/state`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [s(200, 'session state set (0 inactive, 1 active)'), s(400, 'state other than 0 or 1'), noSession, ...talkCommon],
    summary: "set this session's state (active or inactive)",
  }),
  room_default_permissions: spec({
    id: 'room_default_permissions',
    method: 'PUT',
    path: `${TALK_BASE}/v4/room/{token}/permissions/default`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'default permissions set (custom bit added; attendee permissions reset): room object'),
      s(400, 'one-to-one conversation, or permissions out of 0-255'),
      s(403, 'caller not a moderator'),
      s(404, 'not a participant'),
      ...talkCommon,
    ],
    summary: 'set the default permissions of a conversation',
  }),
  room_attendee_permissions: spec({
    id: 'room_attendee_permissions',
    method: 'PUT',
    path: `${TALK_BASE}/v4/room/{token}/attendees/permissions`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'attendee permissions changed (`method` set, add or remove)'),
      s(400, 'target is a moderator, bad method, permissions out of range, one-to-one'),
      s(403, 'caller not a moderator'),
      s(404, 'attendee unknown, or caller not a participant'),
      ...talkCommon,
    ],
    summary: "change one attendee's permissions (`attendeeId`, `method`, `permissions`)",
  }),
  guest_name: spec({
    id: 'guest_name',
    method: 'POST',
    path: `${TALK_BASE}/v1/guest/{token}/name`,
    apiVersion: 'v1',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [s(200, 'name set'), s(403, 'caller is not a guest'), noSession, ...talkCommon],
    summary: 'set the guest display name',
  }),
  signaling_settings: spec({
    id: 'signaling_settings',
    method: 'GET',
    path: `${TALK_BASE}/v3/signaling/settings`,
    apiVersion: 'v3',
    guestAllowed: true,
    bruteForce: ['talkRoomToken'],
    success: [200],
    statuses: [
      s(200, 'signaling mode, STUN/TURN servers, ticket'),
      s(401, 'bad recording-backend checksum'),
      s(404, 'room not found; attempt registered'),
      bruteForceMax,
      ...talkCommon,
    ],
    summary: 'signaling settings for a room',
  }),
  signaling_poll: spec({
    id: 'signaling_poll',
    method: 'GET',
    path: `${TALK_BASE}/v3/signaling/{token}`,
    apiVersion: 'v3',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'messages and `usersInRoom`; held up to 30 s; refreshes `lastPing`'),
      s(400, 'internal signaling disabled (an HPB is configured)'),
      s(404, 'no Talk session in this cookie jar, user removed, or room deleted'),
      s(409, 'session killed (e.g. by a second join from the same cookie jar)'),
      ...talkCommon,
    ],
    summary: 'internal signaling long-poll (the ping)',
  }),
  signaling_send: spec({
    id: 'signaling_send',
    method: 'POST',
    path: `${TALK_BASE}/v3/signaling/{token}`,
    apiVersion: 'v3',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [s(200, 'messages queued'), s(400, 'internal signaling disabled'), ...talkCommon],
    summary: 'internal signaling send',
  }),
  signaling_backend: spec({
    id: 'signaling_backend',
    method: 'POST',
    path: `${TALK_BASE}/v3/signaling/backend`,
    apiVersion: 'v3',
    guestAllowed: true,
    bruteForce: ['talkSignalingSecret'],
    success: [200],
    statuses: [
      s(200, 'HPB backend request answered; failures too, as `{type:"error"}` data (a bad checksum registers an attempt)'),
      bruteForceMax,
      ...talkCommon,
    ],
    summary: "the HPB's backend requests: auth, room join/leave, ping batches",
  }),
  call_peers: spec({
    id: 'call_peers',
    method: 'GET',
    path: `${TALK_BASE}/v4/call/{token}`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'sessions in the call pinged within 30 s'),
      s(403, 'read-only conversation, or calls disabled'),
      noSession,
      lobby,
      ...talkCommon,
    ],
    summary: 'list the peers in the call',
  }),
  call_join: spec({
    id: 'call_join',
    method: 'POST',
    path: `${TALK_BASE}/v4/call/{token}`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'in the call'),
      s(400, '`{error}`: flags out of range, consent, type, session'),
      s(403, 'read-only, calls disabled, or may not start a call and none runs'),
      noSession,
      lobby,
      ...talkCommon,
    ],
    summary: 'join the call with flags',
  }),
  call_flags: spec({
    id: 'call_flags',
    method: 'PUT',
    path: `${TALK_BASE}/v4/call/{token}`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'flags updated'),
      s(400, 'not in the call, new flags without the in-call bit, or flags out of range'),
      noSession,
      ...talkCommon,
    ],
    summary: 'update in-call flags',
  }),
  call_ring: spec({
    id: 'call_ring',
    method: 'POST',
    path: `${TALK_BASE}/v4/call/{token}/ring/{attendeeId}`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [
      s(200, 'rung (or target already in the call: nothing sent)'),
      s(400, '`{error}`: in-call (no call, or caller not in it), actor-type, status (DND)'),
      s(403, 'caller lacks the start-call permission, or calls disabled'),
      s(404, 'attendee unknown or in another room; caller not a participant'),
      ...talkCommon,
    ],
    summary: 'ring an attendee',
  }),
  call_leave: spec({
    id: 'call_leave',
    method: 'DELETE',
    path: `${TALK_BASE}/v4/call/{token}`,
    apiVersion: 'v4',
    guestAllowed: true,
    bruteForce: [],
    success: [200],
    statuses: [s(200, 'left the call (`all` ends it for everyone when a moderator asks)'), noSession, ...talkCommon],
    summary: 'leave the call',
  }),
  chat_send: spec({
    id: 'chat_send',
    method: 'POST',
    path: `${TALK_BASE}/v1/chat/{token}`,
    apiVersion: 'v1',
    guestAllowed: true,
    bruteForce: [],
    success: [201],
    statuses: [
      s(201, 'message posted: the message object'),
      s(400, 'empty message, or a bad reply target'),
      s(403, 'read-only conversation, or no chat permission'),
      noSession,
      lobby,
      s(413, 'message longer than 32,000 characters'),
      ...talkCommon,
    ],
    summary: 'post a chat message',
  }),
  chat_receive: spec({
    id: 'chat_receive',
    method: 'GET',
    path: `${TALK_BASE}/v1/chat/{token}`,
    apiVersion: 'v1',
    guestAllowed: true,
    bruteForce: [],
    success: [200, 304],
    statuses: [
      s(200, 'messages (with `lookIntoFuture=1`: new ones, held up to `timeout` s until one comes)'),
      s(304, 'no new message within `timeout` (empty body)'),
      noSession,
      lobby,
      ...talkCommon,
    ],
    summary: 'chat messages; with `lookIntoFuture=1` a long-poll that holds a PHP worker',
  }),
});

/** Long-polls: held by the server until something happens (up to 30 s), so their latency is no measure. */
export const HELD_ENDPOINT_IDS: readonly EndpointId[] = ['signaling_poll', 'chat_receive'];

/** The five endpoints of the call itself. */
export const CALL_ENDPOINT_IDS = ['call_peers', 'call_join', 'call_flags', 'call_ring', 'call_leave'] as const;

export function isEndpointId(value: string): value is EndpointId {
  return (ENDPOINT_IDS as readonly string[]).includes(value);
}

/** The distinct documented status codes of an endpoint, ascending. */
export function documentedCodes(id: EndpointId): readonly number[] {
  return [...new Set(ENDPOINTS[id].statuses.map((d) => d.code))].sort((a, b) => a - b);
}

export function isDocumented(id: EndpointId, code: number): boolean {
  return ENDPOINTS[id].statuses.some((d) => d.code === code);
}

export interface PathParams {
  readonly token?: string;
  readonly attendeeId?: number | string;
}

// Each path template split once around its placeholders (literal, name, literal, ...): the k6
// client fills one on every request, where a regex replace per call shows in its CPU per request.
export const PATH_PARTS = {} as Record<EndpointId, readonly string[]>;
for (const id of ENDPOINT_IDS) PATH_PARTS[id] = ENDPOINTS[id].path.split(/\{(token|attendeeId)\}/);

/** Fills a path template. Throws on a missing placeholder: that is a programming error. */
export function buildPath(id: EndpointId, params: PathParams = {}): string {
  const parts = PATH_PARTS[id];
  let path = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i] as 'token' | 'attendeeId';
    const value = params[name];
    if (value === undefined || value === '') throw new Error(`endpoint ${id} needs path parameter ${name}`);
    path += encodeURIComponent(String(value)) + parts[i + 1]!;
  }
  return path;
}
