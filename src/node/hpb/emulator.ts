// An HPB emulator: the subset of the standalone signaling server's client protocol that a Talk call
// uses (welcome, hello v1/v2, resume, room join/leave with events, participants/update fan-out,
// message relay, bye, the 2 s / 10 s time limits), the room API Talk notifies, and the keep-alive
// ping batches to Talk. Written from the public protocol documentation (docs/standalone-signaling-api-v1.md)
// and Talk's behaviour; no code of the real server. Metrics use the real server's names for what is here.

import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Agent, request } from 'undici';
import { WebSocketServer, type WebSocket } from 'ws';
import { Hpb } from '../../shared/constants.ts';
import { listenHttp } from '../listen.ts';
import { BACKEND_HEADER, CHECKSUM_HEADER, RANDOM_HEADER, checksumValid, postSigned, unwrapOcs } from './signed.ts';

export const HPB_VERSION = 'talkload-hpb-emulator';

export interface HpbFaults {
  /** Send no ping batches to Talk (its sessions then drop out of `GET /call` after 30 s). */
  dropPings?: boolean;
  /** Delay every event fan-out by this many ms. */
  fanoutDelayMs?: number;
  /** Drop each client's connection (no close frame) this many ms after it joined a room. */
  closeAfterMs?: number;
}

export class HpbFaultError extends Error {}

/** `drop-pings`, `fanout-delay:MS`, `close:MS` (repeatable, or ';'-separated). */
export function parseHpbFaults(specs: readonly string[]): HpbFaults {
  const faults: HpbFaults = {};
  const ms = (v: string | undefined, what: string): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isInteger(n) || n < 0 || n > 600_000) throw new HpbFaultError(`${what} needs milliseconds 0-600000, got "${v ?? ''}"`);
    return n;
  };
  for (const spec of specs.flatMap((s) => s.split(';')).map((s) => s.trim()).filter(Boolean)) {
    const [name, arg] = spec.split(':', 2);
    if (name === 'drop-pings' && arg === undefined) faults.dropPings = true;
    else if (name === 'fanout-delay') faults.fanoutDelayMs = ms(arg, 'fanout-delay');
    else if (name === 'close') faults.closeAfterMs = ms(arg, 'close');
    else throw new HpbFaultError(`unknown HPB fault "${spec}" (drop-pings, fanout-delay:MS, close:MS)`);
  }
  return faults;
}

export interface HpbOptions {
  /** Nextcloud base URL (the one backend this emulator serves). */
  readonly backend: string;
  readonly secret: string;
  /** Offer `hello-v2` in the features (default true); without it clients use the v1 ticket. */
  readonly helloV2?: boolean;
  readonly helloTimeoutMs?: number;
  readonly roomJoinTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly resumeMs?: number;
  readonly backendTimeoutMs?: number;
  readonly faults?: HpbFaults;
}

interface HubSession {
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

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const trimSlash = (u: string): string => u.replace(/\/+$/, '');
/**
 * Session and resume ids as long as nextcloud-spreed-signaling's (288 characters of URL-safe
 * base64, as measured against v1.3.2, issue 27): every event that names a session carries one, so
 * their length is part of what each guest receives and reads.
 */
export const HPB_ID_LENGTH = 288;
const newId = (): string => randomBytes((HPB_ID_LENGTH / 4) * 3).toString('base64url');
const BACKEND_LABEL = 'default';

export class HpbEmulator {
  readonly server: Server;
  readonly registry = new Registry();
  /** The Nextcloud base URL; may be set after construction (the simulator listens first or last). */
  backend: string;
  faults: HpbFaults;
  private readonly opts: Required<Omit<HpbOptions, 'faults' | 'backend'>>;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  private readonly sessions = new Map<string, HubSession>();
  private readonly byResume = new Map<string, HubSession>();
  private readonly rooms = new Map<string, Set<HubSession>>();
  private readonly pingTimer: NodeJS.Timeout;
  private pinging = false;
  private capabilities: { key: KeyObject | null; limit: number; atMs: number } | null = null;
  private readonly m: {
    sessionsTotal: Counter<'backend' | 'clienttype'>;
    resumed: Counter<'backend' | 'clienttype'>;
    resumeFailed: Counter;
    backendRequests: Counter<'backend'>;
    backendDuration: Histogram<'backend'>;
    backendErrors: Counter<'backend' | 'error'>;
    messages: Counter<'type'>;
    roomRequests: Counter<'type' | 'result'>;
    fanout: Counter;
  };

  constructor(opts: HpbOptions) {
    this.backend = trimSlash(opts.backend);
    this.faults = { ...opts.faults };
    this.opts = {
      secret: opts.secret,
      helloV2: opts.helloV2 ?? true,
      helloTimeoutMs: opts.helloTimeoutMs ?? Hpb.helloTimeoutSeconds * 1000,
      roomJoinTimeoutMs: opts.roomJoinTimeoutMs ?? Hpb.roomJoinTimeoutSeconds * 1000,
      pingIntervalMs: opts.pingIntervalMs ?? Hpb.pingIntervalSeconds * 1000,
      resumeMs: opts.resumeMs ?? Hpb.resumeSeconds * 1000,
      backendTimeoutMs: opts.backendTimeoutMs ?? 10_000,
    };
    const registers = [this.registry];
    const self = this;
    new Gauge({ name: 'signaling_hub_sessions', help: 'The current number of sessions per backend', labelNames: ['backend', 'clienttype'] as const, registers, collect() { this.set({ backend: BACKEND_LABEL, clienttype: 'client' }, self.sessions.size); } });
    new Gauge({ name: 'signaling_hub_rooms', help: 'The current number of rooms per backend', labelNames: ['backend'] as const, registers, collect() { this.set({ backend: BACKEND_LABEL }, self.rooms.size); } });
    new Gauge({
      name: 'signaling_room_sessions',
      help: 'The current number of sessions in a room',
      labelNames: ['backend', 'room', 'clienttype'] as const,
      registers,
      collect() {
        this.reset();
        for (const [room, set] of self.rooms) this.set({ backend: BACKEND_LABEL, room, clienttype: 'client' }, set.size);
      },
    });
    this.m = {
      sessionsTotal: new Counter({ name: 'signaling_hub_sessions_total', help: 'The total number of sessions per backend', labelNames: ['backend', 'clienttype'] as const, registers }),
      resumed: new Counter({ name: 'signaling_hub_sessions_resume_total', help: 'The total number of resumed sessions per backend', labelNames: ['backend', 'clienttype'] as const, registers }),
      resumeFailed: new Counter({ name: 'signaling_hub_sessions_resume_failed_total', help: 'The total number of failed session resume requests', registers }),
      backendRequests: new Counter({ name: 'signaling_backend_client_requests_total', help: 'The total number of backend client requests', labelNames: ['backend'] as const, registers }),
      backendDuration: new Histogram({ name: 'signaling_backend_client_requests_duration', help: 'The duration of backend client requests in seconds', labelNames: ['backend'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
      backendErrors: new Counter({ name: 'signaling_backend_client_requests_errors_total', help: 'The total number of backend client requests that had an error', labelNames: ['backend', 'error'] as const, registers }),
      messages: new Counter({ name: 'signaling_server_messages_total', help: 'The total number of signaling messages', labelNames: ['type'] as const, registers }),
      // Not in the real server: what Talk notified, and events fanned out (emulator only).
      roomRequests: new Counter({ name: 'talkhpb_room_requests_total', help: 'Room API requests from Talk, by type and result (emulator only).', labelNames: ['type', 'result'] as const, registers }),
      fanout: new Counter({ name: 'talkhpb_fanout_messages_total', help: 'Event messages sent to clients (emulator only).', registers }),
    };
    this.server = createServer((req, res) => {
      this.http(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.pingTimer = setInterval(() => void this.pingAll(), this.opts.pingIntervalMs);
    this.pingTimer.unref();
  }

  listen(port: number, host: string): Promise<string> {
    return listenHttp(this.server, port, host);
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    for (const s of this.sessions.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.ws?.terminate();
    }
    this.sessions.clear();
    this.rooms.clear();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.agent.close();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  // ---- HTTP: welcome, metrics, the room API --------------------------------------------------------

  private async http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const json = (status: number, v: unknown): void => {
      const body = JSON.stringify(v);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method === 'GET' && path === '/api/v1/welcome') return json(200, { 'nextcloud-spreed-signaling': 'Welcome', version: HPB_VERSION });
    if (req.method === 'GET' && path === '/metrics') {
      const text = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType });
      res.end(text);
      return;
    }
    const m = /^\/api\/v1\/room\/([^/]+)$/.exec(path);
    if (!m) return json(404, { type: 'error', error: { code: 'not_found', message: 'Not found.' } });
    if (req.method !== 'POST') return json(405, { type: 'error', error: { code: 'method_not_allowed', message: 'Only POST.' } });
    const body = await readBody(req);
    const h = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if (!checksumValid(this.opts.secret, h(RANDOM_HEADER), h(CHECKSUM_HEADER), body)) {
      this.m.roomRequests.inc({ type: 'unknown', result: 'invalid_checksum' });
      return json(403, { type: 'error', error: { code: 'invalid_checksum', message: 'The checksum is not valid.' } });
    }
    const from = h(BACKEND_HEADER);
    if (from !== undefined && trimSlash(from) !== this.backend) {
      this.m.roomRequests.inc({ type: 'unknown', result: 'invalid_backend' });
      return json(403, { type: 'error', error: { code: 'invalid_backend', message: 'The backend is not allowed.' } });
    }
    let msg: Json | null = null;
    try {
      msg = obj(JSON.parse(body));
    } catch {
      msg = null;
    }
    const type = str(msg?.['type']);
    if (!msg || type === '') {
      this.m.roomRequests.inc({ type: 'unknown', result: 'invalid_request' });
      return json(400, { type: 'error', error: { code: 'invalid_request', message: 'The request could not be parsed.' } });
    }
    const ok = this.roomRequest(decodeURIComponent(m[1]!), type, obj(msg[type]) ?? {});
    this.m.roomRequests.inc({ type, result: ok ? 'ok' : 'unknown_type' });
    if (!ok) return json(400, { type: 'error', error: { code: 'unknown_type', message: `Unsupported type ${JSON.stringify(type)}.` } });
    return json(200, {});
  }

  /** A notification from Talk about one room. */
  private roomRequest(roomId: string, type: string, body: Json): boolean {
    const members = this.rooms.get(roomId);
    switch (type) {
      case 'incall':
      case 'participants': {
        if (body['all'] === true) {
          const incall = typeof body['incall'] === 'number' ? body['incall'] : 0;
          for (const s of members ?? []) s.inCall = incall;
          this.fanout(members, { type: 'event', event: { target: 'participants', type: 'update', update: { roomid: roomId, incall, all: true } } });
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
        // (a session that just left the call), with Talk session ids replaced by the HPB's.
        const users = Array.isArray(body['users']) ? [...body['users']] : [];
        const listed = new Set(users.map((e) => str(obj(e)?.['sessionId'])));
        for (const e of changed) if (!listed.has(str(obj(e)?.['sessionId']))) users.push(e);
        const mapped = users.map((e) => {
          const entry = obj(e);
          const s = entry ? byTalk.get(str(entry['sessionId'])) : undefined;
          return s ? { ...entry, sessionId: s.id } : e;
        });
        this.fanout(members, { type: 'event', event: { target: 'participants', type: 'update', update: { roomid: roomId, users: mapped } } });
        return true;
      }
      case 'disinvite': {
        const sessionIds = new Set((Array.isArray(body['sessionids']) ? body['sessionids'] : []).map(str));
        const userIds = new Set((Array.isArray(body['userids']) ? body['userids'] : []).map(str));
        for (const s of [...(members ?? [])]) {
          if (sessionIds.has(s.talkSessionId) || (s.userId !== '' && userIds.has(s.userId))) this.removedByBackend(s, roomId, 'disinvited');
        }
        return true;
      }
      case 'delete':
        for (const s of [...(members ?? [])]) this.removedByBackend(s, roomId, 'deleted');
        return true;
      case 'update':
        this.fanout(members, { type: 'room', room: { roomid: roomId, properties: obj(body['properties']) ?? {} } });
        return true;
      case 'invite': {
        const userIds = new Set((Array.isArray(body['userids']) ? body['userids'] : []).map(str));
        const targets = [...this.sessions.values()].filter((s) => s.userId !== '' && userIds.has(s.userId));
        this.fanout(targets, { type: 'event', event: { target: 'roomlist', type: 'invite', invite: { roomid: roomId, properties: obj(body['properties']) ?? {} } } });
        return true;
      }
      case 'message':
        this.fanout(members, { type: 'event', event: { target: 'room', type: 'message', message: { roomid: roomId, data: body['data'] ?? {} } } });
        return true;
      default:
        return false;
    }
  }

  /** Talk removed the session from the room: it leaves here without asking Talk again. */
  private removedByBackend(s: HubSession, roomId: string, reason: string): void {
    this.send(s, { type: 'event', event: { target: 'roomlist', type: 'disinvite', disinvite: { reason, roomid: roomId } } });
    this.leaveLocally(s);
  }

  /** One serialisation for every recipient (a call of n sessions gets n copies per change). */
  private fanout(targets: Iterable<HubSession> | undefined, message: Json): void {
    if (!targets) return;
    const list = [...targets];
    if (list.length === 0) return;
    const text = JSON.stringify(message);
    const deliver = (): void => {
      for (const s of list) this.sendText(s, text);
      this.m.fanout.inc(list.length);
    };
    const delay = this.faults.fanoutDelayMs ?? 0;
    if (delay > 0) setTimeout(deliver, delay).unref();
    else deliver();
  }

  // ---- WebSocket clients -----------------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== Hpb.clientPath) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
  }

  private connected(ws: WebSocket): void {
    let session: HubSession | null = null;
    const features = this.opts.helloV2 ? ['hello-v2', 'incall-all', 'welcome'] : ['incall-all', 'welcome'];
    ws.send(JSON.stringify({ type: 'welcome', welcome: { features, version: HPB_VERSION } }));
    // No hello in time: the connection is closed.
    let helloTimer: NodeJS.Timeout | null = setTimeout(() => {
      helloTimer = null;
      if (session) return;
      ws.send(JSON.stringify({ type: 'bye', bye: { reason: 'hello_timeout' } }));
      ws.close();
    }, this.opts.helloTimeoutMs);
    let helloPending = false;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return this.errorTo(ws, undefined, 'invalid_format', 'Binary messages are not supported.');
      let msg: Json | null;
      try {
        msg = obj(JSON.parse(data.toString()));
      } catch {
        msg = null;
      }
      if (!msg) return this.errorTo(ws, undefined, 'invalid_format', 'The message could not be parsed.');
      const type = str(msg['type']);
      const id = typeof msg['id'] === 'string' ? msg['id'] : undefined;
      this.m.messages.inc({ type: type === '' ? 'unknown' : type.slice(0, 16) });
      if (!session) {
        if (type !== 'hello') return this.errorTo(ws, id, 'hello_expected', 'Expected Hello request.');
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
          return this.errorTo(ws, id, 'already_authenticated', 'The session is already authenticated.');
        case 'room':
          return void this.room(s, id, obj(msg['room']) ?? {});
        case 'message':
          return this.message(s, id, obj(msg['message']) ?? {});
        case 'bye':
          return void this.bye(s, id);
        default:
          return this.errorTo(ws, id, 'invalid_request', `Unsupported message type ${JSON.stringify(type)}.`);
      }
    });
    ws.on('close', () => {
      if (helloTimer) clearTimeout(helloTimer);
      const s = session;
      if (!s || s.closed || s.ws !== ws) return;
      // Kept for a resume; gone (and out of its room on Talk) when none comes in time.
      s.ws = null;
      if (s.timer) clearTimeout(s.timer);
      s.timer = setTimeout(() => void this.expire(s), this.opts.resumeMs);
      s.timer.unref();
    });
    ws.on('error', () => undefined);
  }

  private errorTo(ws: WebSocket, id: string | undefined, code: string, message: string): void {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify({ ...(id !== undefined ? { id } : {}), type: 'error', error: { code, message } }));
  }

  private async hello(ws: WebSocket, id: string | undefined, hello: Json): Promise<HubSession | null> {
    const version = str(hello['version']);
    const resumeId = str(hello['resumeid']);
    if (resumeId !== '') {
      const s = this.byResume.get(resumeId);
      if (!s || s.closed) {
        this.m.resumeFailed.inc();
        this.errorTo(ws, id, 'no_such_session', 'The session to resume does not exist.');
        return null;
      }
      if (s.ws && s.ws !== ws) s.ws.close(1000, 'resumed elsewhere');
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      s.ws = ws;
      this.m.resumed.inc({ backend: BACKEND_LABEL, clienttype: 'client' });
      ws.send(JSON.stringify({ ...(id !== undefined ? { id } : {}), type: 'hello', hello: { sessionid: s.id, resumeid: s.resumeId, userid: s.userId, version: s.version } }));
      for (const text of s.pending.splice(0)) ws.send(text);
      return s;
    }
    if (version !== '1.0' && version !== '2.0') {
      this.errorTo(ws, id, 'invalid_hello_version', 'The hello version is not supported.');
      return null;
    }
    const auth = obj(hello['auth']) ?? {};
    const url = str(auth['url']);
    if (!this.backendAllowed(url)) {
      this.errorTo(ws, id, 'invalid_backend', 'The requested backend URL is not supported.');
      return null;
    }
    const params = obj(auth['params']) ?? {};
    let who: { userId: string; user: Json } | { code: string; message: string };
    if (version === '2.0') {
      if (!this.opts.helloV2) {
        this.errorTo(ws, id, 'invalid_hello_version', 'The hello version is not supported.');
        return null;
      }
      who = await this.checkToken(str(params['token']));
    } else {
      who = await this.authV1(url, params);
    }
    if ('code' in who) {
      this.errorTo(ws, id, who.code, who.message);
      return null;
    }
    if (ws.readyState !== ws.OPEN) return null;
    const s: HubSession = { id: newId(), resumeId: newId(), userId: who.userId, user: who.user, version, ws, room: null, talkSessionId: '', properties: {}, inCall: 0, timer: null, pending: [], closed: false };
    this.sessions.set(s.id, s);
    this.byResume.set(s.resumeId, s);
    this.m.sessionsTotal.inc({ backend: BACKEND_LABEL, clienttype: 'client' });
    const features = this.opts.helloV2 ? ['hello-v2', 'incall-all', 'welcome'] : ['incall-all', 'welcome'];
    ws.send(JSON.stringify({ ...(id !== undefined ? { id } : {}), type: 'hello', hello: { sessionid: s.id, resumeid: s.resumeId, userid: s.userId, version, server: { features, version: HPB_VERSION } } }));
    // Anonymous sessions must join a room in time.
    if (s.userId === '') this.armRoomTimer(s);
    return s;
  }

  private armRoomTimer(s: HubSession): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = null;
      if (s.room !== null || s.closed) return;
      this.send(s, { type: 'bye', bye: { reason: 'room_join_timeout' } });
      s.ws?.close();
      this.forget(s);
    }, this.opts.roomJoinTimeoutMs);
    s.timer.unref();
  }

  private backendAllowed(url: string): boolean {
    const base = this.backend;
    return url === base || url.startsWith(`${base}/`);
  }

  private async authV1(url: string, params: Json): Promise<{ userId: string; user: Json } | { code: string; message: string }> {
    const reply = await this.backendRequest(url, { type: 'auth', auth: { version: '1.0', params } });
    if (!reply) return { code: 'auth-failed', message: 'The session could not be authenticated (backend unreachable).' };
    if (reply['type'] === 'error') {
      const e = obj(reply['error']);
      return { code: str(e?.['code']) || 'auth-failed', message: str(e?.['message']) || 'The session could not be authenticated.' };
    }
    const a = obj(reply['auth']);
    if (reply['type'] !== 'auth' || !a) return { code: 'auth-failed', message: 'The backend answered something else than auth.' };
    return { userId: str(a['userid']), user: obj(a['user']) ?? {} };
  }

  /** Talk's capabilities: the hello-v2 key and the ping limit (cached; fetched again when a token does not verify). */
  private async fetchCapabilities(force: boolean): Promise<{ key: KeyObject | null; limit: number }> {
    const now = Date.now();
    if (this.capabilities && !(force && now - this.capabilities.atMs > 1000)) return this.capabilities;
    let key: KeyObject | null = null;
    let limit: number = Hpb.sessionPingLimit;
    try {
      const res = await request(`${this.backend}/ocs/v2.php/cloud/capabilities`, {
        headers: { 'ocs-apirequest': 'true', accept: 'application/json' },
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.opts.backendTimeoutMs),
      });
      const data = obj(unwrapOcs(await res.body.text()));
      const sig = obj(obj(obj(obj(obj(data?.['capabilities'])?.['spreed'])?.['config']))?.['signaling']);
      const pem = str(sig?.['hello-v2-token-key']);
      if (pem !== '') key = createPublicKey(pem);
      if (typeof sig?.['session-ping-limit'] === 'number' && sig['session-ping-limit'] > 0) limit = sig['session-ping-limit'];
    } catch {
      // Unreachable or unparsable: no key; v2 hellos fail with invalid_token until it answers.
    }
    this.capabilities = { key, limit, atMs: now };
    return this.capabilities;
  }

  private async checkToken(token: string): Promise<{ userId: string; user: Json } | { code: string; message: string }> {
    const bad = { code: 'invalid_token', message: 'The token could not be validated.' };
    const parts = token.split('.');
    if (parts.length !== 3) return bad;
    let header: Json | null;
    let claims: Json | null;
    try {
      header = obj(JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()));
      claims = obj(JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()));
    } catch {
      return bad;
    }
    if (!header || !claims) return bad;
    const alg = str(header['alg']);
    const verifyWith = (key: KeyObject): boolean => {
      const data = Buffer.from(`${parts[0]}.${parts[1]}`);
      const sig = Buffer.from(parts[2]!, 'base64url');
      try {
        if (alg === 'ES256' || alg === 'ES384' || alg === 'ES512') return verify(`sha${alg.slice(2)}`, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
        if (alg === 'RS256' || alg === 'RS384' || alg === 'RS512') return verify(`sha${alg.slice(2)}`, data, key, sig);
        if (alg === 'EdDSA') return verify(null, data, key, sig);
      } catch {
        return false;
      }
      return false;
    };
    let caps = await this.fetchCapabilities(false);
    if (!caps.key || !verifyWith(caps.key)) {
      caps = await this.fetchCapabilities(true);
      if (!caps.key || !verifyWith(caps.key)) return bad;
    }
    const now = Date.now() / 1000;
    if (typeof claims['exp'] !== 'number' || claims['exp'] < now) return { code: 'token_expired', message: 'The token is expired.' };
    if (typeof claims['iat'] === 'number' && claims['iat'] > now + 60) return { code: 'token_not_valid_yet', message: 'The token is not valid yet.' };
    if (trimSlash(str(claims['iss'])) !== this.backend) return bad;
    return { userId: str(claims['sub']), user: obj(claims['userdata']) ?? {} };
  }

  private async backendRequest(url: string, message: Json): Promise<Json | null> {
    const out = await postSigned(url, JSON.stringify(message), { agent: this.agent, secret: this.opts.secret, timeoutMs: this.opts.backendTimeoutMs, ocs: true });
    this.m.backendRequests.inc({ backend: BACKEND_LABEL });
    this.m.backendDuration.observe({ backend: BACKEND_LABEL }, out.duration);
    if (out.error !== null || out.status === null || out.status < 200 || out.status > 299) {
      this.m.backendErrors.inc({ backend: BACKEND_LABEL, error: out.error ?? `http_${out.status}` });
      return null;
    }
    const data = obj(unwrapOcs(out.text));
    if (!data) this.m.backendErrors.inc({ backend: BACKEND_LABEL, error: 'invalid_response' });
    else if (data['type'] === 'error') this.m.backendErrors.inc({ backend: BACKEND_LABEL, error: str(obj(data['error'])?.['code']) || 'error' });
    return data;
  }

  private get backendUrl(): string {
    return `${this.backend}${Hpb.backendPath}`;
  }

  private async room(s: HubSession, id: string | undefined, room: Json): Promise<void> {
    const roomId = str(room['roomid']);
    const talkSessionId = str(room['sessionid']);
    const reply = (v: Json): void => this.send(s, { ...(id !== undefined ? { id } : {}), ...v });
    if (roomId !== '' && roomId === s.room) {
      return reply({ type: 'error', error: { code: 'already_joined', message: 'Already joined this room.', details: { room: { roomid: roomId, properties: s.properties } } } });
    }
    // A Talk session id already in use (by another connection, or by this one: a real server
    // kicks itself then too) ends that session: bye, closed, no leave sent to Talk. Then Talk
    // decides about the new join.
    if (talkSessionId !== '') {
      for (const other of [...this.sessions.values()]) {
        if (other.talkSessionId !== talkSessionId) continue;
        this.send(other, { type: 'bye', bye: { reason: 'room_session_reconnected' } });
        other.ws?.close();
        this.leaveLocally(other);
        this.forget(other);
      }
      if (s.closed) return;
    }
    if (roomId === '') {
      await this.leave(s);
      reply({ type: 'room', room: { roomid: '' } });
      return;
    }
    const answer = await this.backendRequest(this.backendUrl, { type: 'room', room: { version: '1.0', roomid: roomId, userid: s.userId, sessionid: talkSessionId, action: 'join' } });
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
    s.properties = obj(joined['properties']) ?? {};
    if (s.timer && s.ws) {
      clearTimeout(s.timer);
      s.timer = null;
    }
    let members = this.rooms.get(roomId);
    if (!members) this.rooms.set(roomId, (members = new Set()));
    const others = [...members];
    members.add(s);
    reply({ type: 'room', room: { roomid: roomId, properties: obj(joined['properties']) ?? {} } });
    const closeAfter = this.faults.closeAfterMs;
    if (closeAfter !== undefined) setTimeout(() => s.ws?.terminate(), closeAfter).unref();
    // The joiner learns everyone in the room, one event each, itself last; the others learn the joiner.
    for (const o of others) this.send(s, { type: 'event', event: { target: 'room', type: 'join', join: [entryOf(o)] } });
    const own = { type: 'event', event: { target: 'room', type: 'join', join: [entryOf(s)] } };
    this.send(s, own);
    this.fanout(others, own);
  }

  /** Leaves the room here and on Talk (which removes a guest's Talk session). */
  private async leave(s: HubSession): Promise<void> {
    const roomId = s.room;
    if (roomId === null) return;
    const talkSessionId = s.talkSessionId;
    this.leaveLocally(s);
    await this.backendRequest(this.backendUrl, { type: 'room', room: { version: '1.0', roomid: roomId, userid: s.userId, sessionid: talkSessionId, action: 'leave' } });
  }

  private leaveLocally(s: HubSession): void {
    const roomId = s.room;
    if (roomId === null) return;
    const members = this.rooms.get(roomId);
    members?.delete(s);
    if (members && members.size === 0) this.rooms.delete(roomId);
    s.room = null;
    s.talkSessionId = '';
    s.inCall = 0;
    this.fanout(members, { type: 'event', event: { target: 'room', type: 'leave', leave: [s.id] } });
  }

  private message(s: HubSession, id: string | undefined, message: Json): void {
    const recipient = obj(message['recipient']) ?? {};
    const rtype = str(recipient['type']);
    const sender: Json = { type: rtype, sessionid: s.id };
    if (s.userId !== '') sender['userid'] = s.userId;
    let targets: HubSession[];
    switch (rtype) {
      case 'session': {
        const t = this.sessions.get(str(recipient['sessionid']));
        targets = t ? [t] : [];
        break;
      }
      case 'user':
        targets = [...this.sessions.values()].filter((t) => t.userId !== '' && t.userId === str(recipient['userid']) && t !== s);
        break;
      case 'room':
      case 'call':
        if (s.room === null) return this.errorTo(s.ws!, id, 'not_in_room', 'The session is not in a room.');
        targets = [...(this.rooms.get(s.room) ?? [])].filter((t) => t !== s && (rtype === 'room' || (t.inCall & 1) !== 0));
        break;
      default:
        return this.errorTo(s.ws!, id, 'invalid_recipient_type', `Unsupported recipient type ${JSON.stringify(rtype)}.`);
    }
    this.fanout(targets, { type: 'message', message: { sender, data: message['data'] ?? {} } });
  }

  private async bye(s: HubSession, id: string | undefined): Promise<void> {
    const ws = s.ws;
    this.send(s, { ...(id !== undefined ? { id } : {}), type: 'bye', bye: {} });
    s.closed = true;
    this.forget(s);
    await this.leave(s);
    ws?.close(1000, 'bye');
  }

  private async expire(s: HubSession): Promise<void> {
    if (s.ws || s.closed) return;
    s.closed = true;
    this.forget(s);
    await this.leave(s);
  }

  private forget(s: HubSession): void {
    s.closed = true;
    if (s.timer) clearTimeout(s.timer);
    s.timer = null;
    this.sessions.delete(s.id);
    this.byResume.delete(s.resumeId);
  }

  private send(s: HubSession, message: Json): void {
    this.sendText(s, JSON.stringify(message));
  }

  private sendText(s: HubSession, text: string): void {
    if (s.ws && s.ws.readyState === s.ws.OPEN) s.ws.send(text);
    else if (!s.ws && !s.closed && s.pending.length < 1000) s.pending.push(text);
  }

  // ---- keep-alive: Talk learns that the sessions are still there -------------------------------------

  /** One round: per room, batches of at most the ping limit. Returns the number of requests. */
  async pingAll(): Promise<number> {
    if (this.pinging || this.faults.dropPings) return 0;
    this.pinging = true;
    let requests = 0;
    try {
      const { limit } = await this.fetchCapabilities(false);
      for (const [roomId, members] of this.rooms) {
        const entries: Json[] = [];
        for (const s of members) if (s.talkSessionId !== '') entries.push(s.userId !== '' ? { userid: s.userId, sessionid: s.talkSessionId } : { sessionid: s.talkSessionId });
        for (let i = 0; i < entries.length; i += limit) {
          await this.backendRequest(this.backendUrl, { type: 'ping', ping: { roomid: roomId, entries: entries.slice(i, i + limit) } });
          requests++;
        }
      }
    } finally {
      this.pinging = false;
    }
    return requests;
  }
}

/** A room event's session: `roomsessionid` is the Talk session id. */
function entryOf(s: HubSession): Json {
  const e: Json = { sessionid: s.id, userid: s.userId };
  if (Object.keys(s.user).length > 0) e['user'] = s.user;
  e['roomsessionid'] = s.talkSessionId;
  return e;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (body.length <= 1_048_576) body += c;
    });
    req.on('end', () => resolve(body));
    req.on('error', () => resolve(''));
  });
}
