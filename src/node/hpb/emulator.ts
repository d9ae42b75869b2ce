// An HPB emulator: the subset of the standalone signaling server's client protocol that a Talk call
// uses (welcome, hello v1/v2, resume, room join/leave with events, participants/update fan-out,
// message relay, bye, the 2 s / 10 s time limits), the room API Talk notifies, and the keep-alive
// ping batches to Talk. Written from the public protocol documentation (docs/standalone-signaling-api-v1.md)
// and Talk's behaviour; no code of the real server. Metrics use the real server's names for what is here.
//
// This file holds the hub's state and wires its servers; the protocol areas are beside it, as the
// simulator's controllers are: clients.ts (the client protocol), room-api.ts (what Talk notifies),
// backend.ts (what the HPB asks Talk), hub.ts (sessions, rooms, delivery), faults.ts.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { Hpb } from '../../shared/constants.ts';
import { listenHttp, readBody } from '../listen.ts';
import { TalkBackend } from './backend.ts';
import { Clients } from './clients.ts';
import type { HpbFaults } from './faults.ts';
import { BACKEND_LABEL, HPB_VERSION, type Hub, type HubLimits, type HubMetrics, type HubSession, trimSlash } from './hub.ts';
import { roomApi } from './room-api.ts';


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

export class HpbEmulator implements Hub {
  readonly server: Server;
  readonly registry = new Registry();
  /** The Nextcloud base URL; may be set after construction (the simulator listens first or last). */
  backend: string;
  faults: HpbFaults;
  readonly opts: HubLimits;
  readonly m: HubMetrics;
  readonly sessions = new Map<string, HubSession>();
  readonly byResume = new Map<string, HubSession>();
  readonly byTalkSession = new Map<string, Set<HubSession>>();
  readonly rooms = new Map<string, Set<HubSession>>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  private readonly talk: TalkBackend;
  private readonly clients: Clients;
  private readonly pingTimer: NodeJS.Timeout;
  private pinging = false;

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
    this.m = hubMetrics(this.registry, this);
    this.talk = new TalkBackend(this);
    this.clients = new Clients(this, this.talk);
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
    this.byTalkSession.clear();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.talk.agent.close();
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
    const answer = roomApi(this, req, decodeURIComponent(m[1]!), await readBody(req));
    return json(answer.status, answer.body);
  }

  // ---- WebSocket clients -----------------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== Hpb.clientPath) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.clients.connected(ws));
  }

  // ---- keep-alive: Talk learns that the sessions are still there -------------------------------------

  /** One round: per room, batches of at most the ping limit. Returns the number of requests. */
  async pingAll(): Promise<number> {
    if (this.pinging || this.faults.dropPings) return 0;
    this.pinging = true;
    try {
      return await this.talk.pingRooms();
    } finally {
      this.pinging = false;
    }
  }
}

/** The real server's metric names for what the emulator does, and two of its own. */
function hubMetrics(registry: Registry, hub: Hub): HubMetrics {
  const registers = [registry];
  new Gauge({ name: 'signaling_hub_sessions', help: 'The current number of sessions per backend', labelNames: ['backend', 'clienttype'] as const, registers, collect() { this.set({ backend: BACKEND_LABEL, clienttype: 'client' }, hub.sessions.size); } });
  new Gauge({ name: 'signaling_hub_rooms', help: 'The current number of rooms per backend', labelNames: ['backend'] as const, registers, collect() { this.set({ backend: BACKEND_LABEL }, hub.rooms.size); } });
  new Gauge({
    name: 'signaling_room_sessions',
    help: 'The current number of sessions in a room',
    labelNames: ['backend', 'room', 'clienttype'] as const,
    registers,
    collect() {
      this.reset();
      for (const [room, set] of hub.rooms) this.set({ backend: BACKEND_LABEL, room, clienttype: 'client' }, set.size);
    },
  });
  return {
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
}

