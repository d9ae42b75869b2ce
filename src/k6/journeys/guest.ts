// The guest journey as the web client does it (reference section 5): capabilities, join the
// conversation, name, signaling settings, a signaling long-poll loop running for the whole stay
// beside the call actions, join the call, flag changes and peer polls, leave the call, stop the
// poll, leave the conversation.

import exec from 'k6/execution';
import { setTimeout } from 'k6/timers';
import { Timeouts } from '../../shared/constants.ts';
import { type JoinedSession, joinedSession } from '../../shared/ocs.ts';
import { seededRandom } from '../../shared/random.ts';
import { leavingMessages } from '../../shared/signaling.ts';
import { failurePauseMs } from '../../shared/backoff.ts';
import { config } from '../lib/env.ts';
import { delay } from '../lib/timers.ts';
import { mathRandom, min, now, round } from '../lib/builtins.ts';
import { metrics } from '../lib/metrics.ts';
import { type TalkResponse, TalkClient, kindOf, ocsData } from '../lib/talk-client.ts';
import { WITH_AUDIO, checkPeers, joinFlags, joinedCall, listsSelf } from '../lib/stay.ts';
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

// The guest's requests, worked out once per VU (issue 29: a dozen per guest): a guest fills in its
// token, values and jar. Module constants, like the run's settings below them: what every guest
// reads is an index in k6's JS engine, not a property looked up by name (see lib/builtins.ts).
const TARGET = config.target;
const CAPABILITIES = kindOf(TARGET, 'capabilities');
const ROOM_JOIN = kindOf(TARGET, 'room_join', { checkBody: true });
const GUEST_NAME = kindOf(TARGET, 'guest_name');
// Its body says whether the server has an HPB: read unless the run is told internal signaling.
const SETTINGS = kindOf(TARGET, 'signaling_settings', { keepBody: config.signaling !== 'internal', tokenQuery: 'token' });
const POLL = kindOf(TARGET, 'signaling_poll', { timeoutMs: Timeouts.signalingPollTimeoutSeconds * 1000 });
const CALL_JOIN = kindOf(TARGET, 'call_join', { alsoExpect: chaos('call_join'), checkBody: true });
const PEERS = kindOf(TARGET, 'call_peers', { keepBody: true, alsoExpect: chaos('call_peers') });
const ROOM_GET = kindOf(TARGET, 'room_get', { keepBody: true });
const FLAGS = kindOf(TARGET, 'call_flags', { alsoExpect: chaos('call_flags') });
const CALL_LEAVE = kindOf(TARGET, 'call_leave');
const SEND = kindOf(TARGET, 'signaling_send');
const ROOM_LEAVE = kindOf(TARGET, 'room_leave');
const POLL_QUIET = POLL.quiet;
const PEERS_QUIET = PEERS.quiet;
const FLAGS_QUIET = FLAGS.quiet;

const { chaos: CHAOS_ON, seed: SEED, signaling: SIGNALING, guestNames: GUEST_NAMES, guestsPerVu: GUESTS_PER_VU } = config;
const STAY_MS = config.stay * 1000;
const PEERS_EVERY_MS = config.peersEvery * 1000;
const FLAGS_EVERY_MS = config.flagsEvery * 1000;
const CHAT_EVERY_MS = config.chatEvery * 1000;
const CHAT = config.chat;
// k6's metric `add` is a Go function bound to its metric: taken once, no lookup per sample.
const addJourneySuccess = metrics.journeySuccess.add;
const addJourneyEnded = metrics.journeysEnded.add;
const addJourneyDuration = metrics.journeyDuration.add;
const addCallJoin = metrics.callJoins.add;

/**
 * Whether a guest keeps a cookie jar of its own, or uses its VU's (k6 gives each iteration a new
 * one): its own when a VU carries several guests at once, or when k6 keeps the VU's cookies from
 * one iteration to the next (`--no-cookies-reset`). Known at a VU's first guest (k6 shows the
 * options only outside the init context).
 */
let ownJar: boolean | null = null;

/** This VU has not started a guest yet (its first iteration: k6's `exec.vu` builds an object per read). */
let firstGuest = true;

/** Failures in a row of this VU's journeys (each VU is its own JS runtime); see failurePauseMs. */
let failuresInARow = 0;

/**
 * A VU carries `guestsPerVu` guests at once (k6's async API: every step awaits, nothing blocks the
 * VU's event loop), each with its own cookie jar: one JS runtime per guest costs about 1 MB, which
 * is what limits how many guests one machine holds.
 */
export async function guestJourneys(data: SetupData): Promise<void> {
  const k = GUESTS_PER_VU;
  const base = exec.scenario.iterationInTest * k;
  if (ownJar === null) ownJar = k > 1 || exec.test.options.noCookiesReset === true;
  // Constant-VU profiles start every VU at the same instant: a first wave of joins at once that
  // measures the burst, not the endpoint (beside a CPU hog, the A/B gate's call_join medians moved
  // by 9 ms from round to round with it, issue 16). The first guests arrive over the first second.
  const first = firstGuest;
  firstGuest = false;
  if (first && (config.profile === 'smoke' || config.profile === 'soak')) {
    const random = SEED ? seededRandom(SEED * 7919 + exec.vu.idInTest) : mathRandom;
    await delay(round(random() * min(1000, STAY_MS / 2)));
  }
  const started = now();
  let ok: boolean;
  if (k === 1) ok = await guestJourney(data, base);
  else {
    // Staggered so that a VU's guests do not join in the same millisecond.
    const journeys = [guestJourney(data, base)];
    for (let i = 1; i < k; i++) journeys.push(delay(i * 200).then(() => guestJourney(data, base + i)));
    ok = (await Promise.all(journeys)).every(Boolean);
  }
  failuresInARow = ok ? 0 : failuresInARow + 1;
  const pause = failurePauseMs(failuresInARow, now() - started, STAY_MS, mathRandom);
  if (pause > 0) await delay(pause);
}

/** One guest's journey; true when it went as expected. */
export async function guestJourney(data: SetupData, guestNo: number): Promise<boolean> {
  const started = now();
  // Arrival-rate VUs are reused across guests, so spread by guest number, not by VU.
  const rooms = data.rooms;
  const token = rooms[guestNo % rooms.length]!;
  // Seeded runs (TALK_SEED) make the same choices per guest, so CI runs are comparable.
  const random = SEED ? seededRandom(SEED * 1_000_003 + guestNo) : mathRandom;
  /** ±20 % so that a thousand guests do not act in lockstep; whole ms, as k6 timers count them. */
  const jitter = (ms: number): number => round(ms * (0.8 + random() * 0.4));
  // A guest alone on its VU (and k6 resetting cookies) uses the VU's jar: see `ownJar`.
  const c = TalkClient.guest(TARGET, token, ownJar !== false);
  const done = (ok: boolean): boolean => {
    const success = ok && c.unexpected === 0 && !c.vanished;
    addJourneySuccess(success);
    addJourneyEnded(1);
    addJourneyDuration(now() - started);
    return success;
  };

  // Until the long-poll starts, a guest alone on its VU has nothing to run beside its requests, and
  // a blocking request costs k6 less than an async one (no promise, no event-loop round trip), and
  // is not awaited (an await of a value that is already there still costs a promise job).
  const blocking = GUESTS_PER_VU === 1;
  if (blocking) CAPABILITIES.once(c);
  else CAPABILITIES.record(c, await CAPABILITIES.sendAsync(c));
  const joined = blocking ? ROOM_JOIN.once(c) : ROOM_JOIN.record(c, await ROOM_JOIN.sendAsync(c));
  // Read once: each read of a k6 response's body converts the Go string again.
  const joinedBody = joined.status === 200 ? joined.body : undefined;
  const session = typeof joinedBody === 'string' ? joinedSession(joinedBody) : undefined;
  if (session === undefined) return done(false);
  c.joined = true;
  if (GUEST_NAMES) {
    const name = { displayName: `talkload guest ${guestNo}` };
    if (blocking) GUEST_NAME.once(c, name);
    else GUEST_NAME.record(c, await GUEST_NAME.sendAsync(c, name));
    if (c.vanished) return done(false);
  }
  const settings = blocking ? SETTINGS.once(c) : SETTINGS.record(c, await SETTINGS.sendAsync(c));
  // With an HPB the guest signals over a WebSocket to it (auto: as the server's settings say).
  if (SIGNALING !== 'internal') {
    const body = settings.body;
    if (SIGNALING === 'hpb' || (typeof body === 'string' && body.includes('"signalingMode":"external"'))) {
      if (settings.status !== 200 || typeof body !== 'string') {
        // Leave the conversation the guest joined: a failed guest leaves no session behind.
        ROOM_LEAVE.record(c, await ROOM_LEAVE.sendAsync(c));
        return done(false);
      }
      return hpbStay(c, { token, session, random, jitter, done }, body);
    }
  }
  return internalStay(c, token, session, random, jitter, done);
}

/** Internal signaling: the long-poll loop runs beside the call for the whole stay. */
async function internalStay(
  c: TalkClient,
  token: string,
  session: JoinedSession,
  random: () => number,
  jitter: (ms: number) => number,
  done: (ok: boolean) => boolean,
): Promise<boolean> {
  const sessionId = session.id;
  const forms = session.forms;
  // The stay's state lives in variables its closures share, not in an object: a local is an index
  // in k6's JS engine, a property read a lookup by name (issue 29).
  let stopping = false;
  /** Clock ms at which the latest long-poll (the ping) was sent, and the one before it. */
  let sentAt = now();
  let previousSentAt = sentAt;
  /** Cuts a retry wait short when the journey ends. */
  let interrupt = null as (() => void) | null;
  /** A new long-poll the moment the previous one returns (this is the ping). */
  const pollLoop = async (): Promise<void> => {
    const sendPoll = POLL.sender(c);
    let failures = 0;
    while (!stopping) {
      previousSentAt = sentAt;
      sentAt = now();
      const res = await sendPoll();
      const status = res.status;
      if (status !== POLL_QUIET) POLL.record(c, res);
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
  let inCall = joinedCall(c, CALL_JOIN, await CALL_JOIN.sendAsync(c, { flags }));
  if (inCall) addCallJoin(1);
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
  const sendPeers = PEERS.sender(c);
  const sendRoom = CHAOS_ON ? ROOM_GET.sender(c) : null;
  const sendMute = FLAGS.sender(c, { flags: flags ^ WITH_AUDIO });
  const sendUnmute = FLAGS.sender(c, { flags });
  let muted = false;
  // ±20 % like the other timers, so that guests who joined together do not all leave together.
  const leaveAt = now() + jitter(STAY_MS);
  const chat = CHAT ? startChat(c, token, leaveAt, chaos('chat')) : null;

  // The stay written out, not through stay() and its plan of closures (issue 29): every JS step here
  // runs for most of the run's requests, and k6's engine pays for each call, closure and property
  // read. Peer polls and flag changes on their own jittered timers until the guest leaves.
  // Drawn in stay()'s order, so that a seeded run (TALK_SEED) keeps its guests' schedules.
  let nextFlags = now() + jitter(FLAGS_EVERY_MS);
  let nextPeers = now() + jitter(PEERS_EVERY_MS);
  let nextChat = chat !== null ? now() + jitter(CHAT_EVERY_MS) : Infinity;
  for (;;) {
    const wait = min(nextFlags, nextPeers, nextChat, leaveAt) - now();
    if (wait > 0) await delay(wait);
    // A guest whose session vanished (a 404 since the last look) stops here.
    const at = now();
    if (at >= leaveAt || c.vanished) break;
    if (at >= nextPeers) {
      nextPeers = at + jitter(PEERS_EVERY_MS);
      // The ping the server may be counting: the poll sent last, or the one before it when the last
      // left so recently that this request may overtake it (two connections, no order between them).
      const pingSentAt = at - sentAt < 1000 ? previousSentAt : sentAt;
      const peers = await sendPeers();
      const status = peers.status;
      if (status !== PEERS_QUIET) PEERS.record(c, peers);
      if (!CHAOS_ON) {
        if (status === 200) checkPeers(c, peers.body, forms, inCall, pingSentAt);
      } else if (inCall && (status === 412 || status === 403)) {
        // Lobby or read-only on: GET /call answers 412/403 to a guest it took out of the call.
        evicted(String(status));
      } else if (inCall && status === 200 && sendRoom !== null && !listsSelf(peers, session)) {
        // Off again before this poll: 200 without us. The room says whether we are still in the call
        // (participantFlags of our own session), as the web client learns it from its signaling.
        const room = ROOM_GET.record(c, await sendRoom());
        if (room.status === 200 && ownCallFlags(room) === 0) evicted('flags_0');
        else checkPeers(c, peers.body, forms, inCall, pingSentAt);
      } else if (status === 200) {
        checkPeers(c, peers.body, forms, inCall, pingSentAt);
      }
    }
    if (at >= nextFlags) {
      nextFlags = at + jitter(FLAGS_EVERY_MS);
      if (inCall) {
        flags ^= WITH_AUDIO; // mute / unmute
        const send = muted ? sendUnmute : sendMute;
        muted = !muted;
        const r = await send();
        if (r.status !== FLAGS_QUIET) {
          FLAGS.record(c, r);
          if (r.status === 400) evicted('400'); // not in the call any more (lobby, read-only)
        }
      } else if (CHAOS_ON) {
        inCall = joinedCall(c, CALL_JOIN, await CALL_JOIN.sendAsync(c, { flags }));
      }
    }
    if (at >= nextChat && chat !== null) {
      nextChat = at + jitter(CHAT_EVERY_MS);
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
  CALL_LEAVE.record(c, await CALL_LEAVE.sendAsync(c));
  await chat?.done;
  // Stop the poll: a message to our own session ends the held request at its next 1 s tick.
  stopping = true;
  interrupt?.();
  SEND.record(c, await SEND.sendAsync(c, { messages: leavingMessages(sessionId) }));
  await polling;
  if (!c.vanished) ROOM_LEAVE.record(c, await ROOM_LEAVE.sendAsync(c));
  return done(true);
}

/** `participantFlags` of the caller's own session in a room object it kept (0: not in the call). */
function ownCallFlags(room: TalkResponse): number | null {
  const data = ocsData(room) as { participantFlags?: unknown } | undefined;
  return typeof data?.participantFlags === 'number' ? data.participantFlags : null;
}
