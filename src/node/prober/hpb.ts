// The prober's HPB leg: one WebSocket to the HPB per journey, as the web client uses it. Every wait
// is bounded; every step returns an outcome (duration, or a failure code), never throws.

import { WebSocket } from 'ws';
import { Hpb } from '../../shared/constants.ts';
import { answers, byeReason, errorCode, inCallReader, stringField } from '../../shared/hpb-protocol.ts';

export interface HpbStepOutcome {
  readonly ok: boolean;
  /** Seconds. */
  readonly duration: number;
  /** HPB error code, `timeout`, `closed`, `connect_failed`, ... when not ok. */
  readonly code: string | null;
  readonly text: string | null;
}

interface Waiter {
  readonly match: (text: string) => boolean;
  readonly done: (text: string | null) => void;
}

export class HpbSession {
  private ws: WebSocket | null = null;
  private waiters: Waiter[] = [];
  private nextId = 1;
  private leaving = false;
  /** Close code when the HPB closed the socket uninvited; null while open or after our own close. */
  unexpectedClose: string | null = null;
  hpbSessionId: string | null = null;
  welcome: string | null = null;

  /** Opens the socket and waits for the welcome. */
  async open(server: string, timeoutMs: number): Promise<HpbStepOutcome> {
    const started = performance.now();
    const welcome = this.waitFor((t) => t.includes('"type":"welcome"'), timeoutMs);
    const opened = await new Promise<string | null>((resolve) => {
      const ws = new WebSocket(`${server.replace(/^http/, 'ws').replace(/\/+$/, '')}${Hpb.clientPath}`, { handshakeTimeout: timeoutMs });
      this.ws = ws;
      ws.on('open', () => resolve(null));
      ws.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'connect_failed' : 'connect_error'));
      ws.on('unexpected-response', (_req, res) => resolve(`http_${res.statusCode}`));
      ws.on('message', (data) => this.received(data.toString()));
      ws.on('close', (code) => {
        if (!this.leaving) this.unexpectedClose = byeReasonText(code, this.lastBye);
        for (const w of this.waiters.splice(0)) w.done(null);
      });
    });
    if (opened !== null) {
      this.waiters.splice(0);
      return this.outcome(started, opened, null);
    }
    this.welcome = await welcome;
    return this.outcome(started, this.welcome === null ? 'no_welcome' : null, this.welcome);
  }

  private lastBye: string | null = null;

  private received(text: string): void {
    const bye = byeReason(text);
    if (bye !== null && !text.startsWith('{"id"')) this.lastBye = bye;
    const w = this.waiters.find((x) => x.match(text));
    if (w) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.done(text);
    }
  }

  waitFor(match: (text: string) => boolean, ms: number): Promise<string | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(null);
      }, ms);
      timer.unref();
      const w: Waiter = {
        match,
        done: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
      };
      this.waiters.push(w);
    });
  }

  async request(type: string, body: unknown, ms: number): Promise<HpbStepOutcome> {
    const started = performance.now();
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return this.outcome(started, 'closed', null);
    const id = String(this.nextId++);
    const answer = this.waitFor((t) => answers(t, id), ms);
    this.ws.send(JSON.stringify({ id, type, [type]: body }));
    const text = await answer;
    if (text === null) return this.outcome(started, this.ws.readyState === WebSocket.OPEN ? 'timeout' : 'closed', null);
    return this.outcome(started, errorCode(text), text);
  }

  /** hello v2 with the JWT when the HPB offers hello-v2, else v1 with the ticket. */
  async hello(backendUrl: string, auth: { v1: { userid: string | null; ticket: string }; v2Token: string }, ms: number): Promise<HpbStepOutcome> {
    const v2 = auth.v2Token !== '' && (this.welcome ?? '').includes('"hello-v2"');
    const params = v2 ? { token: auth.v2Token } : { userid: auth.v1.userid ?? '', ticket: auth.v1.ticket };
    const o = await this.request('hello', { version: v2 ? '2.0' : '1.0', auth: { url: backendUrl, params } }, ms);
    if (o.ok) this.hpbSessionId = stringField(o.text ?? '', 'sessionid');
    return o;
  }

  /** Waits for the `participants/update` that shows this session with these flags; started before the OCS request. */
  awaitFlags(flags: number, ms: number): () => Promise<HpbStepOutcome> {
    const started = performance.now();
    const inCallOf = inCallReader(this.hpbSessionId ?? '');
    const seen = this.waitFor((t) => inCallOf(t) === flags, ms);
    return async () => {
      const text = await seen;
      return this.outcome(started, text === null ? (this.unexpectedClose !== null ? 'closed' : 'timeout') : null, text);
    };
  }

  /** Leaves the room, says bye and closes; bounded. */
  async leave(ms: number): Promise<HpbStepOutcome> {
    const left = await this.request('room', { roomid: '' }, ms);
    this.leaving = true;
    const bye = await this.request('bye', {}, ms);
    this.close();
    return left.ok ? bye : left;
  }

  close(): void {
    this.leaving = true;
    this.ws?.terminate();
    for (const w of this.waiters.splice(0)) w.done(null);
  }

  private outcome(started: number, code: string | null, text: string | null): HpbStepOutcome {
    return { ok: code === null, duration: (performance.now() - started) / 1000, code, text };
  }
}

function byeReasonText(code: number, bye: string | null): string {
  return bye !== null ? `bye_${bye}` : `close_${code}`;
}
