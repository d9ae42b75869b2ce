// The moderator journey beside the guests: joins a conversation's call, lists its participants,
// rings the invited user, and with chaos on toggles lobby and read-only so the 412/403 paths run
// on purpose. One conversation per iteration, round robin.

import exec from 'k6/execution';
import { CallFlag } from '../../shared/constants.ts';
import { config } from '../lib/env.ts';
import { delay } from '../lib/timers.ts';
import { ocsData, TalkClient } from '../lib/talk-client.ts';
import type { SetupData } from '../lib/rooms.ts';


export async function moderatorJourney(data: SetupData): Promise<void> {
  const token = data.rooms[exec.scenario.iterationInTest % data.rooms.length]!;
  const m = new TalkClient(config.target, { user: config.user, password: config.password });
  if (m.call('room_join', { token }).status !== 200) return delay(1000);
  m.call('call_join', { token, params: { flags: CallFlag.inCall | CallFlag.withAudio } });
  const list = ocsData(m.call('room_participants', { token, keepBody: true }));
  if (config.ringUser !== '' && Array.isArray(list)) {
    const target = list.find((p) => {
      const a = p as { actorType?: string; actorId?: string };
      return a.actorType === 'users' && a.actorId === config.ringUser;
    }) as { attendeeId?: number } | undefined;
    if (target?.attendeeId !== undefined) m.call('call_ring', { token, attendeeId: target.attendeeId });
  }
  if (config.chaos) {
    m.call('room_lobby', { token, params: { state: 1 } });
    await delay(2000);
    m.call('room_lobby', { token, params: { state: 0 } });
    await delay(2000);
    m.call('room_read_only', { token, params: { state: 1 } });
    await delay(2000);
    m.call('room_read_only', { token, params: { state: 0 } });
  }
  await delay(config.peersEvery * 1000);
  m.call('call_peers', { token });
  m.call('call_leave', { token });
  m.call('room_leave', { token });
  await delay(2000);
}
