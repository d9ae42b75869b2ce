// The Talk controllers and their middleware checks (reference sections 1.5 and 2), on TalkState.
// Each handler returns the status and OCS data the real server gives for the same request sequence.

import { ParticipantType, Permission, ReadOnlyState, StartCalls } from '../../shared/constants.ts';
import type { EndpointId } from '../../shared/endpoints.ts';
import type { Room, TalkState } from './state.ts';
import { type Ctx, type Participant, type Result, MissingParameter, OutOfRange, participantOf, r, roomForCaller } from './controllers/common.ts';
import { callPeers, joinCall, leaveCall, ring, updateFlags } from './controllers/call.ts';
import { addParticipant, guestName, listParticipants } from './controllers/participants.ts';
import { createRoom, deleteRoom, getRoom, joinRoom, leaveRoom, listRooms, renameRoom, setDescription, setLobby, setPublic, setReadOnly } from './controllers/room.ts';
import { pullMessages, sendMessages, signalingSettings } from './controllers/signaling.ts';
import { signalingBackend } from './controllers/signaling-backend.ts';
import { changeParticipantType, removeAttendee, removeSelf, setAttendeePermissions, setDefaultPermissions, setPassword, setSessionState } from './controllers/moderation.ts';
import { receiveChat, sendChat } from './controllers/chat.ts';
import type { ExternalSignaling } from './external-signaling.ts';

export type { Ctx, Params, Result } from './controllers/common.ts';

// ---- middleware (CanUseTalk + Injection) ----------------------------------------------------------

type Requirement = 'none' | 'participant' | 'moderator' | 'loggedInModerator';
// Logged-in-only endpoints (`RequireLoggedIn*`) are not `#[PublicPage]`: guests get 401 before this.

interface Rules {
  readonly requires: Requirement;
  readonly callEnabled?: boolean;
  readonly readWrite?: boolean;
  readonly noLobby?: boolean;
  readonly permission?: number;
}

const RULES: { readonly [K in Exclude<EndpointId, 'capabilities'>]: Rules } = {
  room_list: { requires: 'none' },
  room_create: { requires: 'none' },
  room_get: { requires: 'none' },
  room_delete: { requires: 'moderator' },
  room_rename: { requires: 'moderator' },
  room_description: { requires: 'moderator' },
  room_public: { requires: 'loggedInModerator' },
  room_private: { requires: 'loggedInModerator' },
  room_lobby: { requires: 'moderator' },
  room_read_only: { requires: 'moderator' },
  room_join: { requires: 'none' },
  room_leave: { requires: 'none' },
  room_add_participant: { requires: 'loggedInModerator' },
  room_participants: { requires: 'participant', noLobby: true },
  room_promote: { requires: 'moderator' },
  room_demote: { requires: 'moderator' },
  room_remove_attendee: { requires: 'moderator' },
  room_remove_self: { requires: 'participant' },
  room_password: { requires: 'moderator' },
  room_session_state: { requires: 'participant' },
  room_default_permissions: { requires: 'moderator' },
  room_attendee_permissions: { requires: 'moderator' },
  guest_name: { requires: 'participant' },
  signaling_settings: { requires: 'none' },
  signaling_poll: { requires: 'none' },
  signaling_send: { requires: 'none' },
  signaling_backend: { requires: 'none' },
  call_peers: { requires: 'participant', callEnabled: true, readWrite: true, noLobby: true },
  call_join: { requires: 'participant', callEnabled: true, readWrite: true, noLobby: true },
  call_flags: { requires: 'participant' },
  call_ring: { requires: 'participant', callEnabled: true, permission: Permission.startCall },
  call_leave: { requires: 'participant' },
  chat_send: { requires: 'participant', readWrite: true, noLobby: true, permission: Permission.chat },
  chat_receive: { requires: 'participant', noLobby: true },
};

interface Resolved {
  readonly room: Room | null;
  readonly participant: Participant | null;
}

function middleware(id: Exclude<EndpointId, 'capabilities'>, ctx: Ctx): Resolved | Result {
  const rules = RULES[id];
  const st = ctx.state;
  if (rules.callEnabled && st.settings.startCalls === StartCalls.noOne) return r(403);
  if (rules.requires === 'none') return { room: null, participant: null };
  const room = roomForCaller(ctx, ctx.token);
  if (!room) return r(404);
  const participant = participantOf(ctx, room);
  if (!participant) return r(404);
  const a = participant.attendee;
  if (rules.requires === 'moderator' || rules.requires === 'loggedInModerator') {
    const ok =
      rules.requires === 'moderator'
        ? st.isModerator(a)
        : a.participantType === ParticipantType.owner || a.participantType === ParticipantType.moderator;
    if (!ok) return r(403);
  }
  if (rules.readWrite && room.readOnly === ReadOnlyState.readOnly) return r(403);
  if (rules.noLobby && st.heldByLobby(a)) return r(412);
  if (rules.permission !== undefined && !(st.permissionsOf(a) & rules.permission)) return r(403);
  return { room, participant };
}

function capabilities(ctx: Ctx): Result {
  return r(200, capabilitiesPayload(ctx.state, ctx.external));
}

export function capabilitiesPayload(st: TalkState, external: ExternalSignaling | null = null): unknown {
  const signaling: Record<string, unknown> = { 'session-ping-limit': st.settings.sessionPingLimit };
  // The HPB fetches this key to check hello-v2 tokens.
  if (external) signaling['hello-v2-token-key'] = external.publicKeyPem;
  return {
    version: { major: 31, minor: 0, micro: 0, string: '31.0.0', edition: '', extendedSupport: false },
    capabilities: {
      core: { pollinterval: 60, 'webdav-root': 'remote.php/webdav' },
      spreed: {
        features: [
          'audio', 'video', 'chat-v2', 'conversation-v4', 'guest-signaling', 'guest-display-names', 'no-ping',
          'in-call-flags', 'webinary-lobby', 'read-only-rooms', 'start-call-flag', 'signaling-v3', 'silent-call',
          'send-call-notification', 'session-state', 'recording-consent', 'download-call-participants',
          'publishing-permissions', 'conversation-permissions', 'config-call', 'talk-polls',
        ],
        'features-local': ['call-notification-state-api'],
        config: {
          call: {
            enabled: st.settings.startCalls !== StartCalls.noOne,
            'recording-consent': 0,
            'max-duration': 0,
            'start-without-media': false,
            'end-to-end-encryption': false,
            'live-transcription': false,
          },
          signaling,
        },
        'config-local': {},
        version: '21.0.0-talksim',
      },
    },
  };
}

/**
 * Runs one endpoint. With an HPB the answer waits for the notifications the controller queued, as
 * Talk posts them synchronously inside the request.
 */
export function handle(id: EndpointId, ctx: Ctx): Result | Promise<Result> {
  const result = dispatch(id, ctx);
  if (ctx.outbox.length === 0) return result;
  const sent = Promise.all(ctx.outbox);
  return result instanceof Promise ? Promise.all([result, sent]).then(([res]) => res) : sent.then(() => result);
}

/** Middleware checks, then the controller. */
function dispatch(id: EndpointId, ctx: Ctx): Result | Promise<Result> {
  try {
    if (id === 'capabilities') return capabilities(ctx);
    const m = middleware(id, ctx);
    if ('status' in m) return m;
    const { room, participant: p } = m;
    switch (id) {
      case 'room_create':
        return createRoom(ctx);
      case 'room_list':
        return listRooms(ctx);
      case 'room_get':
        return getRoom(ctx);
      case 'room_join':
        return joinRoom(ctx);
      case 'room_leave':
        return leaveRoom(ctx);
      case 'signaling_settings':
        return signalingSettings(ctx);
      case 'signaling_poll':
        return pullMessages(ctx);
      case 'signaling_send':
        return sendMessages(ctx);
      case 'signaling_backend':
        return signalingBackend(ctx);
      default:
        break;
    }
    if (!room || !p) return r(404);
    switch (id) {
      case 'room_delete':
        return deleteRoom(ctx, room);
      case 'room_rename':
        return renameRoom(ctx, room, p);
      case 'room_description':
        return setDescription(ctx, room, p);
      case 'room_public':
        return setPublic(ctx, room, p, true);
      case 'room_private':
        return setPublic(ctx, room, p, false);
      case 'room_lobby':
        return setLobby(ctx, room, p);
      case 'room_read_only':
        return setReadOnly(ctx, room, p);
      case 'room_add_participant':
        return addParticipant(ctx, room, p);
      case 'room_participants':
        return listParticipants(ctx, room, p);
      case 'guest_name':
        return guestName(ctx, room, p);
      case 'call_peers':
        return callPeers(ctx, room);
      case 'call_join':
        return joinCall(ctx, room, p);
      case 'call_flags':
        return updateFlags(ctx, p);
      case 'call_ring':
        return ring(ctx, room, p);
      case 'call_leave':
        return leaveCall(ctx, room, p);
      case 'room_promote':
        return changeParticipantType(ctx, room, p, true);
      case 'room_demote':
        return changeParticipantType(ctx, room, p, false);
      case 'room_remove_attendee':
        return removeAttendee(ctx, room, p);
      case 'room_remove_self':
        return removeSelf(ctx, room, p);
      case 'room_password':
        return setPassword(ctx, room, p);
      case 'room_session_state':
        return setSessionState(ctx, p);
      case 'room_default_permissions':
        return setDefaultPermissions(ctx, room, p);
      case 'room_attendee_permissions':
        return setAttendeePermissions(ctx, room);
      case 'chat_send':
        return sendChat(ctx, room, p);
      case 'chat_receive':
        return receiveChat(ctx, room);
    }
  } catch (e) {
    if (e instanceof MissingParameter) return { status: 400, bare: true };
    if (e instanceof OutOfRange) return r(400, { error: e.param });
    throw e;
  }
}

