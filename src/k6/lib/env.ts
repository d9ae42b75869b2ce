// The only reader of __ENV. Parsed once in the init context; a bad value fails the test before any
// VU starts, with the variable's name and what it accepts.

import { durationSeconds } from '../../shared/duration.ts';
import { LIMITS, type Limit } from '../../shared/limits.ts';
import { PROFILE_NAMES, type ProfileName } from '../profiles.ts';

function raw(name: string): string | undefined {
  const v = __ENV[name];
  return v === undefined || v === '' ? undefined : v;
}

function str(name: string, dflt: string): string {
  return raw(name) ?? dflt;
}

function num(name: string, dflt: number, { min, max, integer }: Limit): number {
  const v = raw(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${v}"`);
  }
  return n;
}

function bool(name: string, dflt: boolean): boolean {
  const v = raw(name);
  if (v === undefined) return dflt;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`${name} must be true or false, got "${v}"`);
}

function oneOf<T extends string>(name: string, allowed: readonly T[], dflt: T): T {
  const v = raw(name) ?? dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

/** k6-style duration (30s, 5m, 1h30m) in seconds. */
function duration(name: string, dflt: string): number {
  const v = str(name, dflt);
  const seconds = durationSeconds(v);
  if (seconds === null) throw new Error(`${name} must be a duration like 30s or 5m, got "${v}"`);
  return seconds;
}

const target = str('TALK_TARGET', '');
// Nextcloud may live in a subfolder (http://host/nextcloud): a path is allowed, a query is not.
if (!/^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/.test(target)) {
  throw new Error(`TALK_TARGET must be the server's base URL like http://127.0.0.1:8080 or https://host/nextcloud, got "${target}"`);
}

export const config = Object.freeze({
  /** Run id, also the `testid` tag; names the conversations a run creates. */
  runId: str('TALK_RUN_ID', 'manual'),
  /** Base URL of the Nextcloud server, without a trailing slash. */
  target: target.replace(/\/+$/, ''),
  /** Moderator account that creates the conversations. */
  user: str('TALK_USER', ''),
  /** Its (app) password; never logged, never tagged. */
  password: str('TALK_PASSWORD', ''),
  profile: oneOf<ProfileName>('TALK_PROFILE', PROFILE_NAMES, 'smoke'),
  /** Concurrent guests (VU profiles) or the peak guests of the shape. */
  guests: num('TALK_GUESTS', 4, LIMITS.guests),
  /** Guests per call; conversations = ceil(guests / callSize). @default 5 */
  callSize: num('TALK_CALL_SIZE', 5, LIMITS.callSize),
  /** Joins per second at the peak (arrival-rate profiles). */
  joinRate: num('TALK_JOIN_RATE', 5, LIMITS.joinRate),
  /** Whole test length, seconds. */
  duration: duration('TALK_DURATION', '30s'),
  /** How long a guest stays in the call, seconds. @default 20 */
  stay: duration('TALK_STAY', '20s'),
  /** Seconds between flag changes (mute/unmute). @default 8 */
  flagsEvery: duration('TALK_FLAGS_EVERY', '8s'),
  /** Seconds between `GET /call` polls. @default 4 */
  peersEvery: duration('TALK_PEERS_EVERY', '4s'),
  /** Signaling: auto (as the server's settings say), internal (long-poll) or hpb (WebSocket to the HPB). */
  signaling: oneOf<'auto' | 'internal' | 'hpb'>('TALK_SIGNALING', ['auto', 'internal', 'hpb'], 'auto'),
  /** Guests keep the chat long-poll open during their stay and post now and then. */
  chat: bool('TALK_CHAT', false),
  /** Seconds between a guest's chat messages. @default 60 */
  chatEvery: duration('TALK_CHAT_EVERY', '60s'),
  /** Guests set a display name after joining. */
  guestNames: bool('TALK_GUEST_NAMES', true),
  /** Run the moderator journey (ring, participant list) beside the guests. */
  moderator: bool('TALK_MODERATOR', true),
  /** User to add to each conversation and ring ('' = no ringing). */
  ringUser: str('TALK_RING_USER', ''),
  /** Moderator toggles lobby and read-only; 412/403 then count as expected. */
  chaos: bool('TALK_CHAOS', false),
  /** Guests one VU carries at once (async), to hold more guests per GiB. @default 1 */
  guestsPerVu: num('TALK_GUESTS_PER_VU', 1, LIMITS.guestsPerVu),
  /** Seed for the guests' choices (flags, jitter); 0 = not seeded. */
  seed: num('TALK_SEED', 0, LIMITS.seed),
  /** Conversation tokens to use instead of creating them (comma-separated). */
  rooms: str('TALK_ROOMS', '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== ''),
});

export type Config = typeof config;
