// The HPB's client protocol over WebSockets: welcome, hello (v1 ticket, v2 token, resume) within
// the hello limit, room join/leave with Talk's consent and the join/leave events, message relay,
// bye, and a dropped connection kept for a resume until the resume window ends.

import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { TalkBackend, Who } from './backend.ts';
import { BACKEND_LABEL, HPB_VERSION, type Hub, type HubSession, type Json, entryOf, fanout, forget, leaveLocally, obj, send, str, trackTalkSession } from './hub.ts';

/**
 * Session and resume ids as long as nextcloud-spreed-signaling's (288 characters of URL-safe
 * base64, as measured against v1.3.2, issue 27): every event that names a session carries one, so
 * their length is part of what each guest receives and reads.
 */
export const HPB_ID_LENGTH = 288;
const newId = (): string => randomBytes((HPB_ID_LENGTH / 4) * 3).toString('base64url');

export class Clients {
  private readonly hub: Hub;
  private readonly backend: TalkBackend;

  constructor(hub: Hub, backend: TalkBackend) {
    this.hub = hub;
    this.backend = backend;
  }

  private get features(): string[] {
    return this.hub.opts.helloV2 ? ['hello-v2', 'incall-all', 'welcome'] : ['incall-all', 'welcome'];
  }

  connected(ws: WebSocket): void {
    let session: HubSession | null = null;
    if (!this.hub.faults.noWelcome) ws.send(JSON.stringify({ type: 'welcome', welcome: { features: this.features, version: HPB_VERSION } }));
    // No hello in time: the connection is closed.
    let helloTimer: NodeJS.Timeout | null = setTimeout(() => {
      helloTimer = null;
      if (session) return;
      ws.send(JSON.stringify({ type: 'bye', bye: { reason: 'hello_timeout' } }));
      ws.close();
    }, this.hub.opts.helloTimeoutMs);
    let helloPending = false;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return errorTo(ws, undefined, 'invalid_format', 'Binary messages are not supported.');
      let msg: Json | null;
      try {
        msg = obj(JSON.parse(data.toString()));
      } catch {
        msg = null;
      }
      if (!msg) return errorTo(ws, undefined, 'invalid_format', 'The message could not be parsed.');
      const type = str(msg['type']);
      const id = typeof msg['id'] === 'string' ? msg['id'] : undefined;
      this.hub.m.messages.inc({ type: type === '' ? 'unknown' : type.slice(0, 16) });
      if (!session) {
        if (type !== 'hello') return errorTo(ws, id, 'hello_expected', 'Expected Hello request.');
        if (helloPending) return;
        helloPending = true;
        void this.hello(ws, id, obj(msg['hello']) ?? {}).then((s) => {
          helloPending = false;
          if (!s) return;
          session = s;
          if (helloTimer) clearTimeout(helloTimer);
          helloTimer = null;
        });
        return;
      }
      const s = session;
      switch (type) {
        case 'hello':
          return errorTo(ws, id, 'already_authenticated', 'The session is already authenticated.');
        case 'room':
          return void this.room(s, id, obj(msg['room']) ?? {});
        case 'message':
          return this.message(s, id, obj(msg['message']) ?? {});
        case 'bye':
          return void this.bye(s, id);
        default:
          return errorTo(ws, id, 'invalid_request', `Unsupported message type ${JSON.stringify(type)}.`);
      }
    });
    ws.on('close', () => {
      if (helloTimer) clearTimeout(helloTimer);
      const s = session;
      if (!s || s.closed || s.ws !== ws) return;
      // Kept for a resume; gone (and out of its room on Talk) when none comes in time.
      s.ws = null;
      if (s.timer) clearTimeout(s.timer);
      s.timer = setTimeout(() => void this.expire(s), this.hub.opts.resumeMs);
      s.timer.unref();
    });
    ws.on('error', () => undefined);
  }

  private async hello(ws: WebSocket, id: string | undefined, hello: Json): Promise<HubSession | null> {
    const { hub } = this;
    const version = str(hello['version']);
    const resumeId = str(hello['resumeid']);
    if (resumeId !== '') {
      const s = hub.byResume.get(resumeId);
      if (!s || s.closed) {
        hub.m.resumeFailed.inc();
        errorTo(ws, id, 'no_such_session', 'The session to resume does not exist.');
        return null;
      }
      if (s.ws && s.ws !== ws) s.ws.close(1000, 'resumed elsewhere');
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      s.ws = ws;
      hub.m.resumed.inc({ backend: BACKEND_LABEL, clienttype: 'client' });
      ws.send(JSON.stringify({ ...(id !== undefined ? { id } : {}), type: 'hello', hello: { sessionid: s.id, resumeid: s.resumeId, userid: s.userId, version: s.version } }));
      for (const text of s.pending.splice(0)) ws.send(text);
      return s;
    }
    if (version !== '1.0' && version !== '2.0') {
      errorTo(ws, id, 'invalid_hello_version', 'The hello version is not supported.');
      return null;
    }
    const auth = obj(hello['auth']) ?? {};
    const url = str(auth['url']);
    if (!this.backend.allowed(url)) {
      errorTo(ws, id, 'invalid_backend', 'The requested backend URL is not supported.');
      return null;
    }
    const params = obj(auth['params']) ?? {};
    let who: Who;
    if (version === '2.0') {
      if (!hub.opts.helloV2) {
        errorTo(ws, id, 'invalid_hello_version', 'The hello version is not supported.');
        return null;
      }
      who = await this.backend.checkToken(str(params['token']));
    } else {
      who = await this.backend.authV1(url, params);
    }
    if ('code' in who) {
      errorTo(ws, id, who.code, who.message);
      return null;
    }
    if (ws.readyState !== ws.OPEN) return null;
    const s: HubSession = { id: newId(), resumeId: newId(), userId: who.userId, user: who.user, version, ws, room: null, talkSessionId: '', properties: {}, inCall: 0, timer: null, pending: [], closed: false };
    hub.sessions.set(s.id, s);
    hub.byResume.set(s.resumeId, s);
    hub.m.sessionsTotal.inc({ backend: BACKEND_LABEL, clienttype: 'client' });
    ws.send(JSON.stringify({ ...(id !== undefined ? { id } : {}), type: 'hello', hello: { sessionid: s.id, resumeid: s.resumeId, userid: s.userId, version, server: { features: this.features, version: HPB_VERSION } } }));
    // Anonymous sessions must join a room in time.
    if (s.userId === '') this.armRoomTimer(s);
    return s;
  }

  private armRoomTimer(s: HubSession): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = null;
      if (s.room !== null || s.closed) return;
      send(s, { type: 'bye', bye: { reason: 'room_join_timeout' } });
      s.ws?.close();
      forget(this.hub, s);
    }, this.hub.opts.roomJoinTimeoutMs);
    s.timer.unref();
  }

  private async room(s: HubSession, id: string | undefined, room: Json): Promise<void> {
    const { hub } = this;
    const roomId = str(room['roomid']);
    const talkSessionId = str(room['sessionid']);
    const reply = (v: Json): void => send(s, { ...(id !== undefined ? { id } : {}), ...v });
    if (roomId !== '' && roomId === s.room) {
      return reply({ type: 'error', error: { code: 'already_joined', message: 'Already joined this room.', details: { room: { roomid: roomId, properties: s.properties } } } });
    }
    // A Talk session id already in use (by another connection, or by this one: a real server
    // kicks itself then too) ends that session: bye, closed, no leave sent to Talk. Then Talk
    // decides about the new join.
    if (talkSessionId !== '') {
      for (const other of [...(hub.byTalkSession.get(talkSessionId) ?? [])]) {
        send(other, { type: 'bye', bye: { reason: 'room_session_reconnected' } });
        other.ws?.close();
        leaveLocally(hub, other);
        forget(hub, other);
      }
      if (s.closed) return;
    }
    if (roomId === '') {
      await this.leave(s);
      reply({ type: 'room', room: { roomid: '' } });
      return;
    }
    const answer = await this.backend.request(this.backend.url, { type: 'room', room: { version: '1.0', roomid: roomId, userid: s.userId, sessionid: talkSessionId, action: 'join' } });
    if (s.closed) return;
    if (!answer) return reply({ type: 'error', error: { code: 'backend_error', message: 'The room could not be joined (backend unreachable).' } });
    if (answer['type'] === 'error') {
      const e = obj(answer['error']);
      return reply({ type: 'error', error: { code: str(e?.['code']) || 'no_such_room', message: str(e?.['message']) } });
    }
    const joined = obj(answer['room']) ?? {};
    // Only a join that Talk accepted leaves the previous room (a refused one changes nothing).
    if (s.room !== null) await this.leave(s);
    s.room = roomId;
    s.talkSessionId = talkSessionId;
    trackTalkSession(hub, s);
    s.properties = obj(joined['properties']) ?? {};
    if (s.timer && s.ws) {
      clearTimeout(s.timer);
      s.timer = null;
    }
    let members = hub.rooms.get(roomId);
    if (!members) hub.rooms.set(roomId, (members = new Set()));
    const others = [...members];
    members.add(s);
    reply({ type: 'room', room: { roomid: roomId, properties: obj(joined['properties']) ?? {} } });
    const closeAfter = hub.faults.closeAfterMs;
    if (closeAfter !== undefined) setTimeout(() => s.ws?.terminate(), closeAfter).unref();
    // The joiner learns everyone already in the room in one event, then itself; the others learn the
    // joiner. A real server (v1.3.2) batches the others so: in a room of n a joiner gets 2 messages, not n
    // (it sends the joiner's own event first now and then; clients must not rely on the order).
    if (others.length > 0) send(s, { type: 'event', event: { target: 'room', type: 'join', join: others.map(entryOf) } });
    const own = { type: 'event', event: { target: 'room', type: 'join', join: [entryOf(s)] } };
    send(s, own);
    fanout(hub, others, own);
  }

  /** Leaves the room here and on Talk (which removes a guest's Talk session). */
  private async leave(s: HubSession): Promise<void> {
    const roomId = s.room;
    if (roomId === null) return;
    const talkSessionId = s.talkSessionId;
    leaveLocally(this.hub, s);
    await this.backend.request(this.backend.url, { type: 'room', room: { version: '1.0', roomid: roomId, userid: s.userId, sessionid: talkSessionId, action: 'leave' } });
  }

  private message(s: HubSession, id: string | undefined, message: Json): void {
    const { hub } = this;
    const recipient = obj(message['recipient']) ?? {};
    const rtype = str(recipient['type']);
    const sender: Json = { type: rtype, sessionid: s.id };
    if (s.userId !== '') sender['userid'] = s.userId;
    let targets: HubSession[];
    switch (rtype) {
      case 'session': {
        const t = hub.sessions.get(str(recipient['sessionid']));
        targets = t ? [t] : [];
        break;
      }
      case 'user':
        targets = [...hub.sessions.values()].filter((t) => t.userId !== '' && t.userId === str(recipient['userid']) && t !== s);
        break;
      case 'room':
      case 'call':
        if (s.room === null) return errorTo(s.ws!, id, 'not_in_room', 'The session is not in a room.');
        targets = [...(hub.rooms.get(s.room) ?? [])].filter((t) => t !== s && (rtype === 'room' || (t.inCall & 1) !== 0));
        break;
      default:
        return errorTo(s.ws!, id, 'invalid_recipient_type', `Unsupported recipient type ${JSON.stringify(rtype)}.`);
    }
    fanout(hub, targets, { type: 'message', message: { sender, data: message['data'] ?? {} } });
  }

  private async bye(s: HubSession, id: string | undefined): Promise<void> {
    const ws = s.ws;
    send(s, { ...(id !== undefined ? { id } : {}), type: 'bye', bye: {} });
    s.closed = true;
    forget(this.hub, s);
    await this.leave(s);
    ws?.close(1000, 'bye');
  }

  private async expire(s: HubSession): Promise<void> {
    if (s.ws || s.closed) return;
    s.closed = true;
    forget(this.hub, s);
    await this.leave(s);
  }
}

function errorTo(ws: WebSocket, id: string | undefined, code: string, message: string): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(JSON.stringify({ ...(id !== undefined ? { id } : {}), type: 'error', error: { code, message } }));
}
