// HTTP front of the simulator: Nextcloud's request pipeline in the order the server runs it
// (same-site cookie check, router, login, CSRF, brute force, Talk middleware, controller), the OCS
// envelope, PHP-session cookies, faults, the capacity model and /metrics.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BruteForce, TOKEN_PATTERN } from '../../shared/constants.ts';
import { ENDPOINT_IDS, ENDPOINTS, type EndpointId, type HttpMethod } from '../../shared/endpoints.ts';
import { Capacity, type CapacityConfig } from './capacity.ts';
import { seededRandom } from '../../shared/random.ts';
import { FaultInjector, type FaultRule, parseFaultRules } from './faults.ts';
import { SimMetrics } from './metrics.ts';
import { RawJson } from './raw-json.ts';
import { phpJson } from '../../shared/php-json.ts';
import { type ServerSettings, ShiftableClock, TalkState, type User, defaultSettings } from './state.ts';
import { type Ctx, type Result, handle } from './talk.ts';
import { listenHttp, readBody } from '../listen.ts';
import { AccessLog } from './access-log.ts';
import { type ExternalConfig, ExternalSignaling } from './external-signaling.ts';
import type { BruteForceAction } from '../../shared/constants.ts';

export interface SimOptions {
  readonly users?: readonly User[];
  readonly settings?: Partial<ServerSettings>;
  readonly faults?: readonly FaultRule[];
  readonly capacity?: CapacityConfig | null;
  readonly seed?: number;
  /** An HPB: Talk then uses external signaling (default internal). */
  readonly external?: ExternalConfig | null;
  /** A file to write every Talk request to, in the real runs' nginx-log columns (access-log.ts). */
  readonly accessLog?: string;
}

export const DEFAULT_USERS: readonly User[] = ['admin', 'participant1', 'participant2', 'participant3', 'participant4'].map(
  (id) => ({ id, password: id, displayName: id === 'admin' ? 'Administrator' : `Participant ${id.slice(-1)}` }),
);

// ---- routing ----------------------------------------------------------------------------------------

interface Route {
  readonly id: EndpointId;
  readonly method: HttpMethod;
  readonly segments: readonly string[];
  readonly params: number;
}

const ROUTES: readonly Route[] = ENDPOINT_IDS.map((id) => {
  const segments = ENDPOINTS[id].path.split('/').filter(Boolean);
  return { id, method: ENDPOINTS[id].method, segments, params: segments.filter((s) => s.startsWith('{')).length };
}).sort((a, b) => a.params - b.params); // literal routes first, as Nextcloud registers them

type RouteMatch = { route: Route; token: string; attendeeId: string } | 'method-not-allowed' | null;

function matchRoute(method: string, parts: readonly string[]): RouteMatch {
  let pathMatched = false;
  for (const route of ROUTES) {
    if (route.segments.length !== parts.length) continue;
    let token = '';
    let attendeeId = '';
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i]!;
      const part = parts[i]!;
      if (seg === '{token}') {
        ok = TOKEN_PATTERN.test(part);
        token = part;
      } else if (seg === '{attendeeId}') {
        ok = /^\d+$/.test(part);
        attendeeId = part;
      } else ok = seg === part;
    }
    if (!ok) continue;
    if (route.method === method) return { route, token, attendeeId };
    pathMatched = true;
  }
  return pathMatched ? 'method-not-allowed' : null;
}

// ---- cookies and bodies -----------------------------------------------------------------------------

/** Shared, never written to. */
const NO_QUERY = new URLSearchParams();

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const value = part.slice(eq + 1).trim();
    out.set(part.slice(0, eq).trim(), value.includes('%') ? safeDecode(value) : value);
  }
  return out;
}

const SAME_SITE_COOKIES = [
  'nc_sameSiteCookielax=true; path=/; httponly; expires=Fri, 31-Dec-2100 23:59:59 GMT; SameSite=lax',
  'nc_sameSiteCookiestrict=true; path=/; httponly; expires=Fri, 31-Dec-2100 23:59:59 GMT; SameSite=strict',
];

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}


/** Merges query, form and JSON parameters as Nextcloud's Request does (body wins over query). */
function parseParams(query: URLSearchParams, contentType: string, body: string): Map<string, unknown> {
  const params = new Map<string, unknown>();
  for (const [k, v] of query) params.set(k, v);
  if (body === '') return params;
  if (contentType.includes('application/json')) {
    try {
      const json: unknown = JSON.parse(body);
      if (json && typeof json === 'object' && !Array.isArray(json)) for (const [k, v] of Object.entries(json)) params.set(k, v);
    } catch {
      // Invalid JSON is ignored by Nextcloud: parameters are then simply missing.
    }
  } else {
    for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
  }
  return params;
}

function basicAuth(header: string | undefined): { user: string; password: string } | null {
  if (!header || !header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// ---- answers ----------------------------------------------------------------------------------------

function wantsJson(req: IncomingMessage, query: URLSearchParams): boolean {
  const format = query.get('format');
  if (format === 'json') return true;
  if (format === 'xml') return false;
  return (req.headers.accept ?? '').includes('json');
}

function xmlValue(v: unknown, indent: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const entries = Array.isArray(v) ? v.map((x) => ['element', x] as const) : Object.entries(v);
  return entries.map(([k, x]) => `\n${indent}<${k}>${xmlValue(x, indent + ' ')}</${k}>`).join('') + `\n${indent.slice(1)}`;
}

interface Answer {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers: Record<string, string>;
}

const metaCache = new Map<string, string>();

function ocsAnswer(json: boolean, status: number, data: unknown, message?: string, statuscode = status): Answer {
  const ok = status >= 200 && status < 300;
  const meta = { status: ok ? 'ok' : 'failure', statuscode, message: message ?? (ok ? 'OK' : '') };
  const payload = data === undefined ? [] : data;
  if (json && payload instanceof RawJson && payload.envelope && status === 200 && message === undefined) {
    return { status, body: payload.envelope, contentType: 'application/json; charset=utf-8', headers: {} };
  }
  if (json) {
    const key = `${status} ${statuscode} ${meta.message}`;
    let head = metaCache.get(key);
    if (head === undefined) {
      head = `{"ocs":{"meta":${phpJson(meta)},"data":`;
      if (metaCache.size < 1000) metaCache.set(key, head);
    }
    const text = head + (payload instanceof RawJson ? payload.text : phpJson(payload)) + '}}';
    if (payload instanceof RawJson && status === 200 && message === undefined) payload.envelope = Buffer.from(text);
    return {
      status,
      body: payload instanceof RawJson && payload.envelope ? payload.envelope : text,
      contentType: 'application/json; charset=utf-8',
      headers: {},
    };
  }
  return {
    status,
    body: `<?xml version="1.0"?>\n<ocs>\n <meta>${xmlValue(meta, '  ')}</meta>\n <data>${xmlValue(payload instanceof RawJson ? JSON.parse(payload.text) : payload, '  ')}</data>\n</ocs>\n`,
    contentType: 'application/xml; charset=utf-8',
    headers: {},
  };
}

const plainJson = (status: number, value: unknown): Answer => ({
  status,
  body: phpJson(value),
  contentType: 'application/json; charset=utf-8',
  headers: {},
});

/**
 * An uncaught exception in PHP (ocs/v1.php's last catch): OC_API answers in the format of the `format`
 * parameter alone, XML by default, whatever `Accept` says; for OCS v2 meta.statuscode is 500.
 */
function uncaughtError(query: URLSearchParams, params?: ReadonlyMap<string, unknown>): Answer {
  const format = query.get('format') ?? params?.get('format');
  const json = format === 'json';
  const a = ocsAnswer(json, 500, [], 'Internal Server Error\n');
  if (!json) {
    a.body = '<?xml version="1.0"?>\n<ocs>\n <meta>\n  <status>failure</status>\n  <statuscode>500</statuscode>\n  <message>Internal Server Error\n</message>\n </meta>\n <data/>\n</ocs>\n';
    a.contentType = 'text/xml; charset=UTF-8';
  }
  return a;
}

const HTML_404 = '<!DOCTYPE html>\n<html><head><title>Nextcloud</title></head><body><h2>Page not found</h2></body></html>\n';

// ---- the simulator ----------------------------------------------------------------------------------

export class TalkSimulator {
  readonly clock = new ShiftableClock();
  readonly state: TalkState;
  readonly faults: FaultInjector;
  readonly capacity: Capacity | null;
  readonly metrics: SimMetrics;
  readonly server: Server;
  readonly external: ExternalSignaling | null;
  /** The base URL clients reach this server at; set by listen(). */
  url = '';
  private readonly sessionCookie: string;
  private readonly accessLog: AccessLog | null;

  constructor(opts: SimOptions = {}) {
    this.accessLog = opts.accessLog ? new AccessLog(opts.accessLog) : null;
    this.state = new TalkState(this.clock, { ...defaultSettings(), ...opts.settings }, opts.users ?? DEFAULT_USERS);
    this.faults = new FaultInjector([...(opts.faults ?? [])], seededRandom(opts.seed ?? Date.now()));
    this.capacity = opts.capacity ? new Capacity(opts.capacity, seededRandom((opts.seed ?? Date.now()) + 1)) : null;
    this.metrics = new SimMetrics(this.state, this.capacity);
    this.external = opts.external ? new ExternalSignaling(opts.external, this.metrics) : null;
    this.sessionCookie = this.state.instanceId;
    // Idle connections stay open until the client closes them: no keep-alive timeout, and no
    // headers timeout (Node's 60 s one also closes a connection that has sent nothing yet, with an
    // unsolicited 408). k6 never closes an idle connection (also one it dialed and then did not
    // need) and, when a server closes one just as k6 reuses it, retries only GETs: a PUT, POST or
    // DELETE fails with EOF or a reset, or reads that 408 (seen in bench:scale at 10,000 guests).
    // That race is k6's connection reuse against any server that closes idle connections, not Talk.
    this.server = createServer({ keepAliveTimeout: 0, requestTimeout: 0 }, (req, res) => {
      this.serve(req, res).catch((e: unknown) => {
        // A bug in the simulator must not take it down; the client sees a 500 like PHP's.
        process.stderr.write(`talkload sim: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
        if (!res.headersSent) this.write(res, uncaughtError(new URLSearchParams((req.url ?? '').split('?')[1] ?? '')));
        else res.end();
      });
    });
    this.server.headersTimeout = 0;
    this.gcTimer = setInterval(() => this.state.collectPhpSessions(), 60_000);
    this.gcTimer.unref();
  }

  private readonly gcTimer: NodeJS.Timeout;

  async listen(port: number, host: string): Promise<string> {
    this.url = await listenHttp(this.server, port, host);
    if (this.external) this.external.baseUrl = this.url;
    return this.url;
  }

  close(): Promise<void> {
    clearInterval(this.gcTimer);
    void this.external?.close();
    const closed = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return Promise.all([closed, ...this.companions.splice(0).map((c) => c.close())]).then(() => this.accessLog?.close());
  }

  /** Something started with the simulator (its HPB emulator) that closes with it. */
  attach(companion: { close(): Promise<void> }): void {
    this.companions.push(companion);
  }

  private readonly companions: { close(): Promise<void> }[] = [];

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    // Hot path: split by hand instead of new URL().
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? NO_QUERY : new URLSearchParams(rawUrl.slice(q + 1));
    const method = req.method ?? 'GET';
    if (this.accessLog && path.startsWith('/ocs/')) this.logAccess(res, method, path);

    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
      res.end(await this.metrics.registry.metrics());
      return;
    }
    if (path.startsWith('/__talksim/')) return this.control(req, res, path, query);
    if (path === '/status.php') {
      return this.write(res, plainJson(200, { installed: true, maintenance: false, needsDbUpgrade: false, version: '31.0.0.0', versionstring: '31.0.0', edition: '', productname: 'Nextcloud (talkload simulator)', extendedSupport: false }));
    }

    const cookies = parseCookies(req.headers.cookie);
    const ocsHeader = req.headers['ocs-apirequest'];
    const isOcs = path.startsWith('/ocs/v2.php/');
    const json = wantsJson(req, query);

    // base.php: requests with cookies must pass the same-site cookie check (the OCS header skips it).
    if (isOcs && cookies.size > 0 && !ocsHeader && (cookies.has(this.sessionCookie) || cookies.has('nc_token'))) {
      if (cookies.get('nc_sameSiteCookiestrict') !== 'true' || cookies.get('nc_sameSiteCookielax') !== 'true') {
        const a = plainJson(412, { error: 'Strict Cookie has not been found in request' });
        res.setHeader('Set-Cookie', SAME_SITE_COOKIES);
        return this.finish(res, a, null, method, started);
      }
    }
    if (!isOcs) return this.finish(res, { status: 404, body: HTML_404, contentType: 'text/html; charset=utf-8', headers: {} }, null, method, started);

    const match = matchRoute(method, path.split('/').filter(Boolean));
    if (match === null) {
      const msg = 'Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.\n';
      return this.finish(res, ocsAnswer(json, 404, [], msg), null, method, started);
    }
    if (match === 'method-not-allowed') {
      return this.finish(res, { status: 405, body: '', contentType: 'application/json; charset=utf-8', headers: {} }, null, method, started);
    }
    const id = match.route.id;
    const spec = ENDPOINTS[id];
    const pendingBody = readBody(req);
    const body = typeof pendingBody === 'string' ? pendingBody : await pendingBody;

    const fault = this.faults.decide(id, header(req, 'x-talksim-fault'));
    if (this.capacity) await this.capacity.enter(id);
    try {
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      if (fault.replace) {
        switch (fault.replace.kind) {
          case 'reset':
            req.socket.destroy();
            this.metrics.observe(id, method, 'reset', null);
            return;
          case 'hang':
            // Never answers; the connection stays open until the client gives up.
            this.metrics.observe(id, method, 'hang', null);
            await new Promise<void>((resolve) => req.socket.once('close', resolve));
            return;
          case 'html':
            return this.finish(res, { status: fault.replace.status, body: '<!DOCTYPE html>\n<html><head><title>Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>\n', contentType: 'text/html; charset=utf-8', headers: {} }, id, method, started);
          case 'badjson':
            return this.finish(res, { status: fault.replace.status, body: '{"ocs":{"meta":{"status":"ok","statuscode":200', contentType: 'application/json; charset=utf-8', headers: {} }, id, method, started);
          case 'error':
            // A 500 is an uncaught exception on a real server (e.g. SQLite "database is locked"):
            // OCS XML whatever Accept says. Other statuses come from a controller, in the asked format.
            return this.finish(res, fault.replace.status === 500 ? uncaughtError(query) : ocsAnswer(json, fault.replace.status, []), id, method, started);
          case 'vanish':
            break; // below, once the caller's PHP session is known
        }
      }

      // PHP session from the session cookie; a request without one starts a new session.
      const setCookies: string[] = [];
      let phpId = cookies.get(this.sessionCookie);
      if (phpId === undefined) {
        phpId = this.state.newPhpSessionId();
        setCookies.push(`${this.sessionCookie}=${phpId}; path=/; HttpOnly; SameSite=Lax`, `oc_sessionPassphrase=${phpId.slice(0, 16)}; path=/; HttpOnly; SameSite=Lax`);
      }
      if (cookies.size === 0) setCookies.push(...SAME_SITE_COOKIES);
      if (setCookies.length > 0) res.setHeader('Set-Cookie', setCookies);
      const php = this.state.phpSession(phpId);

      const auth = basicAuth(req.headers.authorization);
      let userId = php.userId;
      if (auth) {
        const user = this.state.users.get(auth.user);
        if (!user || user.password !== auth.password) {
          // Credentials that are given must be valid, even on public endpoints (LoginException).
          this.state.releaseIfEmpty(php);
          return this.finish(res, ocsAnswer(json, 401, [], 'Unauthorised'), id, method, started);
        }
        userId = user.id;
        php.userId = userId;
      }

      // SecurityMiddleware: login first, then CSRF.
      if (!spec.guestAllowed && userId === null) {
        this.state.releaseIfEmpty(php);
        return this.finish(res, ocsAnswer(json, 401, [], 'Current user is not logged in', 997), id, method, started);
      }
      if (ocsHeader !== 'true') {
        this.state.releaseIfEmpty(php);
        return this.finish(res, plainJson(412, { message: 'CSRF check failed' }), id, method, started);
      }

      // BruteForceMiddleware before the controller: sleep the current delay, or 429 at the maximum.
      const ip = clientAddress(req);
      let slept = 0;
      for (const action of spec.bruteForce) {
        if (this.state.bruteForceBlocked(ip, action)) {
          return this.finish(res, ocsAnswer(json, 429, [], 'Reached maximum delay'), id, method, started);
        }
        slept += await this.bruteForceSleep(ip, action);
      }

      if (fault.replace?.kind === 'vanish' && match.token !== undefined) {
        // The caller's attendee is removed under it, then the controller answers as Talk does.
        const sid = php.talk.get(match.token);
        const session = sid === undefined ? undefined : this.state.sessionsById.get(sid);
        if (session) this.state.removeAttendeeAndSessions(session.attendee);
      }
      const ctx: Ctx = {
        state: this.state,
        userId,
        php,
        params: parseParams(query, header(req, 'content-type') ?? '', body),
        token: match.token,
        attendeeId: match.attendeeId,
        body,
        header: (name) => header(req, name),
        external: this.external,
        outbox: [],
        dbLocked: () => this.capacity?.dbLocked() ?? false,
      };
      const pending = handle(id, ctx);
      let result: Result;
      if (pending instanceof Promise) {
        const poll = id === 'signaling_poll';
        if (poll) this.metrics.waitingPolls++;
        try {
          result = await pending;
        } finally {
          if (poll) this.metrics.waitingPolls--;
        }
      } else result = pending;
      if (result.backend) this.metrics.backendRequest(result.backend.type, result.backend.result, result.backend.pingBatch);
      if (result.uncaught) return this.finish(res, uncaughtError(query, ctx.params), id, method, started);

      // ...and after it: a throttled answer registers an attempt and sleeps again (or gives up).
      if (result.throttle) {
        this.state.registerAttempt(ip, result.throttle.action, result.throttle.token);
        if (this.state.bruteForceBlocked(ip, result.throttle.action)) {
          const talk19 = this.state.settings.compat === 'talk19';
          // Talk 19 / Nextcloud 29 let MaxDelayReached escape from afterController: a 500.
          return this.finish(res, ocsAnswer(json, talk19 ? 500 : 429, [], 'Reached maximum delay', talk19 ? 996 : 429), id, method, started, slept);
        }
        slept += await this.bruteForceSleep(ip, result.throttle.action);
      }
      if (result.resetAttempts !== undefined) {
        this.state.resetAttempts(ip, 'talkRoomToken', result.resetAttempts);
        this.state.resetAttempts(ip, 'talkRoomPassword', result.resetAttempts);
      }
      this.state.releaseIfEmpty(php);

      const answer: Answer = result.bare
        ? { status: result.status, body: '', contentType: 'application/json; charset=utf-8', headers: {} }
        : ocsAnswer(json, result.status, result.data);
      if (result.headers) Object.assign(answer.headers, result.headers);
      return this.finish(res, answer, id, method, started, slept);
    } finally {
      this.capacity?.leave();
    }
  }

  private async bruteForceSleep(ip: string, action: BruteForceAction): Promise<number> {
    const ms = this.state.bruteForceDelayMs(ip, action);
    if (ms > 0 && this.state.settings.bruteForce === 'on') await sleep(ms);
    return this.state.settings.bruteForce === 'on' ? ms : 0;
  }

  private logAccess(res: ServerResponse, method: string, path: string): void {
    const log = this.accessLog!;
    const arrived = Date.now();
    res.once('close', () => {
      const match = matchRoute(method, path.split('/').filter(Boolean));
      const endpoint = match === null || match === 'method-not-allowed' ? 'unknown' : match.route.id;
      log.record(arrived, Date.now(), res.writableFinished ? res.statusCode : 499, method, endpoint, path);
    });
  }

  private finish(res: ServerResponse, a: Answer, id: EndpointId | null, method: string, started: number, slept = 0): void {
    if (slept > 0) a.headers[BruteForce.header] = `${slept}ms`;
    this.write(res, a);
    this.metrics.observe(id ?? 'unknown', method, a.status, (performance.now() - started) / 1000);
  }

  private write(res: ServerResponse, a: Answer): void {
    if (res.writableEnded || res.destroyed) return;
    const bytes = typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
    a.headers['Content-Type'] = a.contentType;
    a.headers['Content-Length'] = String(bytes.length);
    res.writeHead(a.status, a.headers);
    res.end(bytes);
  }

  /** Test and operator hooks under /__talksim/ (the simulator binds loopback by default). */
  private async control(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const body = await readBody(req);
    const reply = (status: number, value: unknown): void => this.write(res, plainJson(status, value));
    switch (`${req.method} ${path}`) {
      case 'POST /__talksim/clock': {
        const advance = Number(query.get('advance') ?? body);
        if (!Number.isFinite(advance)) return reply(400, { error: 'advance must be a number of seconds' });
        this.clock.offsetMs += advance * 1000;
        return reply(200, { offsetSeconds: this.clock.offsetMs / 1000 });
      }
      case 'POST /__talksim/bruteforce/reset':
        this.state.resetBruteForce();
        return reply(200, { reset: true });
      case 'PUT /__talksim/faults':
        try {
          this.faults.rules = parseFaultRules(body);
          return reply(200, { rules: this.faults.rules.length });
        } catch (e) {
          return reply(400, { error: e instanceof Error ? e.message : String(e) });
        }
      case 'GET /__talksim/state':
        return reply(200, { rooms: this.state.rooms.size, sessions: this.state.sessionsById.size, phpSessions: this.state.phpSessions.size, rssBytes: process.memoryUsage().rss });
      default:
        return reply(404, { error: 'unknown control endpoint' });
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
