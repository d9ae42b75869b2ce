// One guest's WebSocket to the HPB (k6/websockets: event-loop based, so the VU keeps running its
// other guests and async requests while it waits). Messages are matched by text (shared/hpb-protocol),
// not parsed; waits are promises with a deadline. Unexpected outcomes are counted per HPB step.

import { type EventName, WebSocket } from 'k6/websockets';
import { clearTimeout, setTimeout } from 'k6/timers';
import { Hpb } from '../../shared/constants.ts';
import { BYE_MAX_LENGTH, answers, byeReason, errorCode } from '../../shared/hpb-protocol.ts';
import type { HpbStep } from '../../shared/metric-names.ts';
import { metrics } from './metrics.ts';
import { now } from './builtins.ts';

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

/**
 * How long after its open event a guest waits for the HPB's welcome before it says hello without
 * one. k6/websockets (v2.2.0) starts reading a socket before it queues the open event, and drops a
 * message read in between (its readyState is not OPEN yet): one welcome in 10,000 to 25,000 never
 * reaches the script (`npm run bench:ws-first-message`). The web client waits 3 s for a welcome and
 * then says hello anyway (v1); past the HPB's 2 s hello limit that would lose the guest to k6's bug,
 * so the journey waits a second, well inside the limit.
 */
export const WELCOME_WAIT_MS = Hpb.welcomeWaitSeconds * 1000;

/** Loop lag from which a missed hello limit is put down to the generator (the limit is 2 s). */
export const GENERATOR_LAG_MS = 1000;
/** How often the loop lag is sampled during a handshake (one timer per VU: one handshake at a time). */
const LAG_SAMPLE_MS = 100;

/**
 * One handshake (connect, welcome, hello) at a time per VU: a VU carrying many guests that all
 * connect at once runs their handshakes on one event loop, and a hello sent late is closed by the
 * HPB (its 2 s limit), which the server is not to blame for (issue 27 item 3). The next guest's
 * connect waits for the previous hello's answer, so each VU keeps the HPB's rule at any ramp.
 */
let handshakes: Promise<void> = Promise.resolve();
export function handshakeTurn(): Promise<() => void> {
  let release: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const before = handshakes;
  handshakes = before.then(() => mine);
  return before.then(() => release);
}

export class HpbConnection {
  private readonly ws: WebSocket;
  /** Waits in order; removed in place (the message handler holds this array, not the property). */
  private readonly waiters: Waiter[] = [];
  private nextId = 1;
  /** Set when the guest closes (or says bye): a close after that is expected. */
  private leaving = false;
  closed = false;
  /** Unexpected HPB outcomes of this guest, for its journey's verdict. */
  failures = 0;
  /** The server's last `bye` reason, if it sent one. */
  byeReason: string | null = null;
  readonly opened: Promise<boolean>;
  /**
   * The first message (the welcome), or null: the socket closed first, or it stayed open
   * WELCOME_WAIT_MS past its open event without one (`welcomeMissing`).
   */
  readonly welcome: Promise<Received | null>;
  /** The socket opened and no welcome came within WELCOME_WAIT_MS (see there). */
  welcomeMissing = false;
  /** Clock ms at which the guest started connecting (`new WebSocket`). */
  readonly connectAt = Date.now();
  /**
   * Clock ms of the open event (the HPB accepted the upgrade; its hello limit runs from then).
   * A slow accept is the server's connect time (k6's ws_connecting), not time the guest used.
   */
  private openAt = 0;
  /**
   * k6's event-loop lag while this guest connects (other guests' work on the same VU): a timer due
   * every LAG_SAMPLE_MS from connect to hello, and how late the latest ran (or is overdue).
   */
  private maxLagMs = 0;
  private lagDue = 0;
  private sampling = true;
  /** The generator, not the server, made this guest miss the HPB's hello limit. */
  generatorLate = false;

  constructor(url: string) {
    this.sampleLag(0);
    this.ws = new WebSocket(url, null, { tags: { name: 'hpb' } });
    this.opened = new Promise<boolean>((resolve) => {
      this.ws.onopen = () => {
        this.openAt = Date.now();
        resolve(true);
      };
      this.ws.onerror = () => {
        if (!this.closed) resolve(false);
      };
    });
    // Waited for from the open event, not from here: a socket that took long to open is the
    // server's slow accept (ws_connecting), not a missing welcome. The waiter is in place before
    // the first message's event: k6 runs the promise jobs of the open event before its next event.
    this.welcome = this.opened.then(async (ok) => {
      if (!ok) return null;
      const got = await this.waitFor((t) => t.includes('"type":"welcome"'), WELCOME_WAIT_MS);
      // Still open and nothing came: the welcome is not coming (k6 may have dropped it).
      this.welcomeMissing = got === null && !this.closed;
      return got;
    });
    // Every message of the guest's stay runs this: its state is this closure's variables, not
    // properties, and the waiters are walked by index (a for-of is an iterator object and lookups
    // by name per step in k6's JS engine, issue 29).
    const waiters = this.waiters;
    let messages = 0;
    let bytes = 0;
    this.ws.onmessage = (e) => {
      const data = e?.data;
      const text = typeof data === 'string' ? data : '';
      messages++;
      const length = text.length;
      bytes += length;
      const bye = length <= BYE_MAX_LENGTH ? byeReason(text) : null;
      // A bye without an id is the server's own (a time limit, a second connection).
      if (bye !== null && !text.startsWith('{"id"')) this.byeReason = bye;
      // A match ends the walk, so the length read once is the length walked.
      for (let i = 0, n = waiters.length; i < n; i++) {
        const w = waiters[i]!;
        if (w.match(text)) {
          waiters.splice(i, 1);
          w.resolve({ text, at: now() });
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
        const reason = this.byeReason ? `bye_${this.byeReason}` : `close_${code}`;
        if (this.generatorLate || (this.byeReason === 'hello_timeout' && this.lateByGenerator())) this.late('connect');
        else {
          metrics.hpbCloses.add(1, { code });
          this.fail('connect', reason);
        }
      }
      this.stopSampling();
      for (const w of waiters.splice(0)) w.resolve(null);
      metrics.hpbEvents.add(messages);
      metrics.hpbBytes.add(bytes);
    });
  }

  /**
   * Whether a missed hello limit is the generator's: between connect and hello, k6's loop ran one of
   * this guest's lag samples a second or more late (or one is that overdue now).
   */
  private lateByGenerator(): boolean {
    return this.loopLagMs() >= GENERATOR_LAG_MS;
  }

  /** The largest lag seen since connect, an overdue sample included. */
  loopLagMs(): number {
    return Math.max(this.maxLagMs, this.sampling ? Date.now() - this.lagDue : 0);
  }

  private sampleLag(ms: number): void {
    this.lagDue = Date.now() + ms;
    setTimeout(() => {
      this.maxLagMs = Math.max(this.maxLagMs, Date.now() - this.lagDue);
      if (this.sampling) this.sampleLag(LAG_SAMPLE_MS);
    }, ms);
  }

  /** The handshake is over: no more lag samples (k6 ends an iteration only when its timers have run). */
  private stopSampling(): void {
    this.sampling = false;
  }

  /** Counts a step the generator made late, once per guest, not against the server. */
  late(step: HpbStep): void {
    if (this.generatorLate) return;
    metrics.hpbGeneratorLate.add(1, { step });
    this.generatorLate = true;
    this.failures++;
  }

  /** No welcome came: the generator's when its loop lagged, else the server's. */
  missedWelcome(): void {
    if (this.lateByGenerator()) this.late('connect');
    else this.fail('connect', 'no_welcome');
  }

  /** Counts an unexpected outcome of an HPB step. */
  fail(step: HpbStep, code: string): void {
    this.failures++;
    // Once the generator made the hello late, the server's refusal or close that follows is its echo.
    if (this.generatorLate && (step === 'connect' || step === 'hello')) return;
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
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, ms);
      this.waiters.push(w);
    });
  }

  /**
   * Says hello (its body as the journey built it) and waits for the answer. Past the HPB's limit
   * with k6's loop lagging, whatever the server answers, the generator was late.
   */
  hello(body: string, ms: number): Promise<string | null> {
    const at = Date.now();
    const used = at - (this.openAt || this.connectAt);
    metrics.hpbHelloSent.add(used);
    if (used >= Hpb.helloTimeoutSeconds * 1000 && this.lateByGenerator()) this.late('hello');
    this.stopSampling();
    return this.request('hello', 'hello', body, ms);
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
    this.stopSampling();
    this.leaving = true;
    if (!this.closed) this.ws.close();
  }

  /** The guest is about to end the session (bye): the server's close is expected from now on. */
  expectClose(): void {
    this.leaving = true;
  }
}
