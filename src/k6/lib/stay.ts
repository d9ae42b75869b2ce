// The stay in the call, whatever the signaling: peer polls and flag changes on their own jittered
// timers until the guest leaves. The journeys say what a poll and a flag change are.

import { CallFlag, Timeouts } from '../../shared/constants.ts';
import { type JoinedSession, listsSession, looksLikeOcs, sessionsIn } from '../../shared/ocs.ts';
import { metrics } from './metrics.ts';
import type { Kind, TalkClient, TalkResponse } from './talk-client.ts';
import { delay } from './timers.ts';
import { min, now } from './builtins.ts';

export interface StayPlan {
  /** Clock ms at which the guest leaves. */
  readonly leaveAt: number;
  /** ms until the next peer poll / flag change, drawn again after each. */
  readonly nextPeersIn: () => number;
  readonly nextFlagsIn: () => number;
  readonly peers: () => Promise<void>;
  readonly flags: () => Promise<void>;
  /** The stay ends early (the guest's session vanished). */
  readonly stopped?: () => boolean;
  /** The chat beside the call (`--chat`): a message now and then. */
  readonly chat?: { readonly nextIn: () => number; readonly post: () => Promise<void> };
}

export async function stay(p: StayPlan): Promise<void> {
  // The plan read once, not on every tick: a property read is a lookup by name in k6's JS engine.
  const { leaveAt, nextPeersIn, nextFlagsIn, peers, flags, stopped, chat } = p;
  const nextChatIn = chat?.nextIn;
  const post = chat?.post;
  let nextFlags = now() + nextFlagsIn();
  let nextPeers = now() + nextPeersIn();
  let nextChat = nextChatIn !== undefined ? now() + nextChatIn() : Infinity;
  while (now() < leaveAt && !stopped?.()) {
    const wait = min(nextFlags, nextPeers, nextChat, leaveAt) - now();
    if (wait > 0) await delay(wait);
    const at = now();
    if (at >= leaveAt || stopped?.()) break;
    if (at >= nextPeers) {
      nextPeers = at + nextPeersIn();
      await peers();
    }
    if (at >= nextFlags) {
      nextFlags = at + nextFlagsIn();
      await flags();
    }
    if (post !== undefined && nextChatIn !== undefined && at >= nextChat) {
      nextChat = at + nextChatIn();
      await post();
    }
  }
}

/** What both stays need from the journey's start. */
export interface StayContext {
  readonly token: string;
  readonly session: JoinedSession;
  readonly random: () => number;
  /** ±20 % around a number of ms, in whole ms (the config's seconds times 1000: the same draws). */
  readonly jitter: (ms: number) => number;
  /** Records the journey's end; returns whether it succeeded. */
  readonly done: (ok: boolean) => boolean;
}

/** Mute / unmute toggles this flag: a module constant, not a property read per flag change. */
export const WITH_AUDIO = CallFlag.withAudio;
const WITH_VIDEO = CallFlag.inCall | CallFlag.withAudio | CallFlag.withVideo;
const AUDIO_ONLY = CallFlag.inCall | CallFlag.withAudio;

/** Half the guests join with video, all with audio (the web client's default is 7). */
export const joinFlags = (random: () => number): number => (random() < 0.5 ? WITH_VIDEO : AUDIO_ONLY);

/**
 * Past this age of its last ping (ms between sending the ping and receiving the peer list) the server
 * may rightly leave a session out: it lists sessions pinged within 30 s, counted in whole seconds.
 */
export const PING_EDGE_MS = (Timeouts.peerListSeconds - 1) * 1000;

// The peer check's metrics, looked up once (each property read is a lookup by name in k6's JS
// engine): k6's metric `add` is a Go function bound to its metric.
const addPeersSeen = metrics.peersSeen.add;
const addSelfListed = metrics.selfListed.add;
const addSelfListedPingEdge = metrics.selfListedPingEdge.add;

/**
 * The body of a peer poll that answered 200: how many peers, and (in the call) whether it lists this
 * guest (its session id as the server writes it, `forms`). `pingSentAt` (internal signaling: the
 * clock ms at which the long-poll that pinged last was sent): a guest left out while its poll was
 * between two requests is at the server's 30 s edge, counted apart, since a real server does the same.
 */
export function checkPeers(c: TalkClient, body: unknown, forms: readonly string[], inCall: boolean, pingSentAt = Infinity): void {
  if (typeof body !== 'string') return;
  // A body that cannot be read is bad_body on call_peers (issue 24 item 10), not a guest missing.
  if (!looksLikeOcs(body)) {
    c.recordBadBody('call_peers');
    return;
  }
  addPeersSeen(sessionsIn(body));
  if (!inCall) return;
  // Our own session must be listed while we are in the call (the 30 s lastPing window).
  if (listsSession(body, forms)) addSelfListed(true);
  else if (now() - pingSentAt > PING_EDGE_MS) addSelfListedPingEdge(1);
  else addSelfListed(false);
}

/** Whether a call join's answer (recorded here) put the guest in the call: 200 with a whole OCS body. */
export function joinedCall(c: TalkClient, k: Kind, res: TalkResponse): boolean {
  const r = k.record(c, res);
  return r.status === 200 && !c.badBody(r);
}

/** Whether the guest's own session is listed in a peer list it kept. */
export function listsSelf(peers: TalkResponse, session: JoinedSession): boolean {
  return typeof peers.body === 'string' && listsSession(peers.body, session.forms);
}
