// Classifies a Talk answer body: an OCS envelope, one of the two plain-JSON 412s of the security
// middleware (CSRF, strict cookie), other JSON, HTML, empty or garbage. Runtime-neutral.

import { phpEscapeJson } from './php-json.ts';

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
  /** An OCS envelope in XML: what Nextcloud answers for an uncaught error whatever `Accept` says. */
  | { readonly kind: 'xml'; readonly meta: OcsMeta | null }
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
  if (head.startsWith('<?xml') || head.startsWith('<ocs')) return { kind: 'xml', meta: xmlMeta(text) };
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

/** The `<meta>` of an OCS XML envelope (`<status>`, `<statuscode>`, `<message>`), when it has one. */
function xmlMeta(text: string): OcsMeta | null {
  const code = /<statuscode>\s*(\d+)\s*<\/statuscode>/.exec(text);
  if (!code || !/<ocs>/.test(text)) return null;
  const status = /<status>\s*([a-z]+)\s*<\/status>/.exec(text)?.[1] ?? '';
  const message = /<message>([^<]*)<\/message>/.exec(text)?.[1]?.trim() ?? '';
  return { status, statuscode: Number(code[1]), message };
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

// The peers listed by a `GET /call` answer are read without parsing it (sessionsIn, listsSession): k6
// runs this on every peer poll of every guest, and JSON.parse in k6's JS engine costs more than the
// rest of the request. Entries are counted by their `"sessionId":` key (a string followed by a colon
// is a key, and a key's own text cannot hold an unescaped quote, so display names do not count); our
// session is searched for as the server writes it (`forms` from `joinedSession`: a real Talk writes
// the `/` of its ids as `\/`). Whitespace in the JSON is allowed.

/**
 * Whether a peer list names our session (`forms` from `joinedSession`). Native string searches, not
 * a scan in JS nor a regular expression (k6's engine pays for every JS step, issue 29); the first
 * form is the one the server wrote itself, so the others are searched only when it misses.
 */
export function listsSession(body: string, forms: readonly string[]): boolean {
  const first = forms[0];
  if (first !== undefined && first !== '' && body.includes(first)) return true;
  for (let i = 1; i < forms.length; i++) {
    const f = forms[i]!;
    if (f !== '' && body.includes(f)) return true;
  }
  return false;
}

/** `"sessionId":` keys in a body; whitespace before the colon (never written by PHP nor JS) goes by the pattern. */
export function sessionsIn(body: string): number {
  // One native split, not an indexOf per entry: a JS loop step per peer shows in k6 (issue 29).
  const count = body.split(SESSION_ID_TIGHT).length - 1;
  if (count === 0 && body.includes('"sessionId"')) return body.match(SESSION_ID_KEY)?.length ?? 0;
  return count;
}

const SESSION_ID_TIGHT = '"sessionId":';
const SESSION_ID_KEY = /"sessionId"\s*:/g;
/** A `sessionId` key with a string value, escapes included, as the server wrote it. */
const SESSION_ID_VALUE = /"sessionId"\s*:\s*"((?:[^"\\]|\\.)*)"/;

export interface JoinedSession {
  /** The Talk session id itself (escapes decoded): what the client sends back. */
  readonly id: string;
  /**
   * The id as it may stand inside a JSON string of a later answer, most likely first: as this
   * server wrote it in the join answer, then as PHP writes it, then unescaped. Never empty: a join
   * answer with an empty session id is no join.
   */
  readonly forms: readonly string[];
}

/** The id's text inside a JSON string, as JSON.stringify and as PHP's json_encode write it. */
function writtenForms(id: string): string[] {
  const plain = JSON.stringify(id).slice(1, -1);
  return [phpEscapeJson(plain), plain];
}

/**
 * The `sessionId` of a room-join answer (reference 2.8), read without parsing the room object when
 * it holds the key once (session ids are 255 characters of `A-Za-z0-9+/`, written with `\/` by a
 * real server); any other shape goes through JSON.parse. Every guest does this once per join, and
 * the room object is the largest body of the journey.
 */
export function joinedSession(body: string): JoinedSession | undefined {
  // The shape every Talk writes (no whitespace, the key once, an id of [A-Za-z0-9+/] with `/` as
  // `\/` or plain): found by native string searches, no regular expression, no JSON.parse.
  const at = body.indexOf(SESSION_ID_OPEN);
  if (at >= 0 && body.indexOf('"sessionId"', at + 1) < 0) {
    const from = at + SESSION_ID_OPEN.length;
    const end = body.indexOf('"', from);
    const raw = end < 0 ? '' : body.slice(from, end);
    if (raw !== '' && ID_CHARS.test(raw)) {
      if (!raw.includes('\\')) return raw.includes('/') ? { id: raw, forms: [raw, raw.split('/').join('\\/')] } : { id: raw, forms: [raw] };
      const id = raw.split('\\/').join('/');
      // Only `\/` escapes: this is exactly how PHP writes the id, and JSON.stringify writes it plain.
      if (!id.includes('\\')) return { id, forms: [raw, id] };
    }
  }
  return joinedSessionSlow(body);
}

/** The key and the opening quote of its string value. */
const SESSION_ID_OPEN = `${SESSION_ID_TIGHT}"`;
/** Characters of a session id as written in JSON (escapes included); anything else goes the slow way. */
const ID_CHARS = /^[A-Za-z0-9+/\\]+$/;

/** Any other shape: whitespace, escapes beyond `\/`, the key more than once. */
function joinedSessionSlow(body: string): JoinedSession | undefined {
  if (body.match(SESSION_ID_KEY)?.length === 1) {
    const m = SESSION_ID_VALUE.exec(body);
    if (m) {
      const raw = m[1]!;
      if (raw === '') return undefined;
      // Plain ids (no escapes, no '/') need no decoding and have one written form.
      if (!raw.includes('\\') && !raw.includes('/')) return { id: raw, forms: [raw] };
      let id: unknown;
      try {
        id = raw.includes('\\') ? JSON.parse(`"${raw}"`) : raw;
      } catch {
        return undefined;
      }
      return typeof id === 'string' ? { id, forms: unique([raw, ...writtenForms(id)]) } : undefined;
    }
  }
  try {
    const id = (JSON.parse(body) as { ocs?: { data?: { sessionId?: unknown } } }).ocs?.data?.sessionId;
    return typeof id === 'string' && id !== '' ? { id, forms: unique(writtenForms(id)) } : undefined;
  } catch {
    return undefined;
  }
}

function unique(list: string[]): string[] {
  return list.filter((v, i) => list.indexOf(v) === i);
}

/** The newest message id in a chat answer, or `known` (ids are integers: found by pattern, not JSON.parse). */
export function newestMessageId(body: unknown, known: number): number {
  if (typeof body !== 'string') return known;
  let newest = known;
  const re = /"id":(\d+)/g;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) newest = Math.max(newest, Number(m[1]));
  return newest;
}

/**
 * Whether a kept body is a whole JSON object with an `ocs` key, checked without parsing it (the
 * peer poll is the most frequent request a guest reads): a cut body does not end in `}`.
 */
export function looksLikeOcs(body: string): boolean {
  // As PHP writes it: two native calls (issue 29); any other writer the longer way.
  if (body.startsWith('{"ocs":') && body.endsWith('}')) return true;
  if (body.charCodeAt(0) !== 123 || !body.includes('"ocs"')) return false;
  let end = body.length - 1;
  // PHP writes no whitespace after the object; a proxy or another writer may.
  while (end > 0 && body.charCodeAt(end) <= 32) end--;
  return body.charCodeAt(end) === 125;
}
