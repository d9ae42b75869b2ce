// Talk's side of an HPB (external signaling): the hello-v1 ticket and hello-v2 JWT that the signaling
// settings hand out, and the notifications Talk posts to the HPB's room API inside the OCS request
// that caused them (so a slow HPB makes `/call` slow, as on a real server).

import { createHmac, generateKeyPairSync, randomBytes, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { Agent } from 'undici';
import { Hpb } from '../../shared/constants.ts';
import { postSigned } from '../hpb/signed.ts';

export interface ExternalConfig {
  /** The HPB's base URL (http or https), as the admin enters it in Talk's settings. */
  hpbUrl: string;
  /** The secret shared with the HPB. */
  readonly secret: string;
}

export interface NotifyObserver {
  notified(type: string, seconds: number, failure: string | null): void;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export class ExternalSignaling {
  readonly config: ExternalConfig;
  /** Nextcloud's base URL as clients reach it; set when the simulator listens. */
  baseUrl = '';
  readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;
  private readonly ticketSecret = randomBytes(32).toString('hex');
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  private readonly observer: NotifyObserver;
  private readonly loggedFailures = new Set<string>();
  timeoutMs = 10_000;

  constructor(config: ExternalConfig, observer: NotifyObserver) {
    this.config = config;
    this.observer = observer;
    // Talk makes an ES256 key pair once and publishes the public half in the capabilities.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = privateKey;
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** hello v1: `random:timestamp:userid:checksum`; only Talk can check it (backend `auth`). */
  ticket(userId: string | null, nowSec: number): string {
    const plain = `${randomBytes(16).toString('hex')}:${nowSec}:${userId ?? ''}`;
    return `${plain}:${createHmac('sha256', this.ticketSecret).update(plain).digest('hex')}`;
  }

  ticketValid(userId: string, ticket: string): boolean {
    const parts = ticket.split(':');
    if (parts.length !== 4 || parts[2] !== userId) return false;
    const want = Buffer.from(createHmac('sha256', this.ticketSecret).update(parts.slice(0, 3).join(':')).digest('hex'));
    const got = Buffer.from(parts[3]!);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  /** hello v2: a JWT signed ES256; `sub` and `userdata` only for users. */
  token(userId: string | null, displayName: string, nowSec: number): string {
    const claims: Record<string, unknown> = { iss: `${this.baseUrl}/`, iat: nowSec, exp: nowSec + Hpb.tokenLifetimeSeconds };
    if (userId !== null) {
      claims['sub'] = userId;
      claims['userdata'] = { displayname: displayName };
    }
    const input = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256' }))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  }

  /**
   * POST {hpb}/api/v1/room/{token}. Never throws: a failing HPB is counted and logged (once per
   * type and cause) and the OCS request that caused it still answers, as in Talk.
   */
  async notify(token: string, message: { readonly type: string } & Record<string, unknown>): Promise<void> {
    const url = `${this.config.hpbUrl.replace(/\/+$/, '')}/api/v1/room/${encodeURIComponent(token)}`;
    const out = await postSigned(url, JSON.stringify(message), {
      agent: this.agent,
      secret: this.config.secret,
      timeoutMs: this.timeoutMs,
      backend: `${this.baseUrl}/`,
    });
    const failure = out.error ?? (out.status !== null && (out.status < 200 || out.status > 299) ? String(out.status) : null);
    this.observer.notified(message.type, out.duration, failure);
    if (failure !== null && !this.loggedFailures.has(`${message.type} ${failure}`)) {
      this.loggedFailures.add(`${message.type} ${failure}`);
      process.stderr.write(`talkload sim: notifying the HPB (${message.type}) failed: ${out.error ?? `HTTP ${out.status}`} (counted in talksim_hpb_notify_failures_total; logged once)\n`);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
