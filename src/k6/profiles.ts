// Load shapes by name. VU-based shapes where concurrent guests is the input (each VU is one guest at
// a time, joining again after it leaves); arrival-rate shapes where joins per second is the input.

import type { Scenario } from 'k6/options';
import type { ProfileName, ShapeInput } from '../shared/load.ts';
import { Timeouts } from '../shared/constants.ts';

export { PROFILE_NAMES, isArrivalRate, peakGuests, type ProfileName, type ShapeInput } from '../shared/load.ts';

const s = (seconds: number): string => `${Math.max(1, Math.round(seconds))}s`;

/**
 * k6 takes only whole iterations per time unit, so a rate per second (0.5 joins/s, or 5 joins/s
 * spread over 4 guests per VU) is given per minute: exact to 1/60 join per second.
 */
const perMinute = (perSecond: number): number => Math.max(1, Math.round(perSecond * 60));

/** Arrival-rate shapes pre-allocate enough VUs for the guests that are in a call at once. */
function vusForRate(rate: number, stay: number): number {
  return Math.max(2, Math.ceil(rate * (stay + 10) * 1.2));
}

/** A ramping-VU shape: stages as (share of the duration, multiple of the guests). */
function rampingVus(d: number, guests: number, stages: readonly (readonly [number, number])[], gracefulStop: string): Scenario {
  return {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: stages.map(([share, times]) => ({ duration: s(d * share), target: guests * times })),
    gracefulRampDown: gracefulStop,
    gracefulStop,
  };
}

export function guestScenario(profile: ProfileName, i: ShapeInput): Scenario {
  const d = i.duration;
  // A guest that is in the call when time is up still leaves properly: its stay (jittered, up to
  // 1.2x) + one long-poll, which may wait for a worker as long as its timeout allows.
  const gracefulStop = s(Math.ceil(i.stay * 1.2) + Timeouts.signalingPollTimeoutSeconds + 10);
  switch (profile) {
    case 'smoke':
      return { executor: 'constant-vus', vus: i.guests, duration: s(d), gracefulStop };
    case 'soak':
      return { executor: 'constant-vus', vus: i.guests, duration: s(d), gracefulStop };
    case 'load':
      return rampingVus(d, i.guests, [[0.2, 1], [0.6, 1], [0.2, 0]], gracefulStop);
    case 'stress':
      return rampingVus(d, i.guests, [[0.15, 1], [0.2, 1], [0.15, 2], [0.3, 2], [0.2, 0]], gracefulStop);
    case 'spike': {
      const base = perMinute(i.joinRate / 10);
      const peak = perMinute(i.joinRate);
      return {
        executor: 'ramping-arrival-rate',
        startRate: base,
        timeUnit: '1m',
        preAllocatedVUs: vusForRate(i.joinRate, i.stay),
        maxVUs: vusForRate(i.joinRate, i.stay) * 2,
        stages: [
          { duration: s(d * 0.2), target: base },
          { duration: s(Math.min(10, d * 0.1)), target: peak },
          { duration: s(d * 0.3), target: peak },
          { duration: s(Math.min(10, d * 0.1)), target: base },
          { duration: s(d * 0.3), target: base },
        ],
        gracefulStop,
      };
    }
    case 'breakpoint':
      return {
        executor: 'ramping-arrival-rate',
        startRate: perMinute(Math.min(1, i.joinRate)),
        timeUnit: '1m',
        preAllocatedVUs: vusForRate(i.joinRate, i.stay),
        maxVUs: vusForRate(i.joinRate, i.stay) * 2,
        stages: [{ duration: s(d), target: perMinute(i.joinRate) }],
        gracefulStop,
      };
  }
}

