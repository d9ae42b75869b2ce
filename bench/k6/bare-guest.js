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
const EVERY_MS = Number(__ENV.BARE_EVERY_MS || 500);

export const options = {
  scenarios: { guests: { executor: 'shared-iterations', vus: Number(__ENV.BARE_VUS || 10), iterations: Number(__ENV.BARE_ITERATIONS || 200), maxDuration: '5m' } },
};

export function setup() {
  const auth = { ...H, Authorization: 'Basic ' + encoding.b64encode('admin:admin') };
  const rooms = [];
  for (let i = 0; i < 4; i++) rooms.push(http.post(`${API}/v4/room`, { roomType: '3', roomName: `bare ${i}` }, { headers: auth }).json().ocs.data.token);
  return { rooms };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function (data) {
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
  await http.asyncRequest('POST', `${API}/v4/call/${token}`, { flags: '7' }, p);
  let flags = 7;
  for (let t = 0; t < STAY_MS; t += EVERY_MS) {
    await sleep(EVERY_MS);
    await http.asyncRequest('GET', `${API}/v4/call/${token}`, null, p);
    flags ^= 2;
    await http.asyncRequest('PUT', `${API}/v4/call/${token}`, { flags: String(flags) }, p);
  }
  await http.asyncRequest('DELETE', `${API}/v4/call/${token}`, null, p);
  stopping = true;
  const fn = JSON.stringify({ to: sessionId, type: 'leaving', payload: {} });
  await http.asyncRequest('POST', `${API}/v3/signaling/${token}`, { messages: JSON.stringify([{ ev: 'message', fn, sessionId }]) }, p);
  await poll;
  await http.asyncRequest('DELETE', `${API}/v4/room/${token}/participants/active`, null, p);
}
