// setup() and teardown(): the conversations a run uses. setup() fails fast, naming the target and
// what it answered, when the target is down or is not a Nextcloud; teardown() deletes every
// conversation the run created (k6 runs it after an abort too).

import { ConversationType } from '../../shared/constants.ts';
import { peakGuests } from '../profiles.ts';
import { config } from './env.ts';
import { ocsData, TalkClient } from './talk-client.ts';

export interface SetupData {
  /** Conversation tokens guests join. */
  readonly rooms: readonly string[];
  /** Those this run created, to delete in teardown(). */
  readonly created: readonly string[];
}

function moderator(): TalkClient {
  return new TalkClient(config.target, { user: config.user, password: config.password });
}

export function setupRooms(): SetupData {
  const probe = new TalkClient(config.target).call('capabilities', { keepBody: true, timeoutMs: 10_000 });
  const caps = ocsData(probe) as { capabilities?: { spreed?: { features?: string[] } } } | undefined;
  if (probe.status !== 200 || !caps) {
    throw new Error(`target ${config.target} is not a Nextcloud answering OCS: capabilities gave status ${probe.status}${probe.error ? ` (${probe.error})` : ''}`);
  }
  if (!caps.capabilities?.spreed?.features?.includes('conversation-v4')) {
    throw new Error(`target ${config.target} has no Talk with conversation-v4 (is the spreed app enabled?)`);
  }
  if (config.rooms.length > 0) return { rooms: config.rooms, created: [] };
  if (config.user === '' || config.password === '') {
    throw new Error('TALK_USER and TALK_PASSWORD are needed to create conversations (or give TALK_ROOMS)');
  }
  const count = Math.max(1, Math.ceil(peakGuests(config.profile, config) / config.callSize));
  const m = moderator();
  const created: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = m.call('room_create', { params: { roomType: ConversationType.public, roomName: `talkload ${config.runId} #${i + 1}` }, keepBody: true });
    const token = (ocsData(res) as { token?: string } | undefined)?.token;
    if (res.status !== 201 || typeof token !== 'string') {
      teardownRooms({ rooms: created, created });
      throw new Error(`creating conversation ${i + 1} of ${count} as ${config.user} gave status ${res.status}`);
    }
    created.push(token);
    if (config.ringUser !== '') m.call('room_add_participant', { token, params: { newParticipant: config.ringUser, source: 'users' } });
  }
  return { rooms: created, created };
}

export function teardownRooms(data: SetupData | undefined): void {
  if (!data || data.created.length === 0) return;
  const m = moderator();
  for (const token of data.created) m.call('room_delete', { token });
}
