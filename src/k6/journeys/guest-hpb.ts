// The guest journey's stay with an HPB (external signaling), as the web client does it: a WebSocket
// to the HPB, hello (v2 with Talk's JWT when the HPB offers hello-v2, else v1 with the ticket), the
// room joined with the Talk session id, then the call over OCS while the HPB events tell how long
// the others take to learn of each change (propagation). The peer polls keep checking that the guest
// is listed: with an HPB that proves the HPB's pings reach Talk. Nothing here blocks the VU.

import { Hpb } from '../../shared/constants.ts';
import { inCallReader, stringField } from '../../shared/hpb-protocol.ts';
import { config } from '../lib/env.ts';
import { HpbConnection, handshakeTurn, hpbClientUrl } from '../lib/hpb.ts';
import { metrics } from '../lib/metrics.ts';
import { type StayContext, WITH_AUDIO, checkPeers, joinFlags, joinedCall, stay } from '../lib/stay.ts';
import { type TalkClient, kindOf } from '../lib/talk-client.ts';
import { startChat } from '../lib/chat.ts';

/** The HPB guest's call requests, worked out once per VU (issue 29; see guest.ts), at its first HPB stay. */
function hpbKinds() {
  return {
    callJoin: kindOf(config.target, 'call_join', { checkBody: true }),
    peers: kindOf(config.target, 'call_peers', { keepBody: true }),
    flags: kindOf(config.target, 'call_flags'),
    callLeave: kindOf(config.target, 'call_leave'),
    roomLeave: kindOf(config.target, 'room_leave'),
  };
}
/** Not made in a VU of a run with internal signaling: kinds are functions in every VU's memory. */
let kinds: ReturnType<typeof hpbKinds> | null = null;

/** How long a change may take to reach the guest before it counts as lost. */
const PROPAGATION_MS = 10_000;
const ANSWER_MS = 10_000;
/** Whether the last welcome this VU received offered hello v2 (null: none yet). */
let welcomeOffersV2: boolean | null = null;

interface Settings {
  signalingMode?: string;
  server?: string;
  helloAuthParams?: { '1.0'?: { userid?: string | null; ticket?: string }; '2.0'?: { token?: string } };
}

export async function hpbStay(c: TalkClient, { token, session, random, jitter, done }: StayContext, settingsBody: string): Promise<boolean> {
  const KIND = (kinds ??= hpbKinds());
  let settings: Settings | undefined;
  try {
    settings = (JSON.parse(settingsBody) as { ocs?: { data?: Settings } }).ocs?.data;
  } catch {
    settings = undefined;
  }
  if (settings?.signalingMode !== 'external' || typeof settings.server !== 'string' || settings.server === '') {
    metrics.hpbUnexpected.add(1, { step: 'settings', code: settings ? `mode_${settings.signalingMode ?? 'none'}` : 'bad_body' });
    KIND.roomLeave.record(c, await KIND.roomLeave.sendAsync(c));
    return done(false);
  }
  const release = await handshakeTurn();
  const conn = new HpbConnection(hpbClientUrl(settings.server));
  /** A guest whose HPB step failed leaves the conversation it joined (no session left behind). */
  const finish = async (ok: boolean): Promise<boolean> => {
    release();
    conn.close();
    if (!c.vanished) KIND.roomLeave.record(c, await KIND.roomLeave.sendAsync(c));
    return done(ok && conn.failures === 0);
  };
  if (!(await conn.opened)) {
    conn.fail('connect', 'connect_failed');
    return finish(false);
  }
  const welcome = await conn.welcome;
  if (welcome === null && !conn.welcomeMissing) {
    conn.missedWelcome();
    return finish(false);
  }
  metrics.hpbWelcomeMissing.add(conn.welcomeMissing);
  if (welcome !== null) welcomeOffersV2 = welcome.text.includes('"hello-v2"');

  // Hello at once: the HPB closes a connection that has not said hello within 2 s. Without a
  // welcome, the features the last welcome on this VU offered (the same HPB); none yet: v1, as the
  // web client says hello when its wait for a welcome runs out.
  const jwt = settings.helloAuthParams?.['2.0']?.token ?? '';
  const v2 = jwt !== '' && welcomeOffersV2 === true;
  const v1 = settings.helloAuthParams?.['1.0'] ?? {};
  const params = v2 ? { token: jwt } : { userid: v1.userid ?? '', ticket: v1.ticket ?? '' };
  const helloAt = Date.now();
  const hello = await conn.hello(JSON.stringify({ version: v2 ? '2.0' : '1.0', auth: { url: config.target + Hpb.backendPath, params } }), ANSWER_MS);
  const hpbId = hello === null ? null : stringField(hello, 'sessionid');
  if (hpbId === null) return finish(false);
  release();
  metrics.hpbHello.add(Date.now() - helloAt);
  const roomAt = Date.now();
  if ((await conn.request('room', 'room', JSON.stringify({ roomid: token, sessionid: session.id }), ANSWER_MS)) === null) return finish(false);
  metrics.hpbRoom.add(Date.now() - roomAt);

  /** Sends a flag change over OCS and times the HPB event that shows it to the room. */
  const inCallOf = inCallReader(hpbId);
  const change = async (step: 'call_propagation' | 'flags_propagation', send: () => Promise<boolean>, want: number): Promise<boolean> => {
    const sentAt = Date.now();
    const seen = conn.waitFor((t) => inCallOf(t) === want, PROPAGATION_MS);
    if (!(await send())) return false;
    const got = await seen;
    if (got === null) conn.fail(step, conn.closed ? 'closed' : 'timeout');
    else (step === 'call_propagation' ? metrics.callPropagation : metrics.flagsPropagation).add(got.at - sentAt);
    return true;
  };

  let flags = joinFlags(random);
  let inCall = await change('call_propagation', () => KIND.callJoin.sendAsync(c, { flags }).then((res) => joinedCall(c, KIND.callJoin, res)), flags);
  if (inCall) metrics.callJoins.add(1);

  // What the stay's ticks use, read once per guest (lookups by name, issue 29).
  const peersKind = KIND.peers;
  const recordFlags = KIND.flags.record;
  const forms = session.forms;
  const sendPeers = peersKind.sender(c);
  const recordPeers = peersKind.record;
  // Mute and unmute, prepared once (a flag change alternates them).
  const sendMute = KIND.flags.sender(c, { flags: flags ^ WITH_AUDIO });
  const sendUnmute = KIND.flags.sender(c, { flags });
  let muted = false;
  const peersEvery = config.peersEvery * 1000;
  const flagsEvery = config.flagsEvery * 1000;
  const chatEvery = config.chatEvery * 1000;
  const leaveAt = Date.now() + jitter(config.stay * 1000);
  const chat = config.chat ? startChat(c, token, leaveAt, []) : null;
  await stay({
    leaveAt,
    ...(chat ? { chat: { nextIn: () => jitter(chatEvery), post: chat.post } } : {}),
    nextPeersIn: () => jitter(peersEvery),
    nextFlagsIn: () => jitter(flagsEvery),
    stopped: () => c.vanished,
    peers: async () => {
      const res = recordPeers(c, await sendPeers());
      if (res.status === 200) checkPeers(c, res.body, forms, inCall);
    },
    flags: async () => {
      if (!inCall || conn.closed) return;
      const next = flags ^ WITH_AUDIO; // mute / unmute
      const send = muted ? sendUnmute : sendMute;
      muted = !muted;
      const ok = await change('flags_propagation', () => send().then((r) => recordFlags(c, r).status === 200), next);
      if (ok) flags = next;
      else inCall = false;
    },
  });

  if (c.vanished) {
    await chat?.done;
    conn.close();
    return done(false);
  }
  KIND.callLeave.record(c, await KIND.callLeave.sendAsync(c));
  await chat?.done;
  // Leave the HPB room, say bye, close; then leave the conversation.
  if (!conn.closed) {
    await conn.request('leave', 'room', '{"roomid":""}', ANSWER_MS);
    conn.expectClose();
    await conn.request('bye', 'bye', '{}', ANSWER_MS);
  }
  conn.close();
  if (!c.vanished) KIND.roomLeave.record(c, await KIND.roomLeave.sendAsync(c));
  return done(conn.failures === 0);
}
