// Talk constants (reference section 4). Runtime-neutral: no k6, no node: imports.

/** In-call flags, a bitmask. Valid request range 0..15; joining without `flags` means 7. */
export const CallFlag = {
  disconnected: 0,
  inCall: 1,
  withAudio: 2,
  withVideo: 4,
  withPhone: 8,
} as const;
export type CallFlagValue = (typeof CallFlag)[keyof typeof CallFlag];
export const CALL_FLAGS_MAX = 15;
export const DEFAULT_JOIN_FLAGS = CallFlag.inCall | CallFlag.withAudio | CallFlag.withVideo;

export const ConversationType = {
  oneToOne: 1,
  group: 2,
  public: 3,
  changelog: 4,
  formerOneToOne: 5,
  noteToSelf: 6,
} as const;
export type ConversationTypeValue = (typeof ConversationType)[keyof typeof ConversationType];

export const ParticipantType = {
  owner: 1,
  moderator: 2,
  user: 3,
  guest: 4,
  userSelfJoined: 5,
  guestModerator: 6,
} as const;
export type ParticipantTypeValue = (typeof ParticipantType)[keyof typeof ParticipantType];

/** Participant types with moderator rights (6 is excluded where a logged-in moderator is needed). */
export const MODERATOR_TYPES: readonly ParticipantTypeValue[] = [
  ParticipantType.owner,
  ParticipantType.moderator,
  ParticipantType.guestModerator,
];

export const ActorType = {
  users: 'users',
  federatedUsers: 'federated_users',
  groups: 'groups',
  circles: 'circles',
  guests: 'guests',
  emails: 'emails',
  phones: 'phones',
} as const;
export type ActorTypeValue = (typeof ActorType)[keyof typeof ActorType];

export const LobbyState = { none: 0, nonModerators: 1 } as const;
export type LobbyStateValue = (typeof LobbyState)[keyof typeof LobbyState];

export const ReadOnlyState = { readWrite: 0, readOnly: 1 } as const;
export type ReadOnlyStateValue = (typeof ReadOnlyState)[keyof typeof ReadOnlyState];

/** Attendee permissions, a bitmask. */
export const Permission = {
  default: 0,
  custom: 1,
  startCall: 2,
  joinCall: 4,
  lobbyIgnore: 8,
  publishAudio: 16,
  publishVideo: 32,
  publishScreen: 64,
  chat: 128,
} as const;
/** Moderators always have every permission but "custom". */
export const MODERATOR_PERMISSIONS = 254;
/** Built-in default for non-moderators: all but "ignore lobby". */
export const DEFAULT_PERMISSIONS = 246;

/** Admin setting `start_calls`. */
export const StartCalls = { everyone: 0, users: 1, moderators: 2, noOne: 3 } as const;
export type StartCallsValue = (typeof StartCalls)[keyof typeof StartCalls];

export const SignalingMode = {
  internal: 'internal',
  external: 'external',
  conversationCluster: 'conversation_cluster',
} as const;

/** Timeouts from the server code, in seconds. */
export const Timeouts = {
  /** `GET /call` lists only sessions pinged within this window. */
  peerListSeconds: 30,
  /** Internal signaling `usersInRoom` lists sessions pinged within this window. */
  usersInRoomSeconds: 40,
  /** Nextcloud's /metrics counts in-call sessions pinged within this window. */
  metricsInCallSeconds: 60,
  /** Sessions this old are expired when anyone lists the participants. */
  sessionKillSeconds: 100,
  /** Internal signaling long-poll hold. */
  signalingPullSeconds: 30,
  /**
   * A client's timeout for that long-poll: the 30 s hold plus room for waiting for a PHP worker
   * (seen on a real server under worker exhaustion: more than 15 s in the queue, then held 30 s).
   * Past it the poll counts as a timeout, not as a network error.
   */
  signalingPollTimeoutSeconds: 90,
  /** Session ids are random strings of this length. */
  sessionIdLength: 255,
} as const;

/** Brute-force throttling (Nextcloud core): delay = 0.1 s x 2^attempts, capped. */
export const BruteForce = {
  firstDelaySeconds: 0.1,
  maxDelaySeconds: 25,
  maxAttempts: 10,
  /** Attempts counted for the delay. */
  delayWindowSeconds: 12 * 3600,
  /** Attempts counted for the 429 decision. */
  maxWindowSeconds: 30 * 60,
  header: 'X-Nextcloud-Bruteforce-Throttled',
} as const;
export type BruteForceAction = 'talkRoomToken' | 'talkRoomPassword' | 'talkSignalingSecret';

/**
 * External signaling (the HPB, nextcloud-spreed-signaling) as its protocol documentation and Talk
 * describe it: the client's time limits, the keep-alive and Talk's hello-v2 token.
 */
export const Hpb = {
  /** A new WebSocket must send `hello` within this time. */
  helloTimeoutSeconds: 2,
  /** An anonymous (guest) session must join a room within this time after `hello`. */
  roomJoinTimeoutSeconds: 10,
  /** The HPB pings Talk for all its sessions this often... */
  pingIntervalSeconds: 10,
  /** ...in batches of at most this many sessions (capability `config.signaling.session-ping-limit`). */
  sessionPingLimit: 200,
  /** A dropped connection may resume its session within this time. */
  resumeSeconds: 30,
  /** Lifetime of Talk's hello-v2 JWT. */
  tokenLifetimeSeconds: 60,
  /** Minimum length of `Spreed-Signaling-Random`. */
  minRandomLength: 32,
  /** Talk's backend endpoint, relative to the Nextcloud base URL. */
  backendPath: '/ocs/v2.php/apps/spreed/api/v3/signaling/backend',
  /** The HPB's client WebSocket, relative to its base URL. */
  clientPath: '/spreed',
  /**
   * talkload's guests wait this long after the open event for the welcome, then say hello without
   * it (the web client waits 3 s, past the hello limit; see src/k6/lib/hpb.ts WELCOME_WAIT_MS).
   */
  welcomeWaitSeconds: 1,
} as const;

/** Signaling modes as `GET /signaling/settings` names them. */
export const SIGNALING_MODES = ['internal', 'external', 'conversation_cluster'] as const;

/** Conversation tokens must match this, or no route matches. */
export const TOKEN_PATTERN = /^[a-z0-9]{4,30}$/;
