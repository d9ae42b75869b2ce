// Typed Talk client for k6, built from the shared catalogue: OCS headers on every request, the
// guest's own cookie jar, `name` tag = endpoint id, and a response callback that marks a response
// as expected only when its status is in the step's expected set. Journeys never call k6/http
// directly.
//
// Every request runs this code, so it is kept lean (`npm run bench:overhead` measures it against a
// bare k6 script, issue 29). What a request is apart from the guest's token, values and jar, its Kind
// (method, path, k6 params, expected statuses), is worked out once per VU by the journeys (`kindOf`
// at init), with the functions that send a guest's request of it: closures over the kind's parts,
// because in k6's JS engine a property read is a lookup by name that costs about a microsecond in a
// busy VU, where a closure's variable is an index (see builtins.ts). A request that repeats is
// prepared once (`sender`), then sent and its status looked at.

import http, { type CookieJar, type Params, type RefinedResponse, type ResponseType } from 'k6/http';
import encoding from 'k6/encoding';
import { buildPath, ENDPOINTS, type EndpointId, isDocumented, PATH_PARTS } from '../../shared/endpoints.ts';
import { BruteForce } from '../../shared/constants.ts';
import { k6StatusLabel } from '../../shared/outcome.ts';
import { looksLikeOcs } from '../../shared/ocs.ts';
import { metrics } from './metrics.ts';

/** What a request looks like apart from its token and values: one per call site, worked out once. */
export interface Shape {
  /** Statuses that are expected in this step, beyond the endpoint's success statuses. */
  readonly alsoExpect?: readonly number[];
  /** Keep the body (default: discarded, which saves memory at scale). */
  readonly keepBody?: boolean;
  /** Request timeout in ms; the signaling long-poll needs more than the default. */
  readonly timeoutMs?: number;
  /**
   * The answer must be a whole OCS envelope: an expected status with a cut or foreign body (a proxy
   * cut the response, PHP died mid-answer) is counted here as `bad_body`, not blamed on the next step.
   * Keeps the body. For the once-per-guest steps; repeated steps stay cheap.
   */
  readonly checkBody?: boolean;
  /**
   * The query parameter that carries the conversation token, for a kind whose path has none
   * (`GET /signaling/settings?token=`): a guest's URL is then built as any token kind's.
   */
  readonly tokenQuery?: string;
}

/** Query (GET) or form body (other methods); k6 formats numbers and booleans. */
export type Values = Readonly<Record<string, string | number | boolean>>;

export interface Step extends Shape {
  readonly token?: string;
  readonly attendeeId?: number;
  readonly params?: Values;
}

export type TalkResponse = RefinedResponse<ResponseType | undefined>;

/** A request of one shape to one endpoint, all but the guest's token, values and jar. */
export interface Kind {
  readonly id: EndpointId;
  readonly method: string;
  /** Values go into a form body (else into the query). */
  readonly form: boolean;
  /** The server's base URL, which the kind's URLs start with. */
  readonly base: string;
  /** The URL (no placeholder), or what comes before its one `{token}` (most endpoints). */
  readonly head: string;
  /** What comes after its one `{token}` (or its `tokenQuery`); null when it has none or another shape. */
  readonly tail: string | null;
  readonly fixed: boolean;
  /** k6 params without the jar: only what differs from the run's defaults (k6 parses every key). */
  readonly params: Params;
  readonly expected: readonly number[];
  /** Whether to look for the brute-force throttling header on the response. */
  readonly throttles: boolean;
  readonly checkBody: boolean;
  /**
   * The one status that `record` would let pass without a look (the step expects exactly it, the
   * endpoint does not throttle, the body is not checked), or -1. The stay's repeated requests skip
   * the call to `record` on it: `if (res.status !== QUIET) K.record(c, res)`, QUIET read once per VU.
   */
  readonly quiet: number;
  // A guest's request of this kind (a client from `TalkClient.guest`: its conversation, its jar).
  // Values are a form body; a GET's values go in its URL, which only the client's general path
  // (`call`, `callAsync`, `prepare`) builds.
  /** Sends it, blocking; records a status other than `quiet`. */
  readonly once: (c: TalkClient, values?: Values) => TalkResponse;
  /**
   * Sends it without blocking and without looking at the answer: the caller passes the response to
   * `record` (`k.record(c, await k.sendAsync(c))`), one promise and one job fewer than a `.then`.
   */
  readonly sendAsync: (c: TalkClient, values?: Values) => Promise<TalkResponse>;
  /** For a request sent again and again: URL, body and params worked out now; each call sends it once more. */
  readonly sender: (c: TalkClient, values?: Values) => () => Promise<TalkResponse>;
  /** Counts an unexpected status or throttling of `res` on client `c` (`TalkClient.record`); returns `res`. */
  readonly record: (c: TalkClient, res: TalkResponse) => TalkResponse;
}

/** A request of one client ready to send (see TalkClient.prepare): each `send()` sends it once more. */
export interface Prepared {
  readonly kind: Kind;
  /** Sends it without looking at the answer: the caller passes the response to `record`. */
  readonly send: () => Promise<TalkResponse>;
}

/**
 * A guest's steps that need its attendee and session: after a join that answered 200, a 404 on one
 * of these means the guest was removed under it (issue 24 item 4), not that the endpoint failed.
 */
const NEEDS_SESSION: ReadonlySet<EndpointId> = new Set<EndpointId>(['guest_name', 'call_join', 'call_flags', 'call_peers', 'call_leave', 'signaling_poll', 'signaling_send', 'room_leave', 'chat_send', 'chat_receive']);
// k6's request functions, looked up once: each property read is a map lookup in k6's JS engine, and
// these run for every request (issue 29). They are the default client's, bound in Go: no `this`.
const httpRequest = http.request;
const httpAsyncRequest = http.asyncRequest;

// The default for a request without its own callback: most call-flow steps expect exactly 200.
http.setResponseCallback(http.expectedStatuses(200));

// Expected-status callbacks are Go objects: one per distinct set per VU.
const callbacks = new Map<string, ReturnType<typeof http.expectedStatuses>>();
function callbackFor(codes: readonly number[]): ReturnType<typeof http.expectedStatuses> {
  const key = codes.join();
  let cb = callbacks.get(key);
  if (!cb) {
    cb = http.expectedStatuses(...codes);
    callbacks.set(key, cb);
  }
  return cb;
}

/**
 * The URL of a guest's request of a kind whose URL is not head + token + tail: a fixed URL, or
 * another shape (an attendee id: the client's general path). A function, not a closure per kind:
 * every closure of a kind is a function object in every VU (bench:overhead's RSS column).
 */
function otherUrl(c: TalkClient, k: Kind): string {
  return k.fixed ? k.head : c.url(k, c.token);
}

/** A GET kind's values are its query: `url()` builds it, the kinds' fast path does not (a programming error). */
function valuesInQuery(k: Kind): never {
  throw new Error(`TalkClient: ${k.id} is a ${k.method}: its values go in the URL (call, callAsync, prepare or the kind's tokenQuery)`);
}

/** The body of a general-path request: its values as a form, unless they went into the URL (a GET). */
function formBody(k: Kind, step: Step): Record<string, string> | null {
  return k.form && step.params !== undefined ? (step.params as Record<string, string>) : null;
}

/** The brute-force throttling header, as k6 writes header names (looked up once). */
const THROTTLE_HEADER = BruteForce.header;

/** A step with nothing to add (a default argument would be a new object per call). */
const NO_STEP: Step = {};

/** The OCS headers every request sends; a guest has nothing else to add, so guests share one object. */
const GUEST_HEADERS: Readonly<Record<string, string>> = { 'OCS-APIRequest': 'true', Accept: 'application/json' };

/**
 * The kind of a guest's request (no credentials), for a journey to work out once per VU in the init
 * context; a client with credentials works out its own (`TalkClient.kind`).
 */
export function kindOf(base: string, id: EndpointId, shape: Shape = NO_STEP, headers: Readonly<Record<string, string>> = GUEST_HEADERS, authenticated = false): Kind {
  const { method, success, bruteForce } = ENDPOINTS[id];
  const expected = shape.alsoExpect !== undefined && shape.alsoExpect.length > 0 ? [...success, ...shape.alsoExpect] : success;
  // Login throttling delays users too, so a client with credentials checks every response.
  const throttles = bruteForce.length > 0 || authenticated;
  const checkBody = shape.checkBody === true;
  const params: Params = { headers, tags: { name: id } };
  if (expected.length !== 1 || expected[0] !== 200) params.responseCallback = callbackFor(expected);
  if (shape.keepBody === true || checkBody) params.responseType = 'text';
  if (shape.timeoutMs !== undefined) params.timeout = shape.timeoutMs; // a number: k6 need not parse a duration text per request
  const parts = PATH_PARTS[id];
  const inQuery = shape.tokenQuery !== undefined && parts.length === 1;
  const form = method !== 'GET';
  const head = base + parts[0]! + (inQuery ? `?${encodeURIComponent(shape.tokenQuery!)}=` : '');
  const tail = inQuery ? '' : parts.length === 3 && parts[1] === 'token' ? parts[2]! : null;
  const fixed = parts.length === 1 && !inQuery;
  const quiet = expected.length === 1 && !throttles && !checkBody ? expected[0]! : -1;
  // The three senders write the same expression out: a helper call per request would cost more than
  // it saves. A client on the VU's jar (null) sends the kind's params as they are, no copy per request.
  const once = (c: TalkClient, values?: Values): TalkResponse => {
    const jar = c.jar;
    const res = httpRequest(method, tail !== null ? head + c.at + tail : otherUrl(c, kind), values === undefined ? null : form ? (values as Record<string, string>) : valuesInQuery(kind), jar === null ? params : { ...params, jar });
    return res.status === quiet ? res : record(c, res);
  };
  const sendAsync = (c: TalkClient, values?: Values): Promise<TalkResponse> => {
    const jar = c.jar;
    return httpAsyncRequest(method, tail !== null ? head + c.at + tail : otherUrl(c, kind), values === undefined ? null : form ? (values as Record<string, string>) : valuesInQuery(kind), jar === null ? params : { ...params, jar });
  };
  const sender = (c: TalkClient, values?: Values): (() => Promise<TalkResponse>) => {
    const jar = c.jar;
    const to = tail !== null ? head + c.at + tail : otherUrl(c, kind);
    const body = values === undefined ? null : form ? (values as Record<string, string>) : valuesInQuery(kind);
    const p = jar === null ? params : { ...params, jar };
    return () => httpAsyncRequest(method, to, body, p);
  };
  const n = expected.length;
  // Counts unexpected statuses and throttling (see TalkClient.record). The kind's parts are this
  // closure's variables, and the expected statuses are compared one by one: no lookup by name.
  const record = (c: TalkClient, res: TalkResponse): TalkResponse => {
    const status = res.status;
    if (status === quiet) return res;
    if (throttles && res.headers[THROTTLE_HEADER] !== undefined) metrics.throttled.add(1, { endpoint: id });
    if (status === 429) metrics.tooMany.add(1, { endpoint: id });
    for (let i = 0; i < n; i++) {
      if (expected[i] !== status) continue;
      // Cut or foreign: checked as the peer poll's body is, without JSON.parse (about 80 µs in k6's
      // engine for a room object, a fifth of a request's whole cost in k6).
      if (!checkBody) return res;
      const body = res.body;
      if (typeof body !== 'string' || !looksLikeOcs(body)) c.badBodyOf(res, id);
      return res;
    }
    return c.notExpected(kind, res);
  };
  const kind: Kind = { id, method, form, base, head, tail, fixed, params, expected, throttles, checkBody, quiet, once, sendAsync, sender, record };
  return kind;
}

export class TalkClient {
  readonly base: string;
  /** The guest's cookie jar, or null for the VU's (k6's default for a request without one). */
  readonly jar: CookieJar | null;
  /** Responses outside their step's expected set, for the journey's verdict. */
  unexpected = 0;
  /**
   * Set by the journey once the guest's room join answered 200; from then on the first 404 on a step
   * that needs the session marks the guest as vanished (counted once, not as unexpected statuses).
   */
  joined = false;
  /** The guest's session is gone: the journey stops making requests. */
  vanished = false;
  /**
   * The latest response of a `checkBody` step whose body was cut or not OCS: a caller asks right
   * after `record` (`badBody`), so one is enough, and no set is made per guest.
   */
  private lastBadBody: object | null = null;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly authenticated: boolean;
  /** The conversation of a guest client (`TalkClient.guest`), and its token URL-encoded once. */
  readonly token: string;
  readonly at: string;

  /**
   * A guest has no credentials; a user sends Basic auth and keeps a jar too (reference 1.4). `jar`
   * null: the VU's own, which k6 empties before each iteration (`TalkClient.guest`).
   */
  constructor(base: string, credentials?: { user: string; password: string }, token = '', jar: CookieJar | null = new http.CookieJar()) {
    this.base = base;
    this.jar = jar;
    this.authenticated = credentials !== undefined;
    this.headers = credentials
      ? { ...GUEST_HEADERS, Authorization: 'Basic ' + encoding.b64encode(`${credentials.user}:${credentials.password}`) }
      : GUEST_HEADERS;
    this.token = token;
    this.at = encodeURIComponent(token);
  }

  /**
   * A guest in conversation `token`: its requests of a kind (`k.once`, `k.sendAsync`, `k.sender`) go
   * there, its token encoded once per guest, not once per request. `ownJar` false: the guest is alone
   * on its VU for one iteration, and the VU's jar, which k6 empties before each iteration, is its own
   * (no jar in each request's params, no copy of them per request).
   */
  static guest(base: string, token: string, ownJar = true): TalkClient {
    return new TalkClient(base, undefined, token, ownJar ? new http.CookieJar() : null);
  }

  /** The kind of a request of this client (its headers), worked out now: for one-off requests. */
  kind(id: EndpointId, shape: Shape = NO_STEP): Kind {
    return kindOf(this.base, id, shape, this.headers, this.authenticated);
  }

  /** The URL of a request of a kind (GET values as its query). */
  url(k: Kind, token?: string, values?: Values, attendeeId?: number): string {
    let url = k.fixed ? k.head
      : k.tail !== null && token ? k.head + encodeURIComponent(token) + k.tail
      : k.base + buildPath(k.id, { token, attendeeId });
    if (values !== undefined && !k.form) {
      let sep = url.includes('?') ? '&' : '?';
      for (const name in values) {
        url += sep + encodeURIComponent(name) + '=' + encodeURIComponent(String(values[name]));
        sep = '&';
      }
    }
    return url;
  }

  /** k6 params of a request of kind `k` from this client: its jar, if it has one of its own. */
  private paramsOf(k: Kind): Params {
    return this.jar === null ? k.params : { ...k.params, jar: this.jar };
  }

  // The general path: a kind worked out per call (`kind`) and any URL (`url`: token, attendee id,
  // query), for the moderator, setup and the chat. A guest's hot path uses its kinds' own senders.

  /** A request to prepare with its kind worked out now, for a client without kinds of its own. */
  prepare(id: EndpointId, step: Step = NO_STEP): Prepared {
    const k = this.kind(id, step);
    const url = this.url(k, step.token, step.params, step.attendeeId);
    const body = formBody(k, step);
    const params = this.paramsOf(k);
    return { kind: k, send: () => httpAsyncRequest(k.method, url, body, params) };
  }

  /** Blocking one-off request, its kind worked out now; records unexpected statuses and throttling. */
  call(id: EndpointId, step: Step = NO_STEP): TalkResponse {
    const k = this.kind(id, step);
    return this.record(k, httpRequest(k.method, this.url(k, step.token, step.params, step.attendeeId), formBody(k, step), this.paramsOf(k)));
  }

  /** Non-blocking one-off request (k6 event loop), its kind worked out now; records as `call` does. */
  callAsync(id: EndpointId, step: Step = NO_STEP): Promise<TalkResponse> {
    const k = this.kind(id, step);
    return httpAsyncRequest(k.method, this.url(k, step.token, step.params, step.attendeeId), formBody(k, step), this.paramsOf(k)).then((res) => this.record(k, res));
  }

  /**
   * Counts unexpected statuses and throttling of a response to a request of kind `k`; returns it.
   * Its kind's quiet status passes at once (a caller in a hot loop checks it before the call).
   */
  record(k: Kind, res: TalkResponse): TalkResponse {
    return k.record(this, res);
  }

  /** Of `Kind.record`: an expected status whose body, which the step checks, is cut or not OCS. */
  badBodyOf(res: TalkResponse, id: EndpointId): void {
    this.lastBadBody = res;
    this.recordBadBody(id);
  }

  /** Of `Kind.record`: a status outside the step's expected set. */
  notExpected(k: Kind, res: TalkResponse): TalkResponse {
    const status = res.status;
    if (status === 404 && this.joined && NEEDS_SESSION.has(k.id)) {
      // One finding per guest: the first 404 names the step, later ones (a poll in flight) are its echo.
      if (!this.vanished) metrics.guestVanished.add(1, { endpoint: k.id });
      this.vanished = true;
      return res;
    }
    this.unexpected++;
    // No status: a timeout or a connection error, told apart by k6's error code.
    metrics.unexpected.add(1, { endpoint: k.id, status: k6StatusLabel(status, res.error_code, res.error), documented: isDocumented(k.id, status) ? 'yes' : 'no' });
    return res;
  }

  /** A kept body that is not an OCS answer (a proxy cut it, garbage): `bad_body` on its endpoint. */
  recordBadBody(id: EndpointId): void {
    this.unexpected++;
    metrics.unexpected.add(1, { endpoint: id, status: 'bad_body', documented: 'no' });
  }

  /** Whether `res`, just recorded, was of a `checkBody` step with an expected status and a body that is not OCS. */
  badBody(res: TalkResponse): boolean {
    return this.lastBadBody === res;
  }
}

/** OCS `data` of a response kept with `keepBody`, or undefined. */
export function ocsData(res: TalkResponse): unknown {
  if (typeof res.body !== 'string' || res.body === '') return undefined;
  try {
    const parsed = JSON.parse(res.body) as { ocs?: { data?: unknown } };
    return parsed.ocs?.data;
  } catch {
    return undefined;
  }
}
