// Talk's system messages (lib/Chat/SystemMessage/Listener.php, parsed by lib/Chat/Parser/SystemMessage.php):
// the chat keeps one for what happens in a conversation (its creation, who was added or removed,
// lobby, read-only, guests, password, name, description, calls), so a history is never empty and
// `limit` counts them. Used by TalkState and the controllers.

import { ActorType } from '../../shared/constants.ts';
import type { Attendee, ChatMessage, Room } from './state.ts';

/** The text Talk's parser gives each system message (lib/Chat/Parser/SystemMessage.php), for the actor. */
const SYSTEM_TEXT: Readonly<Record<string, string>> = {
  conversation_created: '{actor} created the conversation',
  conversation_renamed: '{actor} renamed the conversation',
  description_set: '{actor} set the description',
  description_removed: '{actor} removed the description',
  user_added: '{actor} added {user}',
  user_removed: '{actor} removed {user}',
  moderator_promoted: '{actor} promoted {user} to moderator',
  moderator_demoted: '{actor} demoted {user} from moderator',
  guest_moderator_promoted: '{actor} promoted {user} to moderator',
  guest_moderator_demoted: '{actor} demoted {user} from moderator',
  lobby_non_moderators: '{actor} restricted the conversation to moderators',
  lobby_none: '{actor} opened the conversation to everyone',
  read_only: '{actor} locked the conversation',
  read_only_off: '{actor} unlocked the conversation',
  guests_allowed: '{actor} allowed guests',
  guests_disallowed: '{actor} disallowed guests',
  password_set: '{actor} set a password',
  password_removed: '{actor} removed the password',
  call_started: '{actor} started a call',
  call_joined: '{actor} joined the call',
  call_left: '{actor} left the call',
  call_ended: 'Call with {actor} (Duration {duration})',
  call_ended_everyone: '{actor} ended the call for everyone',
};

const actorParam = (type: string, id: string, name: string): Record<string, string> =>
  type === ActorType.users ? { type: 'user', id, name } : { type: 'guest', id: `guest/${id}`, name };

/**
 * Talk's chat keeps a system message for what happens in a conversation (its creation, who was
 * added, lobby, read-only, calls...): a history is never empty, and `limit` counts them.
 */
export function systemMessage(next: () => number, now: number, room: Room, actor: Attendee | null, name: string, target?: Attendee): void {
  const params: Record<string, unknown> = {};
  if (actor) params['actor'] = actorParam(actor.actorType, actor.actorId, actor.displayName);
  if (target) params['user'] = actorParam(target.actorType, target.actorId, target.displayName);
  const m: ChatMessage = {
    id: next(),
    token: room.token,
    actorType: actor?.actorType ?? ActorType.users,
    actorId: actor?.actorId ?? '',
    actorDisplayName: actor?.displayName ?? '',
    timestamp: now,
    message: SYSTEM_TEXT[name] ?? name,
    systemMessage: name,
    messageParameters: params,
  };
  room.chat.push(m);
}

