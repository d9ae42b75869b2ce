// One guest's WebSocket to the HPB (k6/websockets: event-loop based, so the VU keeps running its
// other guests and async requests while it waits). Messages are matched by text (shared/hpb-protocol),
// not parsed; waits are promises with a deadline. Unexpected outcomes are counted per HPB step.

import { type EventName, WebSocket } from 'k6/websockets';
import { clearTimeout, setTimeout } from 'k6/timers';
import { Hpb } from '../../shared/constants.ts';
import { answers, byeReason, errorCode } from '../../shared/hpb-protocol.ts';
import type { HpbStep } from '../../shared/metric-names.ts';
import { metrics } from './metrics.ts';

interface Waiter {
  readonly match: (text: string) => boolean;
  readonly resolve: (got: Received | null) => void;
}

/** A matching message and when it arrived (clock ms): an event may come before the OCS answer. */
export interface Received {
  readonly text: string;
  readonly at: number;
}

/** The HPB client URL from the signaling settings' `server` (http(s) -> ws(s), plus `spreed`). */
export function hpbClientUrl(server: string): string {
  return server.replace(/^http/, 'ws').replace(/\/+$/, '') + Hpb.clientPath;
}

export class HpbConnection {
  private readonly ws: WebSocket;
  private waiters: Waiter[] = [];
  private nextId = 1;
  private messages = 0;
  private bytes = 0;
  /** Set when the guest closes (or says bye): a close after that is expected. */
  private leaving = false;
  closed = false;
  /** Unexpected HPB outcomes of this guest, for its journey's verdict. */
  failures = 0;
  /** The server's last `bye` reason, if it sent one. */
  byeReason: string | null = null;
  readonly opened: Promise<boolean>;
  /** The first message (the welcome), or null when none came. */
  readonly welcome: Promise<Received | null>;

  constructor(url: string) {
    this.ws = new WebSocket(url, null, { tags: { name: 'hpb' } });
    this.welcome = this.waitFor((t) => t.includes('"type":"welcome"'), Hpb.helloTimeoutSeconds * 1000 + 5000);
    this.opened = new Promise<boolean>((resolve) => {
      this.ws.onopen = () => resolve(true);
      this.ws.onerror = () => {
        if (!this.closed) resolve(false);
      };
    });
    this.ws.onmessage = (e) => {
      const text = typeof e?.data === 'string' ? e.data : '';
      this.messages++;
      this.bytes += text.length;
      const bye = byeReason(text);
      // A bye without an id is the server's own (a time limit, a second connection).
      if (bye !== null && !text.startsWith('{"id"')) this.byeReason = bye;
      for (const w of this.waiters) {
        if (w.match(text)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve({ text, at: Date.now() });
          break;
        }
      }
    };
    // k6 passes the close code on the event; its types list the event name only as an enum.
    this.ws.addEventListener('close' as EventName, (e) => {
      this.closed = true;
      if (!this.leaving) {
        // Close code of the server's close (1005: closed without a status, as the HPB does after a bye).
        const code = String((e as unknown as { code?: number }).code ?? 0);
        metrics.hpbCloses.add(1, { code });
        this.fail('connect', this.byeReason ? `bye_${this.byeReason}` : `close_${code}`);
      }
      for (const w of this.waiters.splice(0)) w.resolve(null);
      metrics.hpbEvents.add(this.messages);
      metrics.hpbBytes.add(this.bytes);
    });
  }

  /** Counts an unexpected outcome of an HPB step. */
  fail(step: HpbStep, code: string): void {
    this.failures++;
    metrics.hpbUnexpected.add(1, { step, code });
  }

  /** The next message that matches, or null after `ms` or when the socket closes. */
  waitFor(match: (text: string) => boolean, ms: number): Promise<Received | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter = {
        match,
        resolve: (got) => {
          clearTimeout(timer);
          resolve(got);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(null);
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Sends a request and waits for its answer (by id); counts an error or a missing answer. */
  async request(step: HpbStep, type: string, body: string, ms: number): Promise<string | null> {
    const id = String(this.nextId++);
    const answer = this.waitFor((t) => answers(t, id), ms);
    this.ws.send(`{"id":"${id}","type":"${type}","${type}":${body}}`);
    const got = await answer;
    if (got === null) {
      this.fail(step, this.closed ? 'closed' : 'timeout');
      return null;
    }
    const code = errorCode(got.text);
    if (code !== null) {
      this.fail(step, code);
      return null;
    }
    return got.text;
  }

  /** Stats are added at close; call once the journey no longer needs the socket. */
  close(): void {
    this.leaving = true;
    if (!this.closed) this.ws.close();
  }

  /** The guest is about to end the session (bye): the server's close is expected from now on. */
  expectClose(): void {
    this.leaving = true;
  }
}
