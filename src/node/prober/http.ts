// One request of a probe: undici with explicit connect, headers and body timeouts plus an overall
// deadline, exactly one attempt, no retries. It returns an outcome and never throws.

import { Agent, request } from 'undici';
import { buildPath, ENDPOINTS, type EndpointId, type PathParams } from '../../shared/endpoints.ts';
import { parseOcsBody, type ParsedBody } from '../../shared/ocs.ts';
import { classifyError, type ErrorClass } from '../../shared/outcome.ts';

export interface Timeouts {
  /** ms */
  readonly connect: number;
  readonly headers: number;
  readonly body: number;
  /** Whole request, ms. */
  readonly total: number;
}

export interface StepOutcome {
  readonly endpoint: EndpointId;
  readonly status: number | null;
  readonly error: ErrorClass | null;
  /** Seconds. */
  readonly duration: number;
  /** Seconds to the response headers; null when none came. */
  readonly ttfb: number | null;
  readonly body: ParsedBody | null;
}

/** A virtual Talk client for one journey: one cookie jar, optional Basic auth. */
export class ProbeClient {
  private readonly cookies = new Map<string, string>();
  private readonly base: string;
  private readonly agent: Agent;
  private readonly timeouts: Timeouts;
  private readonly auth: string | null;

  constructor(base: string, agent: Agent, timeouts: Timeouts, credentials?: { user: string; password: string }) {
    this.base = base;
    this.agent = agent;
    this.timeouts = timeouts;
    this.auth = credentials ? 'Basic ' + Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64') : null;
  }

  async step(endpoint: EndpointId, opts: PathParams & { params?: Record<string, string | number | boolean>; timeoutMs?: number } = {}): Promise<StepOutcome> {
    const spec = ENDPOINTS[endpoint];
    let url = this.base + buildPath(endpoint, opts);
    const headers: Record<string, string> = { 'OCS-APIRequest': 'true', Accept: 'application/json', 'User-Agent': 'talkload-prober' };
    if (this.auth) headers['Authorization'] = this.auth;
    if (this.cookies.size > 0) headers['Cookie'] = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (opts.params) {
      const form = new URLSearchParams(Object.entries(opts.params).map(([k, v]): [string, string] => [k, String(v)])).toString();
      if (spec.method === 'GET') url += `?${form}`;
      else {
        body = form;
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
      }
    }
    const started = performance.now();
    let ttfb: number | null = null;
    try {
      const total = opts.timeoutMs ?? this.timeouts.total;
      const res = await request(url, {
        method: spec.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        dispatcher: this.agent,
        headersTimeout: Math.min(this.timeouts.headers, total),
        bodyTimeout: Math.min(this.timeouts.body, total),
        signal: AbortSignal.timeout(total),
      });
      ttfb = (performance.now() - started) / 1000;
      const setCookie = res.headers['set-cookie'];
      for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
        const pair = c.split(';', 1)[0] ?? '';
        const eq = pair.indexOf('=');
        if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      const text = await res.body.text();
      const type = res.headers['content-type'];
      const parsed = parseOcsBody(text, Array.isArray(type) ? (type[0] ?? '') : (type ?? ''));
      const duration = (performance.now() - started) / 1000;
      // The step's own status with an HTML or garbage body is a bad body; any other status keeps its
      // code (a proxy's HTML 502 is a 502: issue 24 item 6), as k6's side counts it.
      const bad = ENDPOINTS[endpoint].success.includes(res.statusCode) && (parsed.kind === 'html' || parsed.kind === 'garbage' || parsed.kind === 'empty');
      return { endpoint, status: res.statusCode, error: bad ? 'bad_body' : null, duration, ttfb, body: parsed };
    } catch (e) {
      return { endpoint, status: null, error: classifyError(e), duration: (performance.now() - started) / 1000, ttfb, body: null };
    }
  }
}

export function createAgent(timeouts: Timeouts): Agent {
  // No keep-alive across journeys would hide connection cost; one agent per target keeps it realistic.
  return new Agent({ connect: { timeout: timeouts.connect }, headersTimeout: timeouts.headers, bodyTimeout: timeouts.body, connections: 4 });
}
