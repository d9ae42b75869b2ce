// The HPB asking Talk (its backend): hello v1 auth, the hello v2 token check with the key from
// Talk's capabilities, room join/leave and the keep-alive pings, all as signed requests to Talk's
// signaling backend URL.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { Agent, request } from 'undici';
import { Hpb } from '../../shared/constants.ts';
import { BACKEND_LABEL, type Hub, type Json, obj, str, trimSlash } from './hub.ts';
import { postSigned, unwrapOcs } from './signed.ts';

/** Ping requests in flight at once (nextcloud-spreed-signaling's `connectionsperhost` in its sample server.conf). */
export const PING_CONCURRENCY = 8;

export type Who = { userId: string; user: Json } | { code: string; message: string };

export class TalkBackend {
  readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  private capabilities: { key: KeyObject | null; limit: number; atMs: number } | null = null;

  private readonly hub: Hub;

  constructor(hub: Hub) {
    this.hub = hub;
  }

  /** Talk's signaling backend URL (room and ping requests). */
  get url(): string {
    return `${this.hub.backend}${Hpb.backendPath}`;
  }

  /** Whether a hello names this emulator's one backend. */
  allowed(url: string): boolean {
    const base = this.hub.backend;
    return url === base || url.startsWith(`${base}/`);
  }

  async authV1(url: string, params: Json): Promise<Who> {
    const reply = await this.request(url, { type: 'auth', auth: { version: '1.0', params } });
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
  async fetchCapabilities(force: boolean): Promise<{ key: KeyObject | null; limit: number }> {
    const now = Date.now();
    if (this.capabilities && !(force && now - this.capabilities.atMs > 1000)) return this.capabilities;
    let key: KeyObject | null = null;
    let limit: number = Hpb.sessionPingLimit;
    try {
      const res = await request(`${this.hub.backend}/ocs/v2.php/cloud/capabilities`, {
        headers: { 'ocs-apirequest': 'true', accept: 'application/json' },
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.hub.opts.backendTimeoutMs),
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

  async checkToken(token: string): Promise<Who> {
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
    if (trimSlash(str(claims['iss'])) !== this.hub.backend) return bad;
    return { userId: str(claims['sub']), user: obj(claims['userdata']) ?? {} };
  }

  /** A signed request to Talk; null when it failed (counted by error). */
  async request(url: string, message: Json): Promise<Json | null> {
    const { m, opts } = this.hub;
    const out = await postSigned(url, JSON.stringify(message), { agent: this.agent, secret: opts.secret, timeoutMs: opts.backendTimeoutMs, ocs: true });
    m.backendRequests.inc({ backend: BACKEND_LABEL });
    m.backendDuration.observe({ backend: BACKEND_LABEL }, out.duration);
    if (out.error !== null || out.status === null || out.status < 200 || out.status > 299) {
      m.backendErrors.inc({ backend: BACKEND_LABEL, error: out.error ?? `http_${out.status}` });
      return null;
    }
    const data = obj(unwrapOcs(out.text));
    if (!data) m.backendErrors.inc({ backend: BACKEND_LABEL, error: 'invalid_response' });
    else if (data['type'] === 'error') m.backendErrors.inc({ backend: BACKEND_LABEL, error: str(obj(data['error'])?.['code']) || 'error' });
    return data;
  }

  /**
   * Talk learns that the sessions are still there: per room, batches of at most the ping limit,
   * PING_CONCURRENCY requests in flight (a real server's `connectionsperhost`, 8 in its sample
   * config). One request after the other, a round of 1,250 rooms took longer than Talk's 30 s
   * window at 12,500 guests, and the last rooms' guests dropped out of GET /call (issue 27).
   * Returns the number of requests.
   */
  async pingRooms(): Promise<number> {
    const { limit } = await this.fetchCapabilities(false);
    const batches: Json[] = [];
    for (const [roomId, members] of this.hub.rooms) {
      const entries: Json[] = [];
      for (const s of members) if (s.talkSessionId !== '') entries.push(s.userId !== '' ? { userid: s.userId, sessionid: s.talkSessionId } : { sessionid: s.talkSessionId });
      for (let i = 0; i < entries.length; i += limit) batches.push({ type: 'ping', ping: { roomid: roomId, entries: entries.slice(i, i + limit) } });
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) await this.request(this.url, batches[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(PING_CONCURRENCY, batches.length) }, worker));
    return batches.length;
  }

}
