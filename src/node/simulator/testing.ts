// Helpers for tests that talk to a simulator over real HTTP: a client with its own cookie jar.

import { buildPath, type EndpointId, ENDPOINTS, type PathParams } from '../../shared/endpoints.ts';
import { parseOcsBody, type ParsedBody } from '../../shared/ocs.ts';
import { after, before } from 'node:test';
import { TalkSimulator, type SimOptions } from './server.ts';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: ParsedBody;
  /** OCS data, when the body is an envelope. */
  readonly data: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
}

export interface CallOptions extends PathParams {
  readonly params?: Record<string, unknown>;
  /** Send the body as JSON instead of a form. */
  readonly json?: boolean;
  readonly headers?: Record<string, string>;
  /** Leave out `OCS-APIRequest: true`. */
  readonly noOcsHeader?: boolean;
}

const formEncode = (params: Record<string, unknown>): string =>
  new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();

/** A virtual user: one cookie jar for its whole life, Basic auth when it has credentials. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  readonly base: string;
  private readonly auth: string | null;
  constructor(base: string, user?: { id: string; password: string }) {
    this.base = base;
    this.auth = user ? 'Basic ' + Buffer.from(`${user.id}:${user.password}`).toString('base64') : null;
  }

  async call(id: EndpointId, opts: CallOptions = {}): Promise<Reply> {
    const spec = ENDPOINTS[id];
    let path = buildPath(id, opts);
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    if (!opts.noOcsHeader) headers['OCS-APIRequest'] = 'true';
    if (this.auth) headers['Authorization'] = this.auth;
    if (this.cookies.size > 0) headers['Cookie'] = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (opts.params) {
      if (spec.method === 'GET') {
        path += '?' + formEncode(opts.params);
      } else if (opts.json) {
        body = JSON.stringify(opts.params);
        headers['Content-Type'] = 'application/json';
      } else {
        body = formEncode(opts.params);
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
      }
    }
    const res = await fetch(this.base + path, { method: spec.method, headers, ...(body !== undefined ? { body } : {}) });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const text = await res.text();
    const parsed = parseOcsBody(text, res.headers.get('content-type') ?? '');
    return { status: res.status, headers: res.headers, text, body: parsed, data: parsed.kind === 'ocs' ? parsed.data : undefined };
  }
}

export interface World {
  readonly sim: TalkSimulator;
  readonly url: string;
  user(id?: string): TestClient;
  guest(): TestClient;
  /** Shifts the simulator's clock forward. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

export async function startWorld(opts: SimOptions = {}): Promise<World> {
  const sim = new TalkSimulator({ seed: 1, ...opts, settings: { signalingPullSeconds: 2, ...opts.settings } });
  const url = await sim.listen(0, '127.0.0.1');
  return {
    sim,
    url,
    user: (id = 'admin') => new TestClient(url, { id, password: id }),
    guest: () => new TestClient(url),
    advance: (seconds) => {
      sim.clock.offsetMs += seconds * 1000;
    },
    close: () => sim.close(),
  };
}

/** A public conversation created by `owner`, ready for guests. */
export async function publicRoom(owner: TestClient, name = 'load test'): Promise<string> {
  const created = await owner.call('room_create', { params: { roomType: 3, roomName: name } });
  if (created.status !== 201) throw new Error(`room_create answered ${created.status}`);
  return created.data.token as string;
}

/** A guest that joined the room and its call. */
export async function guestInCall(world: World, token: string, flags = 7): Promise<TestClient> {
  const g = world.guest();
  const joined = await g.call('room_join', { token });
  if (joined.status !== 200) throw new Error(`room_join answered ${joined.status}`);
  const call = await g.call('call_join', { token, params: { flags } });
  if (call.status !== 200) throw new Error(`call_join answered ${call.status}`);
  return g;
}

/** The attendee id of an actor, from a moderator's participant list. */
export async function attendeeIdOf(moderator: TestClient, token: string, actorId: string): Promise<number> {
  const list = await moderator.call('room_participants', { token });
  const entry = ((list.data ?? []) as { actorId: string; attendeeId: number }[]).find((p) => p.actorId === actorId);
  if (!entry) throw new Error(`${actorId} is not listed in ${token} (room_participants answered ${list.status})`);
  return entry.attendeeId;
}

/** A world for one describe block: started before its tests, closed after them; `set` receives it. */
export function worldPerSuite(opts: SimOptions, set: (w: World) => void): void {
  let world: World | undefined;
  before(async () => {
    world = await startWorld(opts);
    set(world);
  });
  after(() => world?.close());
}
