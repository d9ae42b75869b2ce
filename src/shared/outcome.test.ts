import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyError, outcomeCode } from './outcome.ts';

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
