// Load shapes by name, and what they add up to: shared by the k6 profiles and the Node runner.

export const PROFILE_NAMES = ['smoke', 'load', 'stress', 'soak', 'spike', 'breakpoint'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface ShapeInput {
  readonly guests: number;
  readonly joinRate: number;
  /** Test length, seconds. */
  readonly duration: number;
  /** One guest's stay in the call, seconds. */
  readonly stay: number;
}

/** Arrival-rate shapes must not drop joins: a dropped join is load we claimed and did not send. */
export function isArrivalRate(profile: ProfileName): boolean {
  return profile === 'spike' || profile === 'breakpoint';
}

/** Peak concurrent guests a shape produces (for sizing conversations). */
export function peakGuests(profile: ProfileName, i: ShapeInput): number {
  switch (profile) {
    case 'stress':
      return i.guests * 2;
    case 'spike':
    case 'breakpoint':
      return Math.ceil(i.joinRate * (i.stay + 5));
    default:
      return i.guests;
  }
}
