// Messages of Talk's internal signaling (reference section 5) that clients send themselves.
// Runtime-neutral.

/** Looked up once: in k6's JS engine each `JSON.stringify` is two lookups by name (issue 29). */
const stringify = JSON.stringify;

/**
 * The `messages` form value of `POST /signaling/{token}` with which a guest tells its own session
 * that it leaves: the server answers the session's held long-poll with it, which ends the poll loop.
 * The text `JSON.stringify([{ ev: 'message', fn, sessionId }])` gives, where `fn` is
 * `JSON.stringify({ to: sessionId, type: 'leaving', payload: {} })`, built without its objects.
 */
export function leavingMessages(sessionId: string): string {
  const id = stringify(sessionId);
  const fn = '{"to":' + id + ',"type":"leaving","payload":{}}';
  return '[{"ev":"message","fn":' + stringify(fn) + ',"sessionId":' + id + '}]';
}
