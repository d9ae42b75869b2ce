import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyError, k6StatusLabel, outcomeCode } from './outcome.ts';

const TABLE: [string, unknown, string][] = [
  ['undici headers timeout', { code: 'UND_ERR_HEADERS_TIMEOUT' }, 'timeout'],
  ['undici body timeout', { code: 'UND_ERR_BODY_TIMEOUT' }, 'timeout'],
  ['abort signal timeout', { name: 'TimeoutError' }, 'timeout'],
  ['refused, as the cause', { name: 'TypeError', cause: { code: 'ECONNREFUSED' } }, 'connect'],
  ['dns', { code: 'ENOTFOUND' }, 'connect'],
  ['reset', { code: 'ECONNRESET' }, 'reset'],
  ['undici socket closed', { code: 'UND_ERR_SOCKET' }, 'reset'],
  ['self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'tls'],
  ['tls alert', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'tls'],
  ['something else', new Error('boom'), 'unknown'],
  ['not an error', 'nope', 'unknown'],
];
for (const [name, err, cls] of TABLE) test(`${name} -> ${cls}`, () => assert.equal(classifyError(err), cls));

test('a status is its own code label; an error class wins over a status', () => {
  assert.equal(outcomeCode(200, null), '200');
  assert.equal(outcomeCode(null, 'timeout'), 'timeout');
  assert.equal(outcomeCode(200, 'bad_body'), 'bad_body');
});

const K6_TABLE: [number, number | string | undefined, string, string?][] = [
  [200, undefined, '200'],
  [500, '', '500'],
  [0, 1050, 'timeout'], // request timeout: a server that queued the request, not a dead one
  [0, '1050', 'timeout'], // as the CSV output writes it
  [0, 1211, 'timeout'],
  [0, 1212, 'connect'],
  [0, 1101, 'connect'],
  [0, 1220, 'reset'],
  [0, 1301, 'tls'],
  [0, 1000, 'unknown'],
  [0, undefined, 'unknown'],
  // A connection closed without an answer (the simulator's reset fault, a proxy that drops it): k6's
  // generic code with the error text EOF, as its CSV writes it.
  [0, '1000', 'reset', 'EOF'],
  [0, 1000, 'reset', 'unexpected EOF'],
  [0, 1000, 'unknown', 'something else'],
  [200, 1000, '200', 'EOF'],
];
for (const [status, code, label, error] of K6_TABLE) test(`k6 status ${status}, error_code ${String(code)}${error ? ` (${error})` : ''} -> ${label}`, () => assert.equal(k6StatusLabel(status, code, error), label));
