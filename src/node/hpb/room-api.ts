// The room API Talk calls on the HPB (`POST /api/v1/room/{roomid}`, signed with the shared secret):
// in-call and participant changes fanned out as `participants/update` events, disinvites, deletes,
// property updates, invites and room messages.

import type { IncomingMessage } from 'node:http';
import { BACKEND_HEADER, CHECKSUM_HEADER, RANDOM_HEADER, checksumValid } from './signed.ts';
import { type Hub, type HubSession, type Json, fanout, leaveLocally, obj, send, str, trimSlash } from './hub.ts';

/** The answer of the room API to one request: status and JSON body. */
export interface RoomApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

const error = (status: number, code: string, message: string): RoomApiAnswer => ({ status, body: { type: 'error', error: { code, message } } });

/** One signed request of Talk about room `roomId`, its body read. */
export function roomApi(hub: Hub, req: IncomingMessage, roomId: string, body: string): RoomApiAnswer {
  const h = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (!checksumValid(hub.opts.secret, h(RANDOM_HEADER), h(CHECKSUM_HEADER), body)) {
    hub.m.roomRequests.inc({ type: 'unknown', result: 'invalid_checksum' });
    return error(403, 'invalid_checksum', 'The checksum is not valid.');
  }
  const from = h(BACKEND_HEADER);
  if (from !== undefined && trimSlash(from) !== hub.backend) {
    hub.m.roomRequests.inc({ type: 'unknown', result: 'invalid_backend' });
    return error(403, 'invalid_backend', 'The backend is not allowed.');
  }
  let msg: Json | null = null;
  try {
    msg = obj(JSON.parse(body));
  } catch {
    msg = null;
  }
  const type = str(msg?.['type']);
  if (!msg || type === '') {
    hub.m.roomRequests.inc({ type: 'unknown', result: 'invalid_request' });
    return error(400, 'invalid_request', 'The request could not be parsed.');
  }
  const ok = roomRequest(hub, roomId, type, obj(msg[type]) ?? {});
  hub.m.roomRequests.inc({ type, result: ok ? 'ok' : 'unknown_type' });
  if (!ok) return error(400, 'unknown_type', `Unsupported type ${JSON.stringify(type)}.`);
  return { status: 200, body: {} };
}

/** A notification from Talk about one room; false for a type the emulator does not know. */
function roomRequest(hub: Hub, roomId: string, type: string, body: Json): boolean {
  const members = hub.rooms.get(roomId);
  switch (type) {
    case 'incall':
    case 'participants': {
      if (body['all'] === true) {
        const incall = typeof body['incall'] === 'number' ? body['incall'] : 0;
        for (const s of members ?? []) s.inCall = incall;
        fanout(hub, members, { type: 'event', event: { target: 'participants', type: 'update', update: { roomid: roomId, incall, all: true } } });
        return true;
      }
      const byTalk = new Map<string, HubSession>();
      for (const s of members ?? []) if (s.talkSessionId !== '') byTalk.set(s.talkSessionId, s);
      const changed = Array.isArray(body['changed']) ? body['changed'] : [];
      for (const e of changed) {
        const entry = obj(e);
        const s = byTalk.get(str(entry?.['sessionId']));
        if (s && typeof entry?.['inCall'] === 'number') s.inCall = entry['inCall'];
      }
      // As a real server (v1.3.2) sends it: Talk's `users`, then the `changed` ones not among them
      // (a session that just left the call), with Talk session ids replaced by the HPB's. Sessions
      // without an HPB session in this room (a caller that never said hello) are left out, and
      // when none is left nothing is sent (seen against v1.3.2: a room whose only caller is not on
      // the HPB gets no event at all).
      const users = Array.isArray(body['users']) ? [...body['users']] : [];
      const listed = new Set(users.map((e) => str(obj(e)?.['sessionId'])));
      for (const e of changed) if (!listed.has(str(obj(e)?.['sessionId']))) users.push(e);
      const mapped: Json[] = [];
      for (const e of users) {
        const entry = obj(e);
        const s = entry ? byTalk.get(str(entry['sessionId'])) : undefined;
        if (s) mapped.push({ ...entry, sessionId: s.id });
      }
      if (mapped.length > 0) fanout(hub, members, { type: 'event', event: { target: 'participants', type: 'update', update: { roomid: roomId, users: mapped } } });
      return true;
    }
    case 'disinvite': {
      const sessionIds = new Set((Array.isArray(body['sessionids']) ? body['sessionids'] : []).map(str));
      const userIds = new Set((Array.isArray(body['userids']) ? body['userids'] : []).map(str));
      for (const s of [...(members ?? [])]) {
        if (sessionIds.has(s.talkSessionId) || (s.userId !== '' && userIds.has(s.userId))) removedByBackend(hub, s, roomId, 'disinvited');
      }
      return true;
    }
    case 'delete':
      for (const s of [...(members ?? [])]) removedByBackend(hub, s, roomId, 'deleted');
      return true;
    case 'update':
      fanout(hub, members, { type: 'room', room: { roomid: roomId, properties: obj(body['properties']) ?? {} } });
      return true;
    case 'invite': {
      const userIds = new Set((Array.isArray(body['userids']) ? body['userids'] : []).map(str));
      const targets = [...hub.sessions.values()].filter((s) => s.userId !== '' && userIds.has(s.userId));
      fanout(hub, targets, { type: 'event', event: { target: 'roomlist', type: 'invite', invite: { roomid: roomId, properties: obj(body['properties']) ?? {} } } });
      return true;
    }
    case 'message':
      fanout(hub, members, { type: 'event', event: { target: 'room', type: 'message', message: { roomid: roomId, data: body['data'] ?? {} } } });
      return true;
    default:
      return false;
  }
}

/** Talk removed the session from the room: it leaves here without asking Talk again. */
function removedByBackend(hub: Hub, s: HubSession, roomId: string, reason: string): void {
  send(s, { type: 'event', event: { target: 'roomlist', type: 'disinvite', disinvite: { reason, roomid: roomId } } });
  leaveLocally(hub, s);
}
