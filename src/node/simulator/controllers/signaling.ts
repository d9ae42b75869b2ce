// SignalingController, client side: settings and internal signaling (reference 2.19-2.20).

import { ActorType, Timeouts } from '../../../shared/constants.ts';
import type { QueuedMessage, Room, TalkState } from '../state.ts';

import { phpJson } from '../../../shared/php-json.ts';
import { type Ctx, type Result, done, holdPoll, phpString, r, roomForCaller } from './common.ts';

export function signalingSettings(ctx: Ctx): Result {
  const token = phpString(ctx.params.get('token')) ?? '';
  if (token !== '' && !roomForCaller(ctx, token)) {
    return r(404, [], { throttle: { action: 'talkRoomToken', token } });
  }
  const ext = ctx.external;
  const now = ctx.state.nowSec();
  const ticket = ext ? ext.ticket(ctx.userId, now) : '';
  const displayName = ctx.userId !== null ? (ctx.state.users.get(ctx.userId)?.displayName ?? ctx.userId) : '';
  return r(200, {
    signalingMode: ext ? 'external' : 'internal',
    userId: ctx.userId,
    hideWarning: false,
    server: ext ? ext.config.hpbUrl : '',
    ticket,
    helloAuthParams: { '1.0': { userid: ctx.userId, ticket }, '2.0': { token: ext ? ext.token(ctx.userId, displayName, now) : '' } },
    federation: [],
    stunservers: [{ urls: ['stun.nextcloud.com:443'] }],
    turnservers: [],
    sipDialinInfo: '',
  });
}

/** With an HPB configured the internal signaling endpoints refuse (before any session lookup). */
const disabled = (): Result => r(400, 'Internal signaling disabled.');

export function usersInRoom(st: TalkState, room: Room, pingTs: number): unknown[] {
  const threshold = Math.min(st.nowSec() - Timeouts.usersInRoomSeconds, pingTs) - 1;
  const out: unknown[] = [];
  for (const s of room.sessions.values()) {
    if (s.lastPing <= threshold) continue;
    const a = s.attendee;
    out.push({
      userId: a.actorType === ActorType.users ? a.actorId : '',
      roomId: room.id,
      lastPing: s.lastPing,
      sessionId: s.id,
      inCall: s.inCall,
      participantPermissions: st.permissionsOf(a),
      actorType: a.actorType,
      actorId: a.actorId,
    });
  }
  return out;
}

/** GET /signaling/{token}: pings, then holds up to N one-second ticks for messages. */
export function pullMessages(ctx: Ctx): Result | Promise<Result> {
  const st = ctx.state;
  if (ctx.external) return disabled();
  const gone = [{ type: 'usersInRoom', data: [] }];
  const sid = ctx.php.talk.get(ctx.token);
  if (sid === undefined) return r(404, gone);
  const session = st.sessionsById.get(sid);
  if (!session || session.attendee.room.token !== ctx.token) {
    ctx.php.talk.delete(ctx.token);
    return r(404, gone);
  }
  const pingTs = st.nowSec();
  session.lastPing = pingTs;
  session.attendee.room.version++;
  const ticks = st.settings.signalingPullSeconds;

  /**
   * Talk's Messages::getAndDeleteMessages: the rows at least a second old (`timestamp <= now - 1`,
   * whole seconds) are read and deleted; younger ones wait for the next check. A changed participant
   * list ends the wait; messages read beside it go out with it.
   */
  const take = (): QueuedMessage[] | 'refresh' | 'locked' | null => {
    // Each check deletes the rows it read: a write, which SQLite may refuse under contention.
    if (ctx.dbLocked()) return 'locked';
    const visibleUpTo = st.nowSec() - 1;
    let refreshed = false;
    while (session.refreshes.length > 0 && session.refreshes[0]! <= visibleUpTo) {
      session.refreshes.shift();
      refreshed = true;
    }
    const ready = session.messages.filter((m) => m.ts <= visibleUpTo);
    if (ready.length > 0) {
      session.messages = session.messages.filter((m) => m.ts > visibleUpTo);
      return ready;
    }
    return refreshed ? 'refresh' : null;
  };

  const finish = (messages: readonly QueuedMessage[]): Result => {
    const room = session.attendee.room;
    if (!session.deleted && !room.deleted) {
      return r(200, [...messages, { type: 'usersInRoom', data: usersInRoom(st, room, pingTs) }]);
    }
    // Was the session killed or the whole conversation?
    const still = roomForCaller(ctx, ctx.token);
    if (!still) return r(404, gone);
    if (ctx.userId !== null && !st.userAttendee(still, ctx.userId)) return r(404, gone);
    return r(409, gone);
  };

  const answer = (got: QueuedMessage[] | 'refresh' | 'locked' | null): Result =>
    got === 'locked' ? r(500, [], { uncaught: true }) : finish(got === null || got === 'refresh' ? [] : got);
  const first = take();
  if (first !== null) return answer(first);
  if (ticks <= 0) return finish([]);

  return holdPoll(
    ticks,
    () => {
      const got = take();
      return got === null ? null : answer(got);
    },
    () => answer(take()),
  );
}

export function sendMessages(ctx: Ctx): Result {
  const st = ctx.state;
  if (ctx.external) return disabled();
  const raw = phpString(ctx.params.get('messages'));
  const own = ctx.php.talk.get(ctx.token);
  let list: unknown;
  try {
    list = raw === undefined ? null : JSON.parse(raw);
  } catch {
    list = null;
  }
  if (Array.isArray(list) && own !== undefined) {
    const sender = st.sessionsById.get(own);
    for (const m of list) {
      if (typeof m !== 'object' || m === null) continue;
      const msg = m as Record<string, unknown>;
      if (msg['ev'] !== 'message' || typeof msg['fn'] !== 'string' || msg['sessionId'] !== own) continue;
      let decoded: unknown;
      try {
        decoded = JSON.parse(msg['fn']);
      } catch {
        continue;
      }
      if (typeof decoded !== 'object' || decoded === null) continue;
      const d = decoded as Record<string, unknown>;
      if (d['type'] === 'control' && !(sender && st.isModerator(sender.attendee))) continue;
      d['from'] = own;
      const to = typeof d['to'] === 'string' ? st.sessionsById.get(d['to']) : undefined;
      if (!to) continue;
      to.messages.push({ type: 'message', data: phpJson(d), ts: st.nowSec() });
    }
  }
  return r(200, done(st));
}

