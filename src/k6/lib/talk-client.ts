// Typed Talk client for k6, built from the shared catalogue: OCS headers on every request, the
// guest's own cookie jar, `name` tag = endpoint id, and a response callback that marks a response
// as expected only when its status is in the step's expected set. Journeys never call k6/http
// directly.
//
// Every request runs this code, so it is kept lean (`npm run bench:overhead` measures it against a
// bare k6 script): the k6 params object of a request shape is built once per client and reused;
// nothing per request but the URL and the status check.

import http, { type CookieJar, type Params, type RefinedResponse, type ResponseType } from 'k6/http';
import encoding from 'k6/encoding';
import { buildPath, ENDPOINT_IDS, ENDPOINTS, type EndpointId, isDocumented } from '../../shared/endpoints.ts';
import { BruteForce } from '../../shared/constants.ts';
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
  /** Request timeout; the signaling long-poll needs more than the default. */
  readonly timeout?: string;
}

export type TalkResponse = RefinedResponse<ResponseType | undefined>;

/** What the client adds to the catalogue per endpoint, computed once. */
interface Route {
  readonly tags: { readonly name: EndpointId };
  /** Only `#[BruteForceProtection]` actions are delayed and carry the throttled header (reference 8). */
  readonly throttles: boolean;
}

const ROUTES = {} as Record<EndpointId, Route>;
for (const id of ENDPOINT_IDS) ROUTES[id] = { tags: { name: id }, throttles: ENDPOINTS[id].bruteForce.length > 0 };

/** A request shape of one client: its k6 params and the statuses it expects. */
interface Plan {
  readonly params: Params;
  readonly expected: readonly number[];
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

export class TalkClient {
  readonly base: string;
  readonly jar: CookieJar;
  /** Responses outside their step's expected set, for the journey's verdict. */
  unexpected = 0;
  private readonly headers: Record<string, string>;
  private readonly authenticated: boolean;
  /** Plans of the common shapes (no extra statuses, default timeout), by endpoint: body discarded / kept. */
  private readonly plain: Partial<Record<EndpointId, Plan>> = {};
  private readonly kept: Partial<Record<EndpointId, Plan>> = {};
  private readonly other = new Map<string, Plan>();

  /** A guest has no credentials; a user sends Basic auth and keeps a jar too (reference 1.4). */
  constructor(base: string, credentials?: { user: string; password: string }) {
    this.base = base;
    this.jar = new http.CookieJar();
    this.headers = { 'OCS-APIRequest': 'true', Accept: 'application/json' };
    this.authenticated = credentials !== undefined;
    if (credentials) this.headers['Authorization'] = 'Basic ' + encoding.b64encode(`${credentials.user}:${credentials.password}`);
  }

  private plan(id: EndpointId, step: Step): Plan {
    const extra = step.alsoExpect !== undefined && step.alsoExpect.length > 0;
    if (!extra && step.timeout === undefined) {
      const slot = step.keepBody === true ? this.kept : this.plain;
      return (slot[id] ??= this.newPlan(id, step, ENDPOINTS[id].success));
    }
    const key = `${id} ${step.keepBody === true} ${step.timeout ?? ''} ${extra ? step.alsoExpect!.join() : ''}`;
    let p = this.other.get(key);
    if (!p) {
      p = this.newPlan(id, step, extra ? [...ENDPOINTS[id].success, ...step.alsoExpect!] : ENDPOINTS[id].success);
      this.other.set(key, p);
    }
    return p;
  }

  private newPlan(id: EndpointId, step: Step, expected: readonly number[]): Plan {
    // Only what differs from the run's defaults (see options.ts and below): k6 parses the params
    // object of every request, so a shorter one is cheaper.
    const params: Params = { headers: this.headers, jar: this.jar, tags: ROUTES[id].tags };
    if (expected.length !== 1 || expected[0] !== 200) params.responseCallback = callbackFor(expected);
    if (step.keepBody === true) params.responseType = 'text';
    if (step.timeout !== undefined) params.timeout = step.timeout;
    return { expected, params };
  }

  private url(id: EndpointId, step: Step): string {
    let url = this.base + buildPath(id, step);
    if (ENDPOINTS[id].method === 'GET' && step.params !== undefined) {
      let sep = '?';
      for (const k in step.params) {
        url += sep + encodeURIComponent(k) + '=' + encodeURIComponent(String(step.params[k]));
        sep = '&';
      }
    }
    return url;
  }

  private body(id: EndpointId, step: Step): Record<string, string> | null {
    // k6 writes numbers and booleans in a form body as text itself; no copy of the object needed.
    return ENDPOINTS[id].method === 'GET' || step.params === undefined ? null : (step.params as Record<string, string>);
  }

  /** Blocking request; records unexpected statuses and throttling. */
  call(id: EndpointId, step: Step = {}): TalkResponse {
    const p = this.plan(id, step);
    const res = http.request(ENDPOINTS[id].method, this.url(id, step), this.body(id, step), p.params);
    this.record(id, res, p.expected);
    return res;
  }

  /** Non-blocking request (k6 event loop), for the long-poll that runs beside the call actions. */
  async callAsync(id: EndpointId, step: Step = {}): Promise<TalkResponse> {
    const p = this.plan(id, step);
    const res = await http.asyncRequest(ENDPOINTS[id].method, this.url(id, step), this.body(id, step), p.params);
    this.record(id, res, p.expected);
    return res;
  }

  /** Counts unexpected statuses and throttling. */
  private record(id: EndpointId, res: TalkResponse, expected: readonly number[]): void {
    const status = res.status;
    // Login throttling delays users too, so a client with credentials checks every response.
    if ((ROUTES[id].throttles || this.authenticated) && res.headers[BruteForce.header] !== undefined) metrics.throttled.add(1, { endpoint: id });
    if (status === 429) metrics.tooMany.add(1, { endpoint: id });
    if (expected.includes(status)) return;
    this.unexpected++;
    metrics.unexpected.add(1, { endpoint: id, status: String(status), documented: isDocumented(id, status) ? 'yes' : 'no' });
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
