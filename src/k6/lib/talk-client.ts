// Typed Talk client for k6, built from the shared catalogue: OCS headers on every request, the
// VU's own cookie jar, `name` tag = endpoint id, and a response callback that marks a response as
// expected only when its status is in the step's expected set. Journeys never call k6/http directly.

import http, { type CookieJar, type RefinedResponse, type ResponseType } from 'k6/http';
import encoding from 'k6/encoding';
import { buildPath, ENDPOINTS, type EndpointId, isDocumented } from '../../shared/endpoints.ts';
import { BruteForce } from '../../shared/constants.ts';
import { metrics } from './metrics.ts';

export interface Step {
  /** Statuses that are expected in this step, beyond the endpoint's success statuses. */
  readonly alsoExpect?: readonly number[];
  readonly token?: string;
  readonly attendeeId?: number;
  /** Query (GET) or form body (other methods). */
  readonly params?: Record<string, string | number | boolean>;
  /** Keep the body (default: discarded, which saves memory at scale). */
  readonly keepBody?: boolean;
  /** Request timeout; the signaling long-poll needs more than the default. */
  readonly timeout?: string;
}

export type TalkResponse = RefinedResponse<ResponseType | undefined>;

// Expected-status callbacks are built once per (endpoint, set): they are Go objects.
const callbacks = new Map<string, ReturnType<typeof http.expectedStatuses>>();
function expectedSet(id: EndpointId, extra: readonly number[] = []): readonly number[] {
  return [...ENDPOINTS[id].success, ...extra];
}
function callbackFor(key: string, codes: readonly number[]): ReturnType<typeof http.expectedStatuses> {
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

  /** A guest has no credentials; a user sends Basic auth and keeps a jar too (reference 1.4). */
  constructor(base: string, credentials?: { user: string; password: string }) {
    this.base = base;
    this.jar = new http.CookieJar();
    this.headers = { 'OCS-APIRequest': 'true', Accept: 'application/json' };
    if (credentials) this.headers['Authorization'] = 'Basic ' + encoding.b64encode(`${credentials.user}:${credentials.password}`);
  }

  private prepare(id: EndpointId, step: Step) {
    const spec = ENDPOINTS[id];
    const codes = expectedSet(id, step.alsoExpect);
    let url = this.base + buildPath(id, { ...(step.token !== undefined ? { token: step.token } : {}), ...(step.attendeeId !== undefined ? { attendeeId: step.attendeeId } : {}) });
    let body: Record<string, string> | null = null;
    if (step.params) {
      const pairs = Object.entries(step.params).map(([k, v]) => [k, String(v)] as const);
      if (spec.method === 'GET') url += '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
      else body = Object.fromEntries(pairs);
    }
    const params = {
      headers: this.headers,
      jar: this.jar,
      tags: { name: id },
      responseCallback: callbackFor(`${id}:${codes.join(',')}`, codes),
      responseType: (step.keepBody ? 'text' : 'none') as ResponseType,
      timeout: step.timeout ?? '60s',
    };
    return { method: spec.method, url, body, params, codes };
  }

  /** Blocking request; records unexpected statuses and throttling. */
  call(id: EndpointId, step: Step = {}): TalkResponse {
    const p = this.prepare(id, step);
    const res = http.request(p.method, p.url, p.body, p.params);
    if (!record(id, res, p.codes)) this.unexpected++;
    return res;
  }

  /** Non-blocking request (k6 event loop), for the long-poll that runs beside the call actions. */
  async callAsync(id: EndpointId, step: Step = {}): Promise<TalkResponse> {
    const p = this.prepare(id, step);
    const res = await http.asyncRequest(p.method, p.url, p.body, p.params);
    if (!record(id, res, p.codes)) this.unexpected++;
    return res;
  }
}

/** Counts unexpected statuses and throttling; true when the status was expected. */
function record(id: EndpointId, res: TalkResponse, expected: readonly number[]): boolean {
  if (res.headers[BruteForce.header] !== undefined) metrics.throttled.add(1, { endpoint: id });
  if (res.status === 429) metrics.tooMany.add(1, { endpoint: id });
  if (expected.includes(res.status)) return true;
  metrics.unexpected.add(1, { endpoint: id, status: String(res.status), documented: isDocumented(id, res.status) ? 'yes' : 'no' });
  return false;
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
