// Typed Talk client for k6, built from the shared catalogue: OCS headers on every request, the
// guest's own cookie jar, `name` tag = endpoint id, and a response callback that marks a response
// as expected only when its status is in the step's expected set. Journeys never call k6/http
// directly.
//
// Every request runs this code, so it is kept lean (`npm run bench:overhead` measures it against a
// bare k6 script): a request that repeats is prepared once (prepare, then fire + record), so per
// request there is only the status check; a one-off request costs one small params object and no
// caches (a guest lives for one journey, so anything cached per client is built again per guest).

import http, { type CookieJar, type Params, type RefinedResponse, type ResponseType } from 'k6/http';
import encoding from 'k6/encoding';
import { buildPath, ENDPOINT_IDS, ENDPOINTS, type EndpointId, isDocumented } from '../../shared/endpoints.ts';
import { BruteForce } from '../../shared/constants.ts';
import { k6StatusLabel } from '../../shared/outcome.ts';
import { looksLikeOcs } from '../../shared/ocs.ts';
import { metrics } from './metrics.ts';

export interface Step {
  /** Statuses that are expected in this step, beyond the endpoint's success statuses. */
  readonly alsoExpect?: readonly number[];
  readonly token?: string;
  readonly attendeeId?: number;
  /** Query (GET) or form body (other methods); k6 formats numbers and booleans. */
  readonly params?: Readonly<Record<string, string | number | boolean>>;
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

export type TalkResponse = RefinedResponse<ResponseType | undefined>;

/** What the client adds to the catalogue per endpoint, computed once. */
interface Route {
  readonly tags: { readonly name: EndpointId };
  /** Only `#[BruteForceProtection]` actions are delayed and carry the throttled header (reference 8). */
  readonly throttles: boolean;
}

const ROUTES = {} as Record<EndpointId, Route>;
/**
 * A guest's steps that need its attendee and session: after a join that answered 200, a 404 on one
 * of these means the guest was removed under it (issue 24 item 4), not that the endpoint failed.
 */
const NEEDS_SESSION: ReadonlySet<EndpointId> = new Set<EndpointId>(['guest_name', 'call_join', 'call_flags', 'call_peers', 'call_leave', 'signaling_poll', 'signaling_send', 'room_leave', 'chat_send', 'chat_receive']);
for (const id of ENDPOINT_IDS) ROUTES[id] = { tags: { name: id }, throttles: ENDPOINTS[id].bruteForce.length > 0 };

/** A request of one client, ready to send (see TalkClient.prepare). */
export interface Prepared {
  readonly id: EndpointId;
  readonly method: string;
  readonly url: string;
  readonly body: Record<string, string> | null;
  readonly params: Params;
  readonly expected: readonly number[];
  /** Whether to look for the brute-force throttling header on the response. */
  readonly throttles: boolean;
  readonly checkBody: boolean;
}

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

/** The OCS headers every request sends; a guest has nothing else to add, so guests share one object. */
const GUEST_HEADERS: Readonly<Record<string, string>> = { 'OCS-APIRequest': 'true', Accept: 'application/json' };

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

  /**
   * A request ready to send, for a journey that sends the same one many times (the long-poll, the
   * peer poll): URL, body and params are worked out once, not per request.
   */
  prepare(id: EndpointId, step: Step = {}): Prepared {
    const success = ENDPOINTS[id].success;
    const expected = step.alsoExpect !== undefined && step.alsoExpect.length > 0 ? [...success, ...step.alsoExpect] : success;
    // Only what differs from the run's defaults (see options.ts and above): k6 parses the params
    // object of every request, so a shorter one is cheaper.
    const params: Params = { headers: this.headers, jar: this.jar, tags: ROUTES[id].tags };
    if (expected.length !== 1 || expected[0] !== 200) params.responseCallback = callbackFor(expected);
    if (step.keepBody === true || step.checkBody === true) params.responseType = 'text';
    if (step.timeoutMs !== undefined) params.timeout = step.timeoutMs; // a number: k6 need not parse a duration text per request
    const method = ENDPOINTS[id].method;
    let url = this.base + buildPath(id, step);
    let body: Record<string, string> | null = null;
    if (step.params !== undefined) {
      if (method === 'GET') {
        let sep = '?';
        for (const k in step.params) {
          url += sep + encodeURIComponent(k) + '=' + encodeURIComponent(String(step.params[k]));
          sep = '&';
        }
      } else {
        // k6 writes numbers and booleans in a form body as text itself; no copy of the object needed.
        body = step.params as Record<string, string>;
      }
    }
    // Login throttling delays users too, so a client with credentials checks every response.
    const throttles = ROUTES[id].throttles || this.authenticated;
    return { id, method, url, body, params, expected, throttles, checkBody: step.checkBody === true };
  }

  /** Blocking request; records unexpected statuses and throttling. */
  call(id: EndpointId, step: Step = {}): TalkResponse {
    const r = this.prepare(id, step);
    return this.record(r, http.request(r.method, r.url, r.body, r.params));
  }

  /** Non-blocking request (k6 event loop), for the long-poll that runs beside the call actions. */
  callAsync(id: EndpointId, step: Step = {}): Promise<TalkResponse> {
    const r = this.prepare(id, step);
    return this.fire(r).then((res) => this.record(r, res));
  }

  /**
   * Sends a prepared request without blocking and without looking at the answer: the caller passes
   * the response to `record`. One promise layer less than `callAsync` (each layer costs k6 a promise,
   * its resolving functions and a job), for the requests a guest repeats all through its stay.
   */
  fire(r: Prepared): Promise<TalkResponse> {
    return http.asyncRequest(r.method, r.url, r.body, r.params);
  }

  /** Counts unexpected statuses and throttling; returns the response. */
  record(r: Prepared, res: TalkResponse): TalkResponse {
    const status = res.status;
    if (r.throttles && res.headers[BruteForce.header] !== undefined) metrics.throttled.add(1, { endpoint: r.id });
    if (status === 429) metrics.tooMany.add(1, { endpoint: r.id });
    if (r.expected.includes(status)) {
      // Cut or foreign: checked as the peer poll's body is, without JSON.parse (about 80 µs in k6's
      // engine for a room object, a fifth of a request's whole cost in k6).
      if (!r.checkBody || (typeof res.body === 'string' && looksLikeOcs(res.body))) return res;
      this.badBodies.add(res);
      this.recordBadBody(r.id);
      return res;
    }
    if (status === 404 && this.joined && NEEDS_SESSION.has(r.id)) {
      // One finding per guest: the first 404 names the step, later ones (a poll in flight) are its echo.
      if (!this.vanished) metrics.guestVanished.add(1, { endpoint: r.id });
      this.vanished = true;
      return res;
    }
    this.unexpected++;
    // No status: a timeout or a connection error, told apart by k6's error code.
    metrics.unexpected.add(1, { endpoint: r.id, status: k6StatusLabel(status, res.error_code, res.error), documented: isDocumented(r.id, status) ? 'yes' : 'no' });
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
