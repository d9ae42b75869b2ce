// The rungs of `OVERHEAD_LADDER=1 npm run bench:overhead` (issue 29): the bare script's requests
// (bench/k6/bare-guest.js) on its schedule, with talkload's k6 options, thresholds, custom metric
// declarations and `name` tags. OVERHEAD_RUNG=options sends them with plain k6/http calls (against
// the bare script: what the run's configuration costs per request); OVERHEAD_RUNG=client through
// the typed client, TalkClient (against the first rung: what the client costs; the full journey
// against this one: what the journey's checks, metrics and structure cost).

import http from 'k6/http';
import exec from 'k6/execution';
import { config } from '../lib/env.ts';
import { buildOptions } from '../lib/options.ts';
import { metrics } from '../lib/metrics.ts';
import { setupRooms, teardownRooms, type SetupData } from '../lib/rooms.ts';
import { TalkClient } from '../lib/talk-client.ts';
import { delay } from '../lib/timers.ts';
import { joinedSession } from '../../shared/ocs.ts';
import { Timeouts } from '../../shared/constants.ts';

export const options = buildOptions(config);
/** Declared as the journey declares them (thresholds name them); never added to here. */
export const declared = Object.keys(metrics).length;
const VIA_CLIENT = __ENV['OVERHEAD_RUNG'] === 'client';

export function setup(): SetupData {
  return setupRooms();
}

export function teardown(data: SetupData): void {
  teardownRooms(data);
}

const API = `${config.target}/ocs/v2.php/apps/spreed/api`;
const H = { 'OCS-APIRequest': 'true', Accept: 'application/json' };
const jitter = (ms: number): number => Math.round(ms * (0.8 + Math.random() * 0.4));

export async function guest(data: SetupData): Promise<void> {
  if (exec.vu.iterationInScenario === 0) await delay(Math.round(Math.random() * 1000));
  const token = data.rooms[exec.scenario.iterationInTest % data.rooms.length]!;
  // The client (and its prepared requests) only on the client rung: the options rung makes no JS
  // call the bare script does not make.
  const c = VIA_CLIENT ? new TalkClient(config.target) : null;
  const jar = c?.jar ?? new http.CookieJar();
  const p = (name: string): { headers: typeof H; jar: typeof jar; tags: { name: string } } => ({ headers: H, jar, tags: { name } });
  let flags = Math.random() < 0.5 ? 7 : 3;
  let sessionId: string | undefined;
  // The steps before the stay, one way or the other.
  if (c !== null) {
    c.call('capabilities');
    const joined = c.call('room_join', { token, keepBody: true });
    sessionId = typeof joined.body === 'string' ? joinedSession(joined.body)?.id : undefined;
    c.call('guest_name', { token, params: { displayName: 'bare guest' } });
    c.call('signaling_settings', { params: { token } });
  } else {
    http.get(`${config.target}/ocs/v2.php/cloud/capabilities`, p('capabilities'));
    const joined = http.post(`${API}/v4/room/${token}/participants/active`, null, { ...p('room_join'), responseType: 'text' });
    sessionId = (joined.json() as { ocs: { data: { sessionId: string } } }).ocs.data.sessionId;
    http.post(`${API}/v1/guest/${token}/name`, { displayName: 'bare guest' }, p('guest_name'));
    http.get(`${API}/v3/signaling/settings?token=${token}`, p('signaling_settings'));
  }
  if (sessionId === undefined) return;
  let stopping = false;
  const pollRequest = c?.prepare('signaling_poll', { token, timeoutMs: Timeouts.signalingPollTimeoutSeconds * 1000 });
  const pollParams = p('signaling_poll');
  const poll = (async (): Promise<void> => {
    for (;;) {
      if (stopping) return;
      const status = c !== null ? c.record(pollRequest!.kind, await pollRequest!.send()).status : (await http.asyncRequest('GET', `${API}/v3/signaling/${token}`, null, pollParams)).status;
      if (status !== 200) return;
    }
  })();
  if (c !== null) await c.callAsync('call_join', { token, params: { flags } });
  else await http.asyncRequest('POST', `${API}/v4/call/${token}`, { flags: String(flags) }, p('call_join'));
  const peersRequest = c?.prepare('call_peers', { token, keepBody: true });
  const flagsRequests = c === null ? [] : [c.prepare('call_flags', { token, params: { flags: flags ^ 2 } }), c.prepare('call_flags', { token, params: { flags } })];
  const peersParams = { ...p('call_peers'), responseType: 'text' as const };
  const flagsParams = p('call_flags');
  let toggles = 0;
  const stayMs = config.stay * 1000, flagsMs = config.flagsEvery * 1000, peersMs = config.peersEvery * 1000;
  const leaveAt = Date.now() + jitter(stayMs);
  let nextFlags = Date.now() + jitter(flagsMs);
  let nextPeers = Date.now() + jitter(peersMs);
  for (;;) {
    const wait = Math.min(nextFlags, nextPeers, leaveAt) - Date.now();
    if (wait > 0) await delay(wait);
    const now = Date.now();
    if (now >= leaveAt) break;
    if (now >= nextPeers) {
      nextPeers = now + jitter(peersMs);
      if (c !== null) c.record(peersRequest!.kind, await peersRequest!.send());
      else await http.asyncRequest('GET', `${API}/v4/call/${token}`, null, peersParams);
    }
    if (now >= nextFlags) {
      nextFlags = now + jitter(flagsMs);
      flags ^= 2;
      const r = flagsRequests[toggles++ % 2];
      if (c !== null && r !== undefined) c.record(r.kind, await r.send());
      else await http.asyncRequest('PUT', `${API}/v4/call/${token}`, { flags: String(flags) }, flagsParams);
    }
  }
  const fn = JSON.stringify({ to: sessionId, type: 'leaving', payload: {} });
  const messages = JSON.stringify([{ ev: 'message', fn, sessionId }]);
  if (c !== null) {
    await c.callAsync('call_leave', { token });
    stopping = true;
    await c.callAsync('signaling_send', { token, params: { messages } });
    await poll;
    await c.callAsync('room_leave', { token });
  } else {
    await http.asyncRequest('DELETE', `${API}/v4/call/${token}`, null, p('call_leave'));
    stopping = true;
    await http.asyncRequest('POST', `${API}/v3/signaling/${token}`, { messages }, p('signaling_send'));
    await poll;
    await http.asyncRequest('DELETE', `${API}/v4/room/${token}/participants/active`, null, p('room_leave'));
  }
}
