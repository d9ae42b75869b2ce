// One probe journey against one target: a guest joins the conversation and its call, changes
// flags, finds itself among the peers, leaves; with a user, a moderator also lists participants
// and rings (its own attendee: a ring to someone already in the call sends nothing). Every step is
// recorded; the journey stops at the first failed step but always leaves what it joined.

import type { Agent } from 'undici';
import { CallFlag, ConversationType, Hpb } from '../../shared/constants.ts';
import { ENDPOINTS, type EndpointId } from '../../shared/endpoints.ts';
import { outcomeCode } from '../../shared/outcome.ts';
import { type StepOutcome, ProbeClient, type Timeouts } from './http.ts';
import { type HpbProbeStep, type ProbeMetrics } from './metrics.ts';
import { type HpbStepOutcome, HpbSession } from './hpb.ts';
import type { ProbeTarget } from './config.ts';
import { HPB_NOTIFY_HINT } from '../run/checks.ts';

export interface JourneyResult {
  readonly success: boolean;
  /** The endpoint that failed first, or what else went wrong. */
  readonly failure: string | null;
  readonly duration: number;
}

interface SignalingSettings {
  signalingMode?: string;
  server?: string;
  helloAuthParams?: { '1.0'?: { userid?: string | null; ticket?: string }; '2.0'?: { token?: string } };
}

function dataOf(o: StepOutcome): unknown {
  return o.body?.kind === 'ocs' ? o.body.data : undefined;
}

export class TargetProber {
  readonly target: ProbeTarget;
  private readonly metrics: ProbeMetrics;
  private readonly agent: Agent;
  private readonly timeouts: Timeouts;
  private room: string | null;
  private created = false;
  /** Set by SIGTERM: the journey finishes its step, then only cleans up. */
  stopping = false;

  private readonly hpbOptions: { readonly stayEvery: number; readonly staySeconds: number };
  private rounds = 0;
  /** The guest of the running journey, once its room join answered 200; and whether it vanished. */
  private joinedGuest: ProbeClient | null = null;
  private vanished = false;
  /** The HPB hint is logged once per target, not every interval. */
  private hinted = false;
  private readonly log: (line: string) => void;

  constructor(target: ProbeTarget, metrics: ProbeMetrics, agent: Agent, timeouts: Timeouts, hpb = { stayEvery: 10, staySeconds: 35 }, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
    this.log = log;
    this.target = target;
    this.metrics = metrics;
    this.agent = agent;
    this.timeouts = timeouts;
    this.room = target.room;
    this.hpbOptions = hpb;
  }

  /** Records one HPB step; true when it went as expected. */
  private hpbStep(step: HpbProbeStep, o: HpbStepOutcome): boolean {
    this.metrics.hpbStepDuration.observe({ target: this.target.name, step }, o.duration);
    if (!o.ok) this.metrics.hpbFailures.inc({ target: this.target.name, step, code: o.code ?? 'error' });
    return o.ok;
  }

  private client(asUser: boolean): ProbeClient {
    const creds = asUser && this.target.user !== null && this.target.password !== null ? { user: this.target.user, password: this.target.password } : undefined;
    return new ProbeClient(this.target.url, this.agent, this.timeouts, creds);
  }

  /**
   * Records one outcome; true when it is what the step expects. `judged` false: counted and timed,
   * but no unexpected status (a vanished guest's 404 is the one finding, counted apart).
   */
  private record(o: StepOutcome, judged = true): boolean {
    const t = this.target.name;
    const method = ENDPOINTS[o.endpoint].method;
    const code = outcomeCode(o.status, o.error);
    this.metrics.requests.inc({ target: t, endpoint: o.endpoint, method, code });
    this.metrics.duration.observe({ target: t, endpoint: o.endpoint, method }, o.duration);
    if (o.ttfb !== null) this.metrics.ttfb.set({ target: t, endpoint: o.endpoint, method }, o.ttfb);
    const ok = o.error === null && o.status !== null && ENDPOINTS[o.endpoint].success.includes(o.status);
    if (!ok && judged) this.metrics.unexpected.inc({ target: t, endpoint: o.endpoint, code });
    return ok;
  }

  private async run(c: ProbeClient, id: EndpointId, opts: Parameters<ProbeClient['step']>[1] = {}): Promise<StepOutcome & { ok: boolean }> {
    const o = await c.step(id, opts);
    if (c === this.joinedGuest && o.status === 404 && id !== 'signaling_settings') {
      // The join answered 200 and now the session is gone: one finding, not a 404 per step.
      if (!this.vanished) this.metrics.guestVanished.inc({ target: this.target.name });
      this.vanished = true;
      return { ...o, ok: this.record(o, false) };
    }
    return { ...o, ok: this.record(o) };
  }

  /** Creates the conversation when none was given; retried on the next interval when it fails. */
  private async ensureRoom(): Promise<string | null> {
    if (this.room !== null) return this.room;
    const m = this.client(true);
    const created = await this.run(m, 'room_create', { params: { roomType: ConversationType.public, roomName: 'talkload prober' } });
    const token = (dataOf(created) as { token?: unknown } | undefined)?.token;
    if (created.status === 500 && !this.hinted) await this.hintIfHpb('room_create');
    if (!created.ok || typeof token !== 'string') return null;
    this.room = token;
    this.created = true;
    return token;
  }

  /** Talk with an HPB answers 500 when its notification to the HPB fails: say so, once. */
  private async hintIfHpb(step: EndpointId): Promise<void> {
    this.hinted = true;
    const settings = await this.client(false).step('signaling_settings');
    if ((dataOf(settings) as SignalingSettings | undefined)?.signalingMode === 'external') this.log(`talkload probe: ${this.target.name}: ${step} answered 500: ${HPB_NOTIFY_HINT}`);
  }

  async journey(): Promise<JourneyResult> {
    const started = performance.now();
    this.joinedGuest = null;
    this.vanished = false;
    const steps = await this.steps();
    const result = this.vanished ? { success: false, failure: 'guest_vanished' } : steps;
    const duration = (performance.now() - started) / 1000;
    const t = this.target.name;
    this.metrics.journeySuccess.set({ target: t }, result.success ? 1 : 0);
    this.metrics.journeyDuration.set({ target: t }, duration);
    this.metrics.journeys.inc({ target: t, result: result.success ? 'success' : 'failure' });
    if (result.success) this.metrics.lastSuccess.set({ target: t }, Date.now() / 1000);
    return { ...result, duration };
  }

  private async steps(): Promise<{ success: boolean; failure: string | null }> {
    const token = await this.ensureRoom();
    if (token === null) return { success: false, failure: 'room_create' };
    const g = this.client(false);
    const fail = (failure: string) => ({ success: false, failure });

    if (!(await this.run(g, 'capabilities')).ok) return fail('capabilities');
    if (this.stopping) return fail('stopped');
    const joined = await this.run(g, 'room_join', { token });
    if (joined.status === 404 && this.created) {
      // Our conversation was deleted under us (an admin, a clean-up job): this journey fails on
      // it, and the next interval creates a new one. A configured conversation stays as given.
      this.room = null;
      this.created = false;
    }
    const sessionId = (dataOf(joined) as { sessionId?: unknown } | undefined)?.sessionId;
    if (!joined.ok || typeof sessionId !== 'string') return fail('room_join');
    this.joinedGuest = g;
    let inCall = false;
    let failure: string | null = null;
    try {
      const settings = await this.run(g, 'signaling_settings', { params: { token } });
      if (!settings.ok) return fail('signaling_settings');
      const sd = dataOf(settings) as SignalingSettings | undefined;
      if (sd?.signalingMode === 'external') {
        const r = await this.hpbSteps(g, token, sessionId, sd);
        inCall = false; // the HPB leg leaves the call itself
        return r;
      }
      // A message to our own session makes the long-poll answer at its next check once the message
      // is a second old (Talk's rule): one short ping of 1-2 s.
      const fn = JSON.stringify({ to: sessionId, type: 'probe', payload: {} });
      if (!(await this.run(g, 'signaling_send', { token, params: { messages: JSON.stringify([{ ev: 'message', fn, sessionId }]) } })).ok) return fail('signaling_send');
      if (!(await this.run(g, 'signaling_poll', { token, timeoutMs: Math.min(this.timeouts.total, 35_000) })).ok) return fail('signaling_poll');
      if (this.stopping) return fail('stopped');
      if (!(await this.run(g, 'call_join', { token, params: { flags: CallFlag.inCall | CallFlag.withAudio } })).ok) return fail('call_join');
      inCall = true;
      if (!(await this.run(g, 'call_flags', { token, params: { flags: CallFlag.inCall | CallFlag.withAudio | CallFlag.withVideo } })).ok) return fail('call_flags');
      const listed = await this.selfListed(g, token, sessionId);
      if (listed === null) return fail('call_peers');
      if (!listed) failure = 'self_not_listed';
      failure ??= await this.moderatorIfUser(token);
    } finally {
      // Leave what was joined, also after a failed step or a SIGTERM (a vanished guest has nothing).
      if (inCall && !this.vanished) failure ??= await this.leaveCall(g, token);
      if (!this.vanished) {
        const leftRoom = await this.run(g, 'room_leave', { token });
        if (!leftRoom.ok) failure ??= 'room_leave';
      }
    }
    return { success: failure === null, failure };
  }

  /**
   * With an HPB: WebSocket, hello, room; call join and flag change timed to the HPB event that shows
   * them; every Nth round a long stay that proves the HPB's pings keep the probe in GET /call.
   */
  private async hpbSteps(g: ProbeClient, token: string, sessionId: string, sd: SignalingSettings): Promise<{ success: boolean; failure: string | null }> {
    const ms = this.timeouts.total;
    const hpb = new HpbSession();
    let failure: string | null = null;
    let inCall = false;
    try {
      if (!this.hpbStep('connect', await hpb.open(sd.server ?? '', ms))) return { success: false, failure: 'hpb_connect' };
      const auth = { v1: { userid: sd.helloAuthParams?.['1.0']?.userid ?? null, ticket: sd.helloAuthParams?.['1.0']?.ticket ?? '' }, v2Token: sd.helloAuthParams?.['2.0']?.token ?? '' };
      if (!this.hpbStep('hello', await hpb.hello(this.target.url + Hpb.backendPath, auth, ms))) return { success: false, failure: 'hpb_hello' };
      if (!this.hpbStep('room', await hpb.request('room', { roomid: token, sessionid: sessionId }, ms))) return { success: false, failure: 'hpb_room' };
      const joinFlags = CallFlag.inCall | CallFlag.withAudio;
      const joinSeen = hpb.awaitFlags(joinFlags, ms);
      if (!(await this.run(g, 'call_join', { token, params: { flags: joinFlags } })).ok) return { success: false, failure: 'call_join' };
      inCall = true;
      if (!this.hpbStep('call_propagation', await joinSeen())) failure ??= 'hpb_call_propagation';
      const flags = joinFlags | CallFlag.withVideo;
      const flagsSeen = hpb.awaitFlags(flags, ms);
      if (!(await this.run(g, 'call_flags', { token, params: { flags } })).ok) return { success: false, failure: 'call_flags' };
      if (!this.hpbStep('flags_propagation', await flagsSeen())) failure ??= 'hpb_flags_propagation';
      // The first round is short, so that journey_success exists within one interval of the start;
      // the second and every Nth after it stay long enough to prove the HPB's pings.
      const round = this.rounds++;
      const every = this.hpbOptions.stayEvery;
      const stay = every > 0 && round % every === 1 % every;
      if (stay) await this.sleep(this.hpbOptions.staySeconds * 1000);
      const listed = await this.selfListed(g, token, sessionId);
      if (listed === null) return { success: false, failure: 'call_peers' };
      if (stay) this.metrics.hpbSelfListed.set({ target: this.target.name }, listed ? 1 : 0);
      if (!listed) failure ??= 'self_not_listed';
      if (hpb.unexpectedClose !== null) {
        this.metrics.hpbFailures.inc({ target: this.target.name, step: 'connect', code: hpb.unexpectedClose });
        failure ??= 'hpb_closed';
      }
      failure ??= await this.moderatorIfUser(token);
    } finally {
      if (inCall && !this.vanished) failure ??= await this.leaveCall(g, token);
      if (hpb.hpbSessionId !== null && !this.hpbStep('leave', await hpb.leave(ms))) failure ??= 'hpb_leave';
      hpb.close();
    }
    return { success: failure === null, failure };
  }

  /** `GET /call`: whether it lists this session; null when the request failed. */
  private async selfListed(g: ProbeClient, token: string, sessionId: string): Promise<boolean | null> {
    const peers = await this.run(g, 'call_peers', { token });
    if (!peers.ok) return null;
    const list = dataOf(peers);
    return Array.isArray(list) && list.some((p) => (p as { sessionId?: unknown }).sessionId === sessionId);
  }

  /** The moderator's steps when the target has a user (and no SIGTERM came): the failure, or null. */
  private moderatorIfUser(token: string): Promise<string | null> {
    return this.target.user !== null && !this.stopping ? this.moderatorSteps(token) : Promise.resolve(null);
  }

  /** Leaves the call: 'call_leave' when that failed, else null. */
  private async leaveCall(g: ProbeClient, token: string): Promise<string | null> {
    return (await this.run(g, 'call_leave', { token })).ok ? null : 'call_leave';
  }

  /** A wait that SIGTERM cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const end = Date.now() + ms;
      const tick = (): void => {
        if (this.stopping || Date.now() >= end) return resolve();
        setTimeout(tick, Math.min(250, end - Date.now())).unref();
      };
      tick();
    });
  }

  private async moderatorSteps(token: string): Promise<string | null> {
    const m = this.client(true);
    if (!(await this.run(m, 'room_join', { token })).ok) return 'room_join';
    try {
      if (!(await this.run(m, 'call_join', { token, params: { flags: CallFlag.inCall } })).ok) return 'call_join';
      const list = await this.run(m, 'room_participants', { token });
      if (!list.ok) return 'room_participants';
      const me = (dataOf(list) as { actorType?: string; actorId?: string; attendeeId?: number }[] | undefined)?.find(
        (p) => p.actorType === 'users' && p.actorId === this.target.user,
      );
      if (me?.attendeeId === undefined) return 'room_participants';
      if (!(await this.run(m, 'call_ring', { token, attendeeId: me.attendeeId })).ok) return 'call_ring';
      if (!(await this.run(m, 'call_leave', { token })).ok) return 'call_leave';
      return null;
    } finally {
      await this.run(m, 'room_leave', { token });
    }
  }

  /** Deletes the conversation the prober created. */
  async cleanup(): Promise<void> {
    if (!this.created || this.room === null) return;
    await this.run(this.client(true), 'room_delete', { token: this.room });
    this.created = false;
  }
}
