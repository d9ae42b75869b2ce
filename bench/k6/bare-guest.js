// The baseline of the overhead benchmark: the same requests as the guest journey, written as a bare
// k6 script (no catalogue, no typed client, no custom metrics, no expected-status bookkeeping).
// BARE_HPB=1 (`OVERHEAD_SIGNALING=hpb`, issue 27 item 2): the HPB journey's requests and WebSocket
// messages instead: after its OCS join the guest joins the HPB room over plain k6/websockets and waits
// for the HPB's event that shows each of its own call changes, as the journey does.
import http from 'k6/http';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { WebSocket } from 'k6/websockets';
import { setTimeout, clearTimeout } from 'k6/timers';

const T = __ENV.TALK_TARGET;
const API = `${T}/ocs/v2.php/apps/spreed/api`;
const H = { 'OCS-APIRequest': 'true', Accept: 'application/json' };
const STAY_MS = Number(__ENV.BARE_STAY_MS || 2000);
const FLAGS_MS = Number(__ENV.BARE_FLAGS_MS || 500);
const PEERS_MS = Number(__ENV.BARE_PEERS_MS || 500);
const HPB = __ENV.BARE_HPB === '1';
const WAIT_MS = 10000;

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
  const settings = http.get(`${API}/v3/signaling/settings?token=${token}`, p);
  if (HPB) return hpbStay(token, p, sessionId, settings.json().ocs.data);
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

/** With an HPB: the WebSocket, hello v2, the HPB room, and the call changes seen as HPB events. */
async function hpbStay(token, p, sessionId, settings) {
  // One waiter at a time: the next message that matches, or null after WAIT_MS or a close.
  let waiter = null;
  const next = (match) => new Promise((resolve) => {
    const timer = setTimeout(() => { waiter = null; resolve(null); }, WAIT_MS);
    waiter = { match, resolve: (text) => { clearTimeout(timer); waiter = null; resolve(text); } };
  });
  const ws = new WebSocket(settings.server.replace(/^http/, 'ws').replace(/\/+$/, '') + '/spreed');
  ws.onmessage = (e) => {
    if (waiter !== null && waiter.match(e.data)) waiter.resolve(e.data);
  };
  ws.onclose = () => waiter?.resolve(null);
  const welcome = next((t) => t.includes('"type":"welcome"'));
  if ((await welcome) === null) return ws.close();
  const helloAnswer = next((t) => t.startsWith('{"id":"1"'));
  ws.send(JSON.stringify({ id: '1', type: 'hello', hello: { version: '2.0', auth: { url: `${API}/v3/signaling/backend`, params: { token: settings.helloAuthParams['2.0'].token } } } }));
  const hello = await helloAnswer;
  const m = hello === null ? null : /"sessionid":"([^"]+)"/.exec(hello);
  if (m === null) return ws.close();
  const hpbId = m[1];
  const roomAnswer = next((t) => t.startsWith('{"id":"2"'));
  ws.send(JSON.stringify({ id: '2', type: 'room', room: { roomid: token, sessionid: sessionId } }));
  await roomAnswer;
  // The HPB's event that lists this guest with these flags.
  const shows = (flags) => (t) => t.includes('"participants"') && t.includes(`"sessionId":"${hpbId}"`) && t.includes(`"inCall":${flags}`);

  let flags = Math.random() < 0.5 ? 7 : 3;
  let seen = next(shows(flags));
  await http.asyncRequest('POST', `${API}/v4/call/${token}`, { flags: String(flags) }, p);
  await seen;
  const jitter = (ms) => Math.round(ms * (0.8 + Math.random() * 0.4));
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
      seen = next(shows(flags));
      await http.asyncRequest('PUT', `${API}/v4/call/${token}`, { flags: String(flags) }, p);
      await seen;
    }
  }
  await http.asyncRequest('DELETE', `${API}/v4/call/${token}`, null, p);
  const left = next((t) => t.startsWith('{"id":"3"'));
  ws.send('{"id":"3","type":"room","room":{"roomid":""}}');
  await left;
  const bye = next((t) => t.startsWith('{"id":"4"'));
  ws.send('{"id":"4","type":"bye","bye":{}}');
  await bye;
  ws.close();
  await http.asyncRequest('DELETE', `${API}/v4/room/${token}/participants/active`, null, p);
}
