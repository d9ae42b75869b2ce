// ChatController, minimally (reference 2.21): the web client never sits in a call without its chat
// long-poll, so a call load test may want that held request beside the signaling one. Posting and
// reading; no mentions, reactions, threads or rich objects.

import { ActorType, Timeouts } from '../../../shared/constants.ts';
import type { ChatMessage, Room } from '../state.ts';
import { type Ctx, type Participant, type Result, holdPoll, phpInt, phpString, r, requiredString } from './common.ts';

/** Talk's ChatManager::MAX_CHAT_LENGTH. */
const MAX_CHAT_LENGTH = 32000;
const MAX_LIMIT = 200;

function format(m: ChatMessage, room?: Room): Record<string, unknown> {
  const system = m.systemMessage ?? '';
  const out: Record<string, unknown> = {
    id: m.id,
    token: m.token,
    actorType: m.actorType,
    actorId: m.actorId,
    actorDisplayName: m.actorDisplayName,
    timestamp: m.timestamp,
    message: m.message,
    messageParameters: m.messageParameters ?? [],
    systemMessage: system,
    messageType: system === '' ? 'comment' : 'system',
    isReplyable: system === '',
    referenceId: '',
    reactions: [],
    expirationTimestamp: 0,
    markdown: system === '',
  };
  if (m.parentId !== undefined && room) {
    const parent = room.chat.find((x) => x.id === m.parentId);
    if (parent) out['parent'] = format(parent);
  }
  return out;
}

const lastGiven = (list: readonly ChatMessage[], room: Room): Record<string, string> => ({
  'X-Chat-Last-Given': String(list.at(-1)?.id ?? 0),
  'X-Chat-Last-Common-Read': String(room.chat.at(-1)?.id ?? 0),
});

/** POST /chat/{token}: 201 with the message; the chat long-polls of the room see it at their next look. */
export function sendChat(ctx: Ctx, room: Room, p: Participant): Result {
  const st = ctx.state;
  const message = requiredString(ctx.params, 'message');
  if (message.trim() === '') return r(400);
  if ([...message].length > MAX_CHAT_LENGTH) return r(413, { error: 'message' });
  const a = p.attendee;
  // replyTo: a replyable message of this conversation, else 400.
  const replyToRaw = ctx.params.get('replyTo');
  const replyTo = replyToRaw === undefined || replyToRaw === null || replyToRaw === '' ? 0 : phpInt(replyToRaw);
  let parentId: number | undefined;
  if (replyTo !== 0) {
    const parent = room.chat.find((x) => x.id === replyTo);
    if (!parent || (parent.systemMessage ?? '') !== '') return r(400);
    parentId = parent.id;
  }
  // A guest's actorDisplayName becomes its name (GuestManager::updateName), as the web client sets it.
  const asName = phpString(ctx.params.get('actorDisplayName')) ?? '';
  if (a.actorType === ActorType.guests && asName !== '' && asName !== a.displayName) {
    a.displayName = asName;
    st.refreshParticipants(room);
  }
  const m: ChatMessage = {
    id: st.nextMessageId++,
    token: room.token,
    actorType: a.actorType,
    actorId: a.actorId,
    actorDisplayName: a.displayName,
    timestamp: st.nowSec(),
    message,
    ...(parentId !== undefined ? { parentId } : {}),
  };
  room.chat.push(m);
  room.lastActivity = m.timestamp;
  return r(201, format(m, room), { headers: lastGiven([m], room) });
}

/**
 * GET /chat/{token}: history (`lookIntoFuture=0`, newest first, before `lastKnownMessageId`) or new
 * messages (`lookIntoFuture=1`, oldest first, after it), held up to `timeout` (at most 30) seconds in
 * one-second ticks as Talk's loop sleeps, then 304 with an empty body when nothing came.
 */
export function receiveChat(ctx: Ctx, room: Room): Result | Promise<Result> {
  const future = phpInt(ctx.params.get('lookIntoFuture')) === 1;
  const limit = Math.min(Math.max(phpInt(ctx.params.get('limit') ?? 100), 1), MAX_LIMIT);
  const lastKnown = phpInt(ctx.params.get('lastKnownMessageId') ?? 0);
  const timeout = Math.min(Math.max(phpInt(ctx.params.get('timeout') ?? Timeouts.signalingPullSeconds), 0), Timeouts.signalingPullSeconds);

  const pick = (): ChatMessage[] => {
    if (future) return room.chat.filter((m) => m.id > lastKnown).slice(0, limit);
    const older = lastKnown > 0 ? room.chat.filter((m) => m.id < lastKnown) : room.chat;
    return older.slice(-limit).reverse();
  };
  const answer = (list: ChatMessage[]): Result =>
    list.length === 0 ? { status: 304, bare: true, headers: {} } : r(200, list.map((m) => format(m, room)), { headers: lastGiven(list, room) });

  const first = pick();
  if (first.length > 0 || !future || timeout === 0) return answer(first);
  // A posted message is seen at the poll's next look; a deleted conversation too (then 404).
  const look = (): Result | null => {
    if (room.deleted) return r(404);
    const got = pick();
    return got.length > 0 ? answer(got) : null;
  };
  return holdPoll(timeout, look, () => look() ?? answer([]));
}
