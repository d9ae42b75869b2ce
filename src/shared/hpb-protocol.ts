// Reading HPB (signaling server) messages without parsing every one: in a call of n guests each flag
// change delivers n events listing n users, so a load client finds what it needs by text, as the
// peer-list check does. Shapes as a real nextcloud-spreed-signaling sends them (key order varies:
// it is a Go map). Runtime-neutral.

/** `"key":"value"` of the first such pair, escapes kept as written; null when absent. */
export function stringField(text: string, key: string): string | null {
  const at = text.indexOf(`"${key}":"`);
  if (at < 0) return null;
  const start = at + key.length + 4;
  // Ids, codes and reasons hold no escapes: the next quote ends them, found natively (a JS loop over
  // a 288-character HPB session id costs k6 more than the rest of the hello, issue 27).
  const quote = text.indexOf('"', start);
  if (quote < 0) return null;
  const value = text.slice(start, quote);
  if (!value.includes('\\')) return value;
  let end = start;
  while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
  return end < text.length ? text.slice(start, end) : null;
}

/** The message's `type` (the first one: the envelope's, as both servers write it first or second). */
export function messageType(text: string): string | null {
  return stringField(text, 'type');
}

/** The error code of an `error` message (or of a refused hello/room answer). */
export function errorCode(text: string): string | null {
  if (!text.includes('"type":"error"')) return null;
  return stringField(text, 'code') ?? 'error';
}

/** Whether a message answers the request with this id (both servers write `id` first). */
export function answers(text: string, id: string): boolean {
  return text.startsWith(`{"id":"${id}"`);
}

/**
 * The in-call flags of a session in a `participants/update` event, found by its HPB session id
 * (the HPB replaces Talk's ids with its own); null when the event does not list it. Entries are flat
 * objects, so the entry is the text between the braces around the id.
 */
export function inCallOf(text: string, hpbSessionId: string): number | null {
  return inCallReader(hpbSessionId)(text);
}

/**
 * inCallOf for one session, its search text built once: a guest tests every message it receives
 * while it waits for an event (k6 runs this per message per guest).
 */
export function inCallReader(hpbSessionId: string): (text: string) => number | null {
  const needle = `"sessionId":"${hpbSessionId}"`;
  return (text) => {
    // The target stands at the head of every event a server writes (`{"type":"event","event":
    // {"target":"participants",...`, v1.3.2 and the emulator): looked for there only, so that the
    // other events (a join listing a call of 100 is 40 KB) are not scanned twice.
    if (!text.slice(0, TARGET_HEAD).includes('"target":"participants"')) return null;
    const at = text.indexOf(needle);
    if (at < 0) return null;
    const start = text.lastIndexOf('{', at);
    const end = text.indexOf('}', at);
    if (start < 0 || end < 0) return null;
    const m = IN_CALL.exec(text.slice(start, end));
    return m ? Number(m[1]) : null;
  };
}

const IN_CALL = /"inCall":(\d+)/;
/** How far into a message an event's target may stand. */
const TARGET_HEAD = 96;
/** A bye carries its reason only: a longer message is not one (and is not scanned for it). */
export const BYE_MAX_LENGTH = 1024;

/** A `bye` from the server (time limits, a second connection): its reason. */
export function byeReason(text: string): string | null {
  if (text.length > BYE_MAX_LENGTH || !text.includes('"type":"bye"')) return null;
  return stringField(text, 'reason') ?? '';
}
