// The baseline of the overhead benchmark: the same requests as the guest journey, written as a bare
// k6 script (no catalogue, no typed client, no custom metrics, no expected-status bookkeeping).
import http from 'k6/http';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { setTimeout } from 'k6/timers';

const T = __ENV.TALK_TARGET;
const API = `${T}/ocs/v2.php/apps/spreed/api`;
const H = { 'OCS-APIRequest': 'true', Accept: 'application/json' };
const STAY_MS = Number(__ENV.BARE_STAY_MS || 2000);
const FLAGS_MS = Number(__ENV.BARE_FLAGS_MS || 500);
const PEERS_MS = Number(__ENV.BARE_PEERS_MS || 500);

export const options = {
  scenarios: { guests: { executor: 'constant-vus', vus: Number(__ENV.BARE_VUS || 10), duration: __ENV.BARE_DURATION || '30s', gracefulStop: '40s' } },
};

export function setup() {
  const auth = { ...H, Authorization: 'Basic ' + encoding.b64encode('admin:admin') };
  const rooms = [];
  for (let i = 0; i < Number(__ENV.BARE_ROOMS || 4); i++) rooms.push(http.post(`${API}/v4/room`, { roomType: '3', roomName: `bare ${i}` }, { headers: auth }).json().ocs.data.token);
  return { rooms };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function (data) {
  // As the journey: in constant-VU profiles the first guests arrive over the first second, not all
  // at once (issue 29: without this the bare VUs ran in step, which costs k6 less per request than
  // the journey's spread-out schedule, and the bench took the difference for harness overhead).
  if (exec.vu.iterationInScenario === 0) await sleep(Math.round(Math.random() * Math.min(1000, STAY_MS / 2)));
  const token = data.rooms[exec.scenario.iterationInTest % data.rooms.length];
  const p = { headers: H, jar: new http.CookieJar() };
  http.get(`${T}/ocs/v2.php/cloud/capabilities`, p);
  const sessionId = http.post(`${API}/v4/room/${token}/participants/active`, null, p).json().ocs.data.sessionId;
  http.post(`${API}/v1/guest/${token}/name`, { displayName: 'bare guest' }, p);
  http.get(`${API}/v3/signaling/settings?token=${token}`, p);
  let stopping = false;
  const poll = (async () => {
    while (!stopping) if ((await http.asyncRequest('GET', `${API}/v3/signaling/${token}`, null, p)).status !== 200) return;
  })();
  let flags = Math.random() < 0.5 ? 7 : 3;
  await http.asyncRequest('POST', `${API}/v4/call/${token}`, { flags: String(flags) }, p);
  // The journey's schedule: flag changes and peer polls on their own jittered timers until the
  // stay is over, so both scripts make the same requests at the same times.
  const jitter = (ms) => Math.round(ms * (0.8 + Math.random() * 0.4));
  // The stay is jittered ±20 % like the journey's.
  const leaveAt = Date.now() + jitter(STAY_MS);
  let nextFlags = Date.now() + jitter(FLAGS_MS);
  let nextPeers = Date.now() + jitter(PEERS_MS);
  for (;;) {
    const wait = Math.min(nextFlags, nextPeers, leaveAt) - Date.now();
    if (wait > 0) await sleep(wait);
    const now = Date.now();
    if (now >= leaveAt) break;
    if (now >= nextPeers) {
      nextPeers = now + jitter(PEERS_MS);
      await http.asyncRequest('GET', `${API}/v4/call/${token}`, null, p);
    }
    if (now >= nextFlags) {
      nextFlags = now + jitter(FLAGS_MS);
      flags ^= 2;
      await http.asyncRequest('PUT', `${API}/v4/call/${token}`, { flags: String(flags) }, p);
    }
  }
  await http.asyncRequest('DELETE', `${API}/v4/call/${token}`, null, p);
  stopping = true;
  const fn = JSON.stringify({ to: sessionId, type: 'leaving', payload: {} });
  await http.asyncRequest('POST', `${API}/v3/signaling/${token}`, { messages: JSON.stringify([{ ev: 'message', fn, sessionId }]) }, p);
  await poll;
  await http.asyncRequest('DELETE', `${API}/v4/room/${token}/participants/active`, null, p);
}
