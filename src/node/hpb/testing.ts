// Helpers for protocol tests over real WebSockets on loopback: a signaling client that keeps every
// message it got, and a world of simulator (external signaling) + HPB (the emulator, or a real
// signaling server from HPB_BIN).

import { WebSocket } from 'ws';
import { Hpb } from '../../shared/constants.ts';
import { TalkSimulator } from '../simulator/server.ts';
import { TestClient } from '../simulator/testing.ts';
import { HpbEmulator } from './emulator.ts';
import type { HpbFaults } from './faults.ts';
import { newSecret } from './cli.ts';
import { freePort } from '../stack/prometheus.ts';
import { type RealHpb, startRealHpb } from './real-server.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience

export class SignalingClient {
  readonly ws: WebSocket;
  readonly received: Json[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.received.push(JSON.parse(data.toString()));
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static open(hpbUrl: string): Promise<SignalingClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${hpbUrl.replace(/^http/, 'ws')}${Hpb.clientPath}`);
      const c = new SignalingClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  send(type: string, body: Json): string {
    const id = String(this.nextId++);
    this.ws.send(JSON.stringify({ id, type, [type]: body }));
    return id;
  }

  /** The first message (from index `from`) that matches; fails after `ms`. */
  async next(match: (m: Json) => boolean, ms = 5000, from = 0): Promise<Json> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.slice(from).find(match);
      if (found) return found;
      if (this.closed) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) before a match; got ${JSON.stringify(this.received).slice(0, 600)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no match within ${ms} ms; got ${JSON.stringify(this.received).slice(0, 600)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends and waits for the answer with the same id. */
  async request(type: string, body: Json, ms = 5000): Promise<Json> {
    const id = this.send(type, body);
    return this.next((m) => m.id === id, ms);
  }

  waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    return this.next(() => false, ms).catch(() => {
      if (this.closed) return this.closed;
      throw new Error(`not closed within ${ms} ms`);
    }) as Promise<{ code: number; reason: string }>;
  }

  close(): void {
    this.ws.terminate();
  }
}

export interface HpbWorld {
  readonly kind: 'emulator' | 'real';
  readonly sim: TalkSimulator;
  readonly simUrl: string;
  readonly hpbUrl: string;
  /** Only for the emulator. */
  readonly hpb: HpbEmulator | null;
  guest(): TestClient;
  user(id?: string): TestClient;
  close(): Promise<void>;
}

export interface HpbWorldOptions {
  readonly helloV2?: boolean;
  readonly roomJoinTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly sessionPingLimit?: number;
  readonly faults?: HpbFaults;
  /** Give the emulator a different secret than Talk. */
  readonly wrongSecret?: boolean;
}

export const HPB_BIN = process.env['HPB_BIN'] ?? '';


export async function startHpbWorld(kind: 'emulator' | 'real', o: HpbWorldOptions = {}): Promise<HpbWorld> {
  const secret = newSecret();
  const sim = new TalkSimulator({ seed: 1, external: { hpbUrl: '', secret }, settings: { bruteForce: 'off', signalingPullSeconds: 2, ...(o.sessionPingLimit ? { sessionPingLimit: o.sessionPingLimit } : {}) } });
  const simUrl = await sim.listen(0, '127.0.0.1');
  let hpb: HpbEmulator | null = null;
  let real: RealHpb | null = null;
  let hpbUrl: string;
  if (kind === 'emulator') {
    hpb = new HpbEmulator({ backend: simUrl, secret: o.wrongSecret ? newSecret() : secret, helloV2: o.helloV2 ?? true, ...(o.roomJoinTimeoutMs ? { roomJoinTimeoutMs: o.roomJoinTimeoutMs } : {}), pingIntervalMs: o.pingIntervalMs ?? 60_000, ...(o.faults ? { faults: o.faults } : {}) });
    hpbUrl = await hpb.listen(0, '127.0.0.1');
  } else {
    // A real nextcloud-spreed-signaling with embedded NATS and no MCU, configured for this simulator.
    try {
      real = await startRealHpb(HPB_BIN, { port: await freePort(), backendUrl: simUrl, secret: o.wrongSecret ? newSecret() : secret });
    } catch (e) {
      await sim.close();
      throw e;
    }
    hpbUrl = real.url;
  }
  sim.external!.config.hpbUrl = hpbUrl;
  return {
    kind,
    sim,
    simUrl,
    hpbUrl,
    hpb,
    guest: () => new TestClient(simUrl),
    user: (id = 'admin') => new TestClient(simUrl, { id, password: id }),
    close: async () => {
      real?.stop();
      await hpb?.close();
      await sim.close();
    },
  };
}

/** A guest as the web client joins with an HPB: OCS room join, settings, WebSocket, hello, room. */
export async function hpbGuest(w: HpbWorld, token: string, version: '1.0' | '2.0' = '2.0'): Promise<{ http: TestClient; sig: SignalingClient; talkSessionId: string; hpbSessionId: string }> {
  const http = w.guest();
  const joined = await http.call('room_join', { token });
  if (joined.status !== 200) throw new Error(`room_join answered ${joined.status}`);
  const settings = await http.call('signaling_settings', { params: { token } });
  const sig = await SignalingClient.open(settings.data.server);
  await sig.next((m) => m.type === 'welcome');
  const params = version === '2.0' ? settings.data.helloAuthParams['2.0'] : settings.data.helloAuthParams['1.0'];
  const hello = await sig.request('hello', { version, auth: { url: `${w.simUrl}${Hpb.backendPath}`, params } });
  if (hello.type !== 'hello') throw new Error(`hello answered ${JSON.stringify(hello)}`);
  const room = await sig.request('room', { roomid: token, sessionid: joined.data.sessionId });
  if (room.type !== 'room') throw new Error(`room answered ${JSON.stringify(room)}`);
  return { http, sig, talkSessionId: joined.data.sessionId, hpbSessionId: hello.hello.sessionid };
}
