// Typed Talk client for k6, built from the shared catalogue: OCS headers on every request, the
// guest's own cookie jar, `name` tag = endpoint id, and a response callback that marks a response
// as expected only when its status is in the step's expected set. Journeys never call k6/http
// directly.
//
// Every request runs this code, so it is kept lean (`npm run bench:overhead` measures it against a
// bare k6 script; k6's JS engine pays for every step, issue 29). What a request is apart from the
// guest's token, values and jar, its Kind (method, path, k6 params, expected statuses), is worked
// out once per VU by the journeys (`kindOf` at init); a guest then prepares its requests from kinds
// in a few steps each, and a request that repeats is prepared once (then fire + record).

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
  /** What comes after its one `{token}`; null when the path has none or another shape. */
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
   * the call to `record` on it: `if (res.status !== k.quiet) c.record(k, res)`.
   */
  readonly quiet: number;
}

/** A request of one client, ready to send (see TalkClient.request). */
export interface Prepared {
  readonly kind: Kind;
  readonly url: string;
  readonly body: Record<string, string> | null;
  readonly params: Params;
}

/**
 * A guest's steps that need its attendee and session: after a join that answered 200, a 404 on one
 * of these means the guest was removed under it (issue 24 item 4), not that the endpoint failed.
 */
const NEEDS_SESSION: ReadonlySet<EndpointId> = new Set<EndpointId>(['guest_name', 'call_join', 'call_flags', 'call_peers', 'call_leave', 'signaling_poll', 'signaling_send', 'room_leave', 'chat_send', 'chat_receive']);
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
  return {
    id,
    method,
    form: method !== 'GET',
    base,
    head: base + parts[0]!,
    tail: parts.length === 3 && parts[1] === 'token' ? parts[2]! : null,
    fixed: parts.length === 1,
    params,
    expected,
    throttles,
    checkBody,
    quiet: expected.length === 1 && !throttles && !checkBody ? expected[0]! : -1,
  };
}

export class TalkClient {
  readonly base: string;
  readonly jar: CookieJar;
  /** Responses outside their step's expected set, for the journey's verdict. */
  unexpected = 0;
  /**
   * Set by the journey once the guest's room join answered 200; from then on the first 404 on a step
   * that needs the session marks the guest as vanished (counted once, not as unexpected statuses).
   */
  joined = false;
  /** The guest's session is gone: the journey stops making requests. */
  vanished = false;
  /** Responses of `checkBody` steps whose body was cut or not OCS. */
  private readonly badBodies = new WeakSet<object>();
  private readonly headers: Readonly<Record<string, string>>;
  private readonly authenticated: boolean;

  /** A guest has no credentials; a user sends Basic auth and keeps a jar too (reference 1.4). */
  constructor(base: string, credentials?: { user: string; password: string }) {
    this.base = base;
    this.jar = new http.CookieJar();
    this.authenticated = credentials !== undefined;
    this.headers = credentials
      ? { ...GUEST_HEADERS, Authorization: 'Basic ' + encoding.b64encode(`${credentials.user}:${credentials.password}`) }
      : GUEST_HEADERS;
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
      let sep = '?';
      for (const name in values) {
        url += sep + encodeURIComponent(name) + '=' + encodeURIComponent(String(values[name]));
        sep = '&';
      }
    }
    return url;
  }

  /**
   * A request of a kind ready to send, for a journey that sends the same one many times (the
   * long-poll, the peer poll): URL, body and params are worked out once, not per request.
   */
  request(k: Kind, token?: string, values?: Values, attendeeId?: number): Prepared {
    // k6 writes numbers and booleans in a form body as text itself; no copy of the values needed.
    const body = values !== undefined && k.form ? (values as Record<string, string>) : null;
    return { kind: k, url: this.url(k, token, values, attendeeId), body, params: { ...k.params, jar: this.jar } };
  }

  /** A one-off request of a kind, blocking (no Prepared kept); records unexpected statuses. */
  once(k: Kind, token?: string, values?: Values, attendeeId?: number): TalkResponse {
    const body = values !== undefined && k.form ? (values as Record<string, string>) : null;
    const res = http.request(k.method, this.url(k, token, values, attendeeId), body, { ...k.params, jar: this.jar });
    return res.status === k.quiet ? res : this.record(k, res);
  }

  /** A one-off request of a kind without blocking; records unexpected statuses. */
  onceAsync(k: Kind, token?: string, values?: Values, attendeeId?: number): Promise<TalkResponse> {
    const body = values !== undefined && k.form ? (values as Record<string, string>) : null;
    return http.asyncRequest(k.method, this.url(k, token, values, attendeeId), body, { ...k.params, jar: this.jar }).then((res) => (res.status === k.quiet ? res : this.record(k, res)));
  }

  /** A request to prepare with its kind worked out now (see `kind`), for a client without kinds of its own. */
  prepare(id: EndpointId, step: Step = NO_STEP): Prepared {
    return this.request(this.kind(id, step), step.token, step.params, step.attendeeId);
  }

  /** Blocking one-off request, its kind worked out now; records unexpected statuses and throttling. */
  call(id: EndpointId, step: Step = NO_STEP): TalkResponse {
    return this.once(this.kind(id, step), step.token, step.params, step.attendeeId);
  }

  /** Non-blocking one-off request (k6 event loop), its kind worked out now. */
  callAsync(id: EndpointId, step: Step = NO_STEP): Promise<TalkResponse> {
    return this.onceAsync(this.kind(id, step), step.token, step.params, step.attendeeId);
  }

  /**
   * Sends a prepared request without blocking and without looking at the answer: the caller passes
   * the response to `record`. One promise layer less than `callAsync` (each layer costs k6 a promise,
   * its resolving functions and a job), for the requests a guest repeats all through its stay.
   */
  fire(r: Prepared): Promise<TalkResponse> {
    return http.asyncRequest(r.kind.method, r.url, r.body, r.params);
  }

  /** Counts unexpected statuses and throttling of a response to a request of kind `k`; returns it. */
  record(k: Kind, res: TalkResponse): TalkResponse {
    const status = res.status;
    if (k.throttles && res.headers[BruteForce.header] !== undefined) metrics.throttled.add(1, { endpoint: k.id });
    if (status === 429) metrics.tooMany.add(1, { endpoint: k.id });
    if (k.expected.includes(status)) {
      // Cut or foreign: checked as the peer poll's body is, without JSON.parse (about 80 µs in k6's
      // engine for a room object, a fifth of a request's whole cost in k6).
      if (!k.checkBody || (typeof res.body === 'string' && looksLikeOcs(res.body))) return res;
      this.badBodies.add(res);
      this.recordBadBody(k.id);
      return res;
    }
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

  /** A response of a `checkBody` step that had an expected status and a body that is not OCS. */
  badBody(res: TalkResponse): boolean {
    return this.badBodies.has(res);
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
