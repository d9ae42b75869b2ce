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
import { type StayContext, checkPeers, joinFlags, joinedCall, listsSelf } from '../lib/stay.ts';
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
  // Its body says whether the server has an HPB: read unless the run is told internal signaling.
  settings: kindOf(config.target, 'signaling_settings', { keepBody: config.signaling !== 'internal', tokenQuery: 'token' }),
  poll: kindOf(config.target, 'signaling_poll', { timeoutMs: Timeouts.signalingPollTimeoutSeconds * 1000 }),
  callJoin: kindOf(config.target, 'call_join', { alsoExpect: chaos('call_join'), checkBody: true }),
  peers: kindOf(config.target, 'call_peers', { keepBody: true, alsoExpect: chaos('call_peers') }),
  roomGet: kindOf(config.target, 'room_get', { keepBody: true }),
  flags: kindOf(config.target, 'call_flags', { alsoExpect: chaos('call_flags') }),
  callLeave: kindOf(config.target, 'call_leave'),
  send: kindOf(config.target, 'signaling_send'),
  roomLeave: kindOf(config.target, 'room_leave'),
};

/** Mute / unmute: a module constant, not a property read per flag change. */
const WITH_AUDIO = CallFlag.withAudio;

/** Failures in a row of this VU's journeys (each VU is its own JS runtime); see failurePauseMs. */
let failuresInARow = 0;

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
  const jitter = (ms: number): number => Math.round(ms * (0.8 + random() * 0.4));
  const c = TalkClient.guest(config.target, token);
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
  if (blocking) c.once(KIND.capabilities);
  else c.record(KIND.capabilities, await c.sendAsync(KIND.capabilities));
  const joined = blocking ? c.once(KIND.roomJoin) : c.record(KIND.roomJoin, await c.sendAsync(KIND.roomJoin));
  // Read once: each read of a k6 response's body converts the Go string again.
  const joinedBody = joined.status === 200 ? joined.body : undefined;
  const session = typeof joinedBody === 'string' ? joinedSession(joinedBody) : undefined;
  if (session === undefined) return done(false);
  c.joined = true;
  if (config.guestNames) {
    const name = { displayName: `talkload guest ${guestNo}` };
    if (blocking) c.once(KIND.guestName, name);
    else c.record(KIND.guestName, await c.sendAsync(KIND.guestName, name));
    if (c.vanished) return done(false);
  }
  const settings = blocking ? c.once(KIND.settings) : c.record(KIND.settings, await c.sendAsync(KIND.settings));
  const ctx: StayContext = { token, session, random, jitter, done };
  // With an HPB the guest signals over a WebSocket to it (auto: as the server's settings say).
  if (config.signaling !== 'internal') {
    const body = settings.body;
    if (config.signaling === 'hpb' || (typeof body === 'string' && body.includes('"signalingMode":"external"'))) {
      if (settings.status !== 200 || typeof body !== 'string') {
        // Leave the conversation the guest joined: a failed guest leaves no session behind.
        c.record(KIND.roomLeave, await c.sendAsync(KIND.roomLeave));
        return done(false);
      }
      return hpbStay(c, ctx, body);
    }
  }
  return internalStay(c, ctx);
}

/** Internal signaling: the long-poll loop runs beside the call for the whole stay. */
async function internalStay(c: TalkClient, { token, session, random, jitter, done }: StayContext): Promise<boolean> {
  const sessionId = session.id;
  const forms = session.forms;
  // The long-poll's state lives in variables the poll loop's closure shares with the stay, not in an
  // object: a local is an index in k6's JS engine, a property read a map lookup (issue 29).
  let stopping = false;
  /** Clock ms at which the latest long-poll (the ping) was sent, and the one before it. */
  let sentAt = Date.now();
  let previousSentAt = sentAt;
  /** Cuts a retry wait short when the journey ends. */
  let interrupt = null as (() => void) | null;
  /** A new long-poll the moment the previous one returns (this is the ping). */
  const pollLoop = async (): Promise<void> => {
    const sendPoll = c.request(KIND.poll).send;
    const quiet = KIND.poll.quiet;
    let failures = 0;
    while (!stopping) {
      previousSentAt = sentAt;
      sentAt = Date.now();
      const res = await sendPoll();
      const status = res.status;
      if (status !== quiet) c.record(KIND.poll, res);
      if (status === 200) {
        failures = 0;
        continue;
      }
      // The web client stops on these and retries anything else every 10 s, 30 times at most.
      if (status === 404 || status === 403 || status === 409) return;
      if (++failures >= 30) return;
      await new Promise<void>((resolve) => {
        interrupt = resolve;
        setTimeout(resolve, 10_000);
      });
      interrupt = null;
    }
  };
  const polling = pollLoop();

  let flags = joinFlags(random);
  let inCall = joinedCall(c, KIND.callJoin, await c.sendAsync(KIND.callJoin, { flags }));
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
  const sendPeers = c.request(KIND.peers).send;
  const sendRoom = config.chaos ? c.request(KIND.roomGet).send : null;
  const sendMute = c.request(KIND.flags, { flags: flags ^ WITH_AUDIO }).send;
  const sendUnmute = c.request(KIND.flags, { flags }).send;
  let muted = false;
  const { chaos: chaosOn } = config;
  const peersEvery = config.peersEvery * 1000;
  const flagsEvery = config.flagsEvery * 1000;
  const chatEvery = config.chatEvery * 1000;
  const peersQuiet = KIND.peers.quiet;
  const flagsQuiet = KIND.flags.quiet;
  // ±20 % like the other timers, so that guests who joined together do not all leave together.
  const leaveAt = Date.now() + jitter(config.stay * 1000);
  const chat = config.chat ? startChat(c, token, leaveAt, chaos('chat')) : null;

  // The stay written out, not through stay() and its plan of closures (issue 29): every JS step here
  // runs for most of the run's requests, and k6's engine pays for each call, closure and property
  // read. Peer polls and flag changes on their own jittered timers until the guest leaves.
  // Drawn in stay()'s order, so that a seeded run (TALK_SEED) keeps its guests' schedules.
  let nextFlags = Date.now() + jitter(flagsEvery);
  let nextPeers = Date.now() + jitter(peersEvery);
  let nextChat = chat !== null ? Date.now() + jitter(chatEvery) : Infinity;
  for (;;) {
    const wait = Math.min(nextFlags, nextPeers, nextChat, leaveAt) - Date.now();
    if (wait > 0) await delay(wait);
    // A guest whose session vanished (a 404 since the last look) stops here.
    const now = Date.now();
    if (now >= leaveAt || c.vanished) break;
    if (now >= nextPeers) {
      nextPeers = now + jitter(peersEvery);
      // The ping the server may be counting: the poll sent last, or the one before it when the last
      // left so recently that this request may overtake it (two connections, no order between them).
      const pingSentAt = now - sentAt < 1000 ? previousSentAt : sentAt;
      const peers = await sendPeers();
      const status = peers.status;
      if (status !== peersQuiet) c.record(KIND.peers, peers);
      if (!chaosOn) {
        if (status === 200) checkPeers(c, peers.body, forms, inCall, pingSentAt);
      } else if (inCall && (status === 412 || status === 403)) {
        // Lobby or read-only on: GET /call answers 412/403 to a guest it took out of the call.
        evicted(String(status));
      } else if (inCall && status === 200 && sendRoom !== null && !listsSelf(peers, session)) {
        // Off again before this poll: 200 without us. The room says whether we are still in the call
        // (participantFlags of our own session), as the web client learns it from its signaling.
        const room = c.record(KIND.roomGet, await sendRoom());
        if (room.status === 200 && ownCallFlags(room) === 0) evicted('flags_0');
        else checkPeers(c, peers.body, forms, inCall, pingSentAt);
      } else if (status === 200) {
        checkPeers(c, peers.body, forms, inCall, pingSentAt);
      }
    }
    if (now >= nextFlags) {
      nextFlags = now + jitter(flagsEvery);
      if (inCall) {
        flags ^= WITH_AUDIO; // mute / unmute
        const send = muted ? sendUnmute : sendMute;
        muted = !muted;
        const r = await send();
        if (r.status !== flagsQuiet) {
          c.record(KIND.flags, r);
          if (r.status === 400) evicted('400'); // not in the call any more (lobby, read-only)
        }
      } else if (chaosOn) {
        inCall = joinedCall(c, KIND.callJoin, await c.sendAsync(KIND.callJoin, { flags }));
      }
    }
    if (now >= nextChat && chat !== null) {
      nextChat = now + jitter(chatEvery);
      await chat.post();
    }
  }

  if (c.vanished) {
    // The session is gone: nothing to leave; stop the poll (it ends on its own 404) and the chat.
    stopping = true;
    interrupt?.();
    await chat?.done;
    await polling;
    return done(false);
  }
  c.record(KIND.callLeave, await c.sendAsync(KIND.callLeave));
  await chat?.done;
  // Stop the poll: a message to our own session ends the held request at its next 1 s tick.
  stopping = true;
  interrupt?.();
  const fn = JSON.stringify({ to: sessionId, type: 'leaving', payload: {} });
  c.record(KIND.send, await c.sendAsync(KIND.send, { messages: JSON.stringify([{ ev: 'message', fn, sessionId }]) }));
  await polling;
  if (!c.vanished) c.record(KIND.roomLeave, await c.sendAsync(KIND.roomLeave));
  return done(true);
}

/** `participantFlags` of the caller's own session in a room object it kept (0: not in the call). */
function ownCallFlags(room: TalkResponse): number | null {
  const data = ocsData(room) as { participantFlags?: unknown } | undefined;
  return typeof data?.participantFlags === 'number' ? data.participantFlags : null;
}
