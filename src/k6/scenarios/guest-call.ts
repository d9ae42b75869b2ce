// Many guests join public conversations and their calls, change flags, poll the peers and leave,
// beside one moderator who lists participants and rings. Load shape by TALK_PROFILE.
// Run with `talkload run` (see README), or `k6 run dist/k6/guest-call.js` with TALK_* env.

import { config } from '../lib/env.ts';
import { buildOptions } from '../lib/options.ts';
import { metrics } from '../lib/metrics.ts';
import { setupRooms, teardownRooms, type SetupData } from '../lib/rooms.ts';
import { guestJourneys } from '../journeys/guest.ts';
import { moderatorJourney } from '../journeys/moderator.ts';

export const options = buildOptions(config);

export function setup(): SetupData {
  // A zero sample, so that a run in which no journey ends (a hung target) has the counts and fails
  // their count>=1 thresholds: k6 does not judge a metric that has no samples.
  metrics.journeysEnded.add(0);
  metrics.callJoins.add(0);
  return setupRooms();
}

export function guest(data: SetupData): Promise<void> {
  return guestJourneys(data);
}

export function moderator(data: SetupData): Promise<void> {
  return moderatorJourney(data);
}

export function teardown(data: SetupData): void {
  teardownRooms(data);
}
