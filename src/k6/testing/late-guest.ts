// A test fixture, not a scenario (src/node/hpb/generator-late.k6.test.ts bundles it): one guest's HPB
// steps up to the hello with the library the journey uses, its VU's loop kept busy for BUSY_MS right
// after it connects (standing for the other guests' work on the same VU).

import http from 'k6/http';
import encoding from 'k6/encoding';
import { HpbConnection, hpbClientUrl } from '../lib/hpb.ts';
import { Hpb } from '../../shared/constants.ts';

export const options = { vus: 1, iterations: 1 };

const T = __ENV['TALK_TARGET'] ?? '';
const API = `${T}/ocs/v2.php/apps/spreed/api`;
const H = { 'OCS-APIRequest': 'true', Accept: 'application/json' };

interface Settings {
  server: string;
  helloAuthParams: { '2.0': { token: string } };
}

export default async function (): Promise<void> {
  const auth = { ...H, Authorization: 'Basic ' + encoding.b64encode('admin:admin') };
  const created = http.post(`${API}/v4/room`, { roomType: '3', roomName: 'late' }, { headers: auth }).json() as unknown as { ocs: { data: { token: string } } };
  const token = created.ocs.data.token;
  const p = { headers: H, jar: new http.CookieJar() };
  http.post(`${API}/v4/room/${token}/participants/active`, null, p);
  const settings = (http.get(`${API}/v3/signaling/settings?token=${token}`, p).json() as unknown as { ocs: { data: Settings } }).ocs.data;
  const conn = new HpbConnection(hpbClientUrl(settings.server));
  const busyUntil = Date.now() + Number(__ENV['BUSY_MS'] ?? 0);
  while (Date.now() < busyUntil) {
    // busy: the VU's event loop runs nothing else meanwhile
  }
  await conn.opened;
  const welcome = await conn.welcome;
  if (welcome === null) {
    conn.missedWelcome();
  } else {
    await conn.hello(JSON.stringify({ version: '2.0', auth: { url: T + Hpb.backendPath, params: { token: settings.helloAuthParams['2.0'].token } } }), 5000);
  }
  conn.close();
}

export function handleSummary(data: { metrics: unknown }): Record<string, string> {
  return { [__ENV['OUT'] ?? 'metrics.json']: JSON.stringify(data.metrics) };
}
