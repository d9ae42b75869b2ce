// One place that turns what happened to a request into a bounded label: an HTTP status, or an
// error class. Runtime-neutral, so the prober and any other client classify alike.

export const ERROR_CLASSES = ['timeout', 'connect', 'reset', 'tls', 'bad_body', 'unknown'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'TimeoutError', 'AbortError', 'UND_ERR_ABORTED']);
const CONNECT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** Classifies an error by its code (undici puts it on the error or on `cause`), never by class. */
export function classifyError(err: unknown): ErrorClass {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++) {
    const o = e as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof o.code === 'string') codes.push(o.code);
    if (typeof o.name === 'string') codes.push(o.name);
    e = o.cause;
  }
  for (const c of codes) {
    if (TIMEOUT.has(c)) return 'timeout';
    if (CONNECT.has(c)) return 'connect';
    if (RESET.has(c)) return 'reset';
    if (c.startsWith('ERR_TLS') || c.startsWith('ERR_SSL') || c.includes('CERT') || c === 'DEPTH_ZERO_SELF_SIGNED_CERT') return 'tls';
  }
  return 'unknown';
}

/** The `code` label: the HTTP status as text, or the error class. */
export function outcomeCode(status: number | null, error: ErrorClass | null): string {
  return error ?? String(status ?? 0);
}

/**
 * k6's `error_code` of a request that got no HTTP status (https://grafana.com/docs/k6/latest/javascript-api/error-codes/),
 * in the prober's classes: a request timeout is not a connection error (a server that queues a
 * request for a worker is slow, not down).
 */
export function k6ErrorClass(errorCode: number): ErrorClass {
  if (errorCode === 1050 || errorCode === 1211) return 'timeout'; // request timeout, dial timeout
  if (errorCode === 1220 || errorCode === 1240) return 'reset'; // reset by peer, broken pipe
  if (errorCode >= 1100 && errorCode < 1300) return 'connect'; // DNS, dial, refused, unreachable
  if (errorCode >= 1300 && errorCode < 1400) return 'tls';
  return 'unknown';
}

/**
 * The status label of a k6 response: its HTTP status, or its error class when it has none. A
 * connection the server closed without an answer is k6's generic 1000 with the error "EOF" (or
 * "unexpected EOF"): that is a reset, not an unknown error.
 */
export function k6StatusLabel(status: number, errorCode: number | string | undefined, error?: string): string {
  if (status !== 0) return String(status);
  const cls = k6ErrorClass(Number(errorCode ?? 0));
  if (cls === 'unknown' && error !== undefined && /\bEOF\b|connection reset|broken pipe/i.test(error)) return 'reset';
  return cls;
}
