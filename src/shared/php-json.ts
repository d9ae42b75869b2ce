// JSON as Nextcloud writes it: PHP's json_encode with JSON_HEX_TAG (OCS BaseResponse::render and
// OC_API). Unlike JSON.stringify it writes '/' as '\/', every non-ASCII character as a lowercase
// \uXXXX escape (surrogate pairs as two), and '<' '>' as \u003C \u003E. Talk session ids hold '/'
// (reference 3.3), so a client that searches a raw body for a value must search for this form.
// Runtime-neutral: the simulator answers with it, and tests build "real server" bodies with it.

/** Characters PHP escapes that JSON.stringify leaves as they are (outside strings only ASCII punctuation occurs). */
const PHP_ONLY = /[/<>\u0080-\uffff]/g;

function escapeOne(c: string): string {
  if (c === '/') return '\\/';
  if (c === '<') return '\\u003C';
  if (c === '>') return '\\u003E';
  return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
}

/** Re-escapes JSON text written by JSON.stringify the way PHP would have written it. */
export function phpEscapeJson(json: string): string {
  // One native test first: most answers (ids without '/', ASCII names) need no rewrite.
  PHP_ONLY.lastIndex = 0;
  return PHP_ONLY.test(json) ? json.replace(PHP_ONLY, escapeOne) : json;
}

/** `json_encode($value, JSON_HEX_TAG)`. */
export function phpJson(value: unknown): string {
  return phpEscapeJson(JSON.stringify(value) ?? 'null');
}
