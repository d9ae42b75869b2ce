// Classifies a Talk answer body: an OCS envelope, one of the two plain-JSON 412s of the security
// middleware (CSRF, strict cookie), other JSON, HTML, empty or garbage. Runtime-neutral.

export interface OcsMeta {
  readonly status: string;
  readonly statuscode: number;
  readonly message: string;
}

export type ParsedBody =
  | { readonly kind: 'ocs'; readonly meta: OcsMeta; readonly data: unknown }
  | { readonly kind: 'csrf' }
  | { readonly kind: 'strict-cookie' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'html' }
  | { readonly kind: 'xml' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'garbage'; readonly sample: string };

export type BodyKind = ParsedBody['kind'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses `text` without throwing. `contentType` helps tell HTML from garbage. */
export function parseOcsBody(text: string | null | undefined, contentType = ''): ParsedBody {
  if (text === null || text === undefined || text.trim() === '') return { kind: 'empty' };
  const head = text.trimStart().slice(0, 64).toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /text\/html/i.test(contentType)) {
    return { kind: 'html' };
  }
  if (head.startsWith('<?xml') || head.startsWith('<ocs')) return { kind: 'xml' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'garbage', sample: text.slice(0, 80) };
  }
  if (isRecord(value)) {
    const ocs = value['ocs'];
    if (isRecord(ocs) && isRecord(ocs['meta'])) {
      const meta = ocs['meta'];
      return {
        kind: 'ocs',
        meta: {
          status: typeof meta['status'] === 'string' ? meta['status'] : '',
          statuscode: typeof meta['statuscode'] === 'number' ? meta['statuscode'] : Number(meta['statuscode']),
          message: typeof meta['message'] === 'string' ? meta['message'] : '',
        },
        data: ocs['data'],
      };
    }
    if (value['message'] === 'CSRF check failed') return { kind: 'csrf' };
    if (value['error'] === 'Strict Cookie has not been found in request') return { kind: 'strict-cookie' };
  }
  return { kind: 'json', value };
}

/** The OCS `data` of a parsed body, or undefined when it is not an envelope. */
export function ocsData(parsed: ParsedBody): unknown {
  return parsed.kind === 'ocs' ? parsed.data : undefined;
}

/** `{error: "..."}` from an OCS error payload, when present. */
export function ocsErrorReason(parsed: ParsedBody): string | undefined {
  if (parsed.kind !== 'ocs' || !isRecord(parsed.data)) return undefined;
  const e = parsed.data['error'];
  return typeof e === 'string' ? e : undefined;
}

/**
 * The peers listed by a `GET /call` answer, read without parsing it: k6 runs this on every peer
 * poll of every guest, and JSON.parse in k6's JS engine costs more than the rest of the request.
 * Entries are counted by their `"sessionId":` key (a string followed by a colon is a key, and a
 * key's own text cannot hold an unescaped quote, so display names do not count); `listed` says
 * whether `sessionId` (255 random characters) is one of them. Whitespace in the JSON is allowed.
 */
export function peersInCallBody(body: string, sessionId: string): { readonly count: number; readonly listed: boolean } {
  // One regular-expression match, not a scan in JS: the engine runs it natively.
  return { count: body.match(SESSION_ID_KEY)?.length ?? 0, listed: sessionId !== '' && body.includes(sessionId) };
}

const SESSION_ID_KEY = /"sessionId"\s*:/g;
/** A `sessionId` key with a plain string value (no escapes, so no quote inside). */
const SESSION_ID_PLAIN = /"sessionId"\s*:\s*"([^"\\]*)"/;

/**
 * The `sessionId` of a room-join answer (reference 2.1), read without parsing the room object when
 * it holds the key once and the value has no escapes (session ids are plain characters); any other
 * shape goes through JSON.parse. Every guest does this once per join, and the room object is the
 * largest body of the journey.
 */
export function joinedSessionId(body: string): string | undefined {
  if (body.match(SESSION_ID_KEY)?.length === 1) {
    const plain = SESSION_ID_PLAIN.exec(body);
    if (plain) return plain[1];
  }
  try {
    const data = (JSON.parse(body) as { ocs?: { data?: { sessionId?: unknown } } }).ocs?.data?.sessionId;
    return typeof data === 'string' ? data : undefined;
  } catch {
    return undefined;
  }
}
