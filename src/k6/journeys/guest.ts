// The guest journey as the web client does it (reference section 5): capabilities, join the
// conversation, name, signaling settings, a signaling long-poll loop running for the whole stay
// beside the call actions, join the call, flag changes and peer polls, leave the call, stop the
// poll, leave the conversation.

import exec from 'k6/execution';
import { setTimeout } from 'k6/timers';
import { CallFlag, Timeouts } from '../../shared/constants.ts';
import { joinedSession } from '../../shared/ocs.ts';
import { seededRandom } from '../../shared/random.ts';
import { failurePauseMs } from '../../shared/backoff.ts';
import { config } from '../lib/env.ts';
import { delay } from '../lib/timers.ts';
import { metrics } from '../lib/metrics.ts';
import { type TalkResponse, TalkClient, kindOf, ocsData } from '../lib/talk-client.ts';
import { type StayContext, checkPeers, joinFlags, listsSelf } from '../lib/stay.ts';
import { hpbStay } from './guest-hpb.ts';
import { startChat } from '../lib/chat.ts';
import type { SetupData } from '../lib/rooms.ts';


/** With the moderator toggling lobby and read-only, these answers are the point, not errors. */
const CHAOS = {
  call_join: [403, 412],
  call_peers: [403, 412],
  call_flags: [400],
  chat: [403, 412],
} as const;
const chaos = (id: keyof typeof CHAOS): readonly number[] => (config.chaos ? CHAOS[id] : []);

/**
 * The guest's requests, worked out once per VU (issue 29: a dozen per guest, and k6's engine pays
 * for every JS step): a guest fills in its token, values and jar.
 */
const KIND = {
  capabilities: kindOf(config.target, 'capabilities'),
  roomJoin: kindOf(config.target, 'room_join', { checkBody: true }),
  guestName: kindOf(config.target, 'guest_name'),
  settings: kindOf(config.target, 'signaling_settings', { keepBody: true }),
  poll: kindOf(config.target, 'signaling_poll', { timeoutMs: Timeouts.signalingPollTimeoutSeconds * 1000 }),
  callJoin: kindOf(config.target, 'call_join', { alsoExpect: chaos('call_join'), checkBody: true }),
  peers: kindOf(config.target, 'call_peers', { keepBody: true, alsoExpect: chaos('call_peers') }),
  roomGet: kindOf(config.target, 'room_get', { keepBody: true }),
  flags: kindOf(config.target, 'call_flags', { alsoExpect: chaos('call_flags') }),
  callLeave: kindOf(config.target, 'call_leave'),
  send: kindOf(config.target, 'signaling_send'),
  roomLeave: kindOf(config.target, 'room_leave'),
};

/** Failures in a row of this VU's journeys (each VU is its own JS runtime); see failurePauseMs. */
let failuresInARow = 0;

interface PollState {
  stopping: boolean;
  /** Clock ms at which the latest long-poll (the ping) was sent, and the one before it. */
  sentAt: number;
  previousSentAt: number;
  /** Cuts a retry wait short when the journey ends. */
  interrupt: (() => void) | null;
}

/** Internal signaling: a new long-poll the moment the previous one returns (this is the ping). */
async function pollLoop(c: TalkClient, token: string, state: PollState): Promise<void> {
  const poll = c.request(KIND.poll, token);
  let failures = 0;
  while (!state.stopping) {
    state.previousSentAt = state.sentAt;
    state.sentAt = Date.now();
    const res = await c.fire(poll);
    if (res.status !== KIND.poll.quiet) c.record(KIND.poll, res);
    if (res.status === 200) {
      failures = 0;
      continue;
    }
    // The web client stops on these and retries anything else every 10 s, 30 times at most.
    if (res.status === 404 || res.status === 403 || res.status === 409) return;
    if (++failures >= 30) return;
    await new Promise<void>((resolve) => {
      state.interrupt = resolve;
      setTimeout(resolve, 10_000);
    });
    state.interrupt = null;
  }
}

/**
 * A VU carries `guestsPerVu` guests at once (k6's async API: every step awaits, nothing blocks the
 * VU's event loop), each with its own cookie jar: one JS runtime per guest costs about 1 MB, which
 * is what limits how many guests one machine holds.
 */
export async function guestJourneys(data: SetupData): Promise<void> {
  const k = config.guestsPerVu;
  const base = exec.scenario.iterationInTest * k;
  // Constant-VU profiles start every VU at the same instant: a first wave of joins at once that
  // measures the burst, not the endpoint (beside a CPU hog, the A/B gate's call_join medians moved
  // by 9 ms from round to round with it, issue 16). The first guests arrive over the first second.
  if (exec.vu.iterationInScenario === 0 && (config.profile === 'smoke' || config.profile === 'soak')) {
    const random = config.seed ? seededRandom(config.seed * 7919 + exec.vu.idInTest) : Math.random;
    await delay(Math.round(random() * Math.min(1000, config.stay * 500)));
  }
  const started = Date.now();
  let ok: boolean;
  if (k === 1) ok = await guestJourney(data, base);
  else {
    // Staggered so that a VU's guests do not join in the same millisecond.
    const journeys = [guestJourney(data, base)];
    for (let i = 1; i < k; i++) journeys.push(delay(i * 200).then(() => guestJourney(data, base + i)));
    ok = (await Promise.all(journeys)).every(Boolean);
  }
  failuresInARow = ok ? 0 : failuresInARow + 1;
  const pause = failurePauseMs(failuresInARow, Date.now() - started, config.stay * 1000, Math.random);
  if (pause > 0) await delay(pause);
}

/** One guest's journey; true when it went as expected. */
export async function guestJourney(data: SetupData, guestNo: number): Promise<boolean> {
  const started = Date.now();
  // Arrival-rate VUs are reused across guests, so spread by guest number, not by VU.
  const token = data.rooms[guestNo % data.rooms.length]!;
  // Seeded runs (TALK_SEED) make the same choices per guest, so CI runs are comparable.
  const random = config.seed ? seededRandom(config.seed * 1_000_003 + guestNo) : Math.random;
  /** ±20 % so that a thousand guests do not act in lockstep; whole ms, as k6 timers count them. */
  const jitter = (seconds: number): number => Math.round(seconds * 1000 * (0.8 + random() * 0.4));
  const c = new TalkClient(config.target);
  const done = (ok: boolean): boolean => {
    const success = ok && c.unexpected === 0 && !c.vanished;
    metrics.journeySuccess.add(success);
    metrics.journeysEnded.add(1);
    metrics.journeyDuration.add(Date.now() - started);
    return success;
  };

  // Until the long-poll starts, a guest alone on its VU has nothing to run beside its requests, and
  // a blocking request costs k6 less than an async one (no promise, no event-loop round trip), and
  // is not awaited (an await of a value that is already there still costs a promise job).
  const blocking = config.guestsPerVu === 1;
  if (blocking) c.once(KIND.capabilities, token);
  else await c.onceAsync(KIND.capabilities, token);
  const joined = blocking ? c.once(KIND.roomJoin, token) : await c.onceAsync(KIND.roomJoin, token);
  const session = joined.status === 200 && typeof joined.body === 'string' ? joinedSession(joined.body) : undefined;
  if (session === undefined) return done(false);
  c.joined = true;
  if (config.guestNames) {
    const name = { displayName: `talkload guest ${guestNo}` };
    if (blocking) c.once(KIND.guestName, token, name);
    else await c.onceAsync(KIND.guestName, token, name);
    if (c.vanished) return done(false);
  }
  const settings = blocking ? c.once(KIND.settings, token, { token }) : await c.onceAsync(KIND.settings, token, { token });
  const ctx: StayContext = { token, session, random, jitter, done };
  // With an HPB the guest signals over a WebSocket to it (auto: as the server's settings say).
  const external = typeof settings.body === 'string' && settings.body.includes('"signalingMode":"external"');
  if (config.signaling === 'hpb' || (config.signaling === 'auto' && external)) {
    if (settings.status !== 200 || typeof settings.body !== 'string') {
      // Leave the conversation the guest joined: a failed guest leaves no session behind.
      await c.onceAsync(KIND.roomLeave, token);
      return done(false);
    }
    return hpbStay(c, ctx, settings.body);
  }
  return internalStay(c, ctx);
}

/** Internal signaling: the long-poll loop runs beside the call for the whole stay. */
async function internalStay(c: TalkClient, { token, session, random, jitter, done }: StayContext): Promise<boolean> {
  const sessionId = session.id;
  const state: PollState = { stopping: false, sentAt: Date.now(), previousSentAt: Date.now(), interrupt: null };
  const polling = pollLoop(c, token, state);

  let flags = joinFlags(random);
  const joinCall = (): Promise<boolean> => c.onceAsync(KIND.callJoin, token, { flags }).then((r) => r.status === 200 && !c.badBody(r));
  let inCall = await joinCall();
  if (inCall) metrics.callJoins.add(1);
  /**
   * The room took the guest out of the call (lobby, read-only: issue 24 item 3). Out of the call
   * until it joins again; it tries again at its next flag change, as the web client rejoins when the
   * room allows it, and its peer polls meanwhile do not look for its own session.
   */
  const evicted = (reason: string): void => {
    inCall = false;
    metrics.evicted.add(1, { reason });
  };

  // The requests that repeat during the stay, prepared once: mute and unmute alternate.
  const peersRequest = c.request(KIND.peers, token);
  const roomRequest = config.chaos ? c.request(KIND.roomGet, token) : null;
  const muteRequest = c.request(KIND.flags, token, { flags: flags ^ CallFlag.withAudio });
  const unmuteRequest = c.request(KIND.flags, token, { flags });
  let muted = false;
  const { peersEvery, flagsEvery, chatEvery, chaos: chaosOn } = config;
  const peersQuiet = KIND.peers.quiet;
  const flagsQuiet = KIND.flags.quiet;
  // ±20 % like the other timers, so that guests who joined together do not all leave together.
  const leaveAt = Date.now() + jitter(config.stay);
  const chat = config.chat ? startChat(c, token, leaveAt, chaos('chat')) : null;

  // The stay written out, not through stay() and its plan of closures (issue 29): every JS step here
  // runs for most of the run's requests, and k6's engine pays for each call, closure and property
  // read. Peer polls and flag changes on their own jittered timers until the guest leaves.
  // Drawn in stay()'s order, so that a seeded run (TALK_SEED) keeps its guests' schedules.
  let nextFlags = Date.now() + jitter(flagsEvery);
  let nextPeers = Date.now() + jitter(peersEvery);
  let nextChat = chat !== null ? Date.now() + jitter(chatEvery) : Infinity;
  while (!c.vanished) {
    const wait = Math.min(nextFlags, nextPeers, nextChat, leaveAt) - Date.now();
    if (wait > 0) await delay(wait);
    const now = Date.now();
    if (now >= leaveAt || c.vanished) break;
    if (now >= nextPeers) {
      nextPeers = now + jitter(peersEvery);
      // The ping the server may be counting: the poll sent last, or the one before it when the last
      // left so recently that this request may overtake it (two connections, no order between them).
      const pingSentAt = now - state.sentAt < 1000 ? state.previousSentAt : state.sentAt;
      const peers = await c.fire(peersRequest);
      if (peers.status !== peersQuiet) c.record(KIND.peers, peers);
      if (!chaosOn) {
        checkPeers(c, peers, session, inCall, Date.now() - pingSentAt);
      } else if (inCall && (peers.status === 412 || peers.status === 403)) {
        // Lobby or read-only on: GET /call answers 412/403 to a guest it took out of the call.
        evicted(String(peers.status));
      } else if (inCall && peers.status === 200 && roomRequest !== null && !listsSelf(peers, session)) {
        // Off again before this poll: 200 without us. The room says whether we are still in the call
        // (participantFlags of our own session), as the web client learns it from its signaling.
        const room = c.record(KIND.roomGet, await c.fire(roomRequest));
        if (room.status === 200 && ownCallFlags(room) === 0) evicted('flags_0');
        else checkPeers(c, peers, session, inCall, Date.now() - pingSentAt);
      } else {
        checkPeers(c, peers, session, inCall, Date.now() - pingSentAt);
      }
    }
    if (now >= nextFlags) {
      nextFlags = now + jitter(flagsEvery);
      if (inCall) {
        flags ^= CallFlag.withAudio; // mute / unmute
        const request = muted ? unmuteRequest : muteRequest;
        muted = !muted;
        const r = await c.fire(request);
        if (r.status !== flagsQuiet) {
          c.record(KIND.flags, r);
          if (r.status === 400) evicted('400'); // not in the call any more (lobby, read-only)
        }
      } else if (chaosOn) {
        inCall = await joinCall();
      }
    }
    if (now >= nextChat && chat !== null) {
      nextChat = now + jitter(chatEvery);
      await chat.post();
    }
  }

  if (c.vanished) {
    // The session is gone: nothing to leave; stop the poll (it ends on its own 404) and the chat.
    state.stopping = true;
    state.interrupt?.();
    await chat?.done;
    await polling;
    return done(false);
  }
  await c.onceAsync(KIND.callLeave, token);
  await chat?.done;
  // Stop the poll: a message to our own session ends the held request at its next 1 s tick.
  state.stopping = true;
  state.interrupt?.();
  const fn = JSON.stringify({ to: sessionId, type: 'leaving', payload: {} });
  await c.onceAsync(KIND.send, token, { messages: JSON.stringify([{ ev: 'message', fn, sessionId }]) });
  await polling;
  if (!c.vanished) await c.onceAsync(KIND.roomLeave, token);
  return done(true);
}

/** `participantFlags` of the caller's own session in a room object it kept (0: not in the call). */
function ownCallFlags(room: TalkResponse): number | null {
  const data = ocsData(room) as { participantFlags?: unknown } | undefined;
  return typeof data?.participantFlags === 'number' ? data.participantFlags : null;
}
