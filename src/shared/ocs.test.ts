import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinedSessionId, parseOcsBody, peersInCallBody, type BodyKind } from './ocs.ts';

const TABLE: [string, string, string, BodyKind][] = [
  ['OCS success', '{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":null}}', 'application/json', 'ocs'],
  ['OCS lobby 412', '{"ocs":{"meta":{"status":"failure","statuscode":412,"message":""},"data":[]}}', 'application/json', 'ocs'],
  ['CSRF 412', '{"message":"CSRF check failed"}', 'application/json', 'csrf'],
  ['strict cookie 412', '{"error":"Strict Cookie has not been found in request"}', 'application/json', 'strict-cookie'],
  ['other JSON', '{"foo":1}', 'application/json', 'json'],
  ['HTML page', '<!DOCTYPE html><html><body>502</body></html>', 'text/html', 'html'],
  ['HTML without doctype', '  <html><body>x</body></html>', '', 'html'],
  ['XML envelope', '<?xml version="1.0"?>\n<ocs></ocs>', 'application/xml', 'xml'],
  ['empty', '', '', 'empty'],
  ['truncated JSON', '{"ocs":{"meta":{"status":"ok"', 'application/json', 'garbage'],
  ['random bytes', '\u0000\u0001garbage', '', 'garbage'],
];

for (const [name, text, type, kind] of TABLE) {
  test(`${name} is ${kind}`, () => assert.equal(parseOcsBody(text, type).kind, kind));
}

test('the envelope meta and data come through', () => {
  const p = parseOcsBody('{"ocs":{"meta":{"status":"failure","statuscode":997,"message":"Current user is not logged in"},"data":[]}}');
  assert.deepEqual(p, { kind: 'ocs', meta: { status: 'failure', statuscode: 997, message: 'Current user is not logged in' }, data: [] });
});

test('peersInCallBody agrees with JSON.parse on GET /call answers', () => {
  const me = 'a'.repeat(255);
  const peer = (sessionId: string, displayName = 'talkload guest 1') => ({ actorType: 'guests', actorId: 'x', displayName, token: 't', lastPing: 1, sessionId });
  const cases: [string, unknown[]][] = [
    ['empty list', []],
    ['only me', [peer(me)]],
    ['three, me among them', [peer('b'.repeat(255)), peer(me), peer('c'.repeat(255))]],
    ['two, me not among them', [peer('b'.repeat(255)), peer('c'.repeat(255))]],
    ['display names that look like keys', [peer('b'.repeat(255), 'sessionId'), peer('c'.repeat(255), '"sessionId": "x"')]],
  ];
  for (const [name, data] of cases) {
    const envelope = { ocs: { meta: { status: 'ok', statuscode: 200, message: 'OK' }, data } };
    for (const body of [JSON.stringify(envelope), JSON.stringify(envelope, null, 2)]) {
      const parsed = (JSON.parse(body) as typeof envelope).ocs.data as { sessionId: string }[];
      assert.deepEqual(peersInCallBody(body, me), { count: parsed.length, listed: parsed.some((p) => p.sessionId === me) }, name);
    }
  }
  assert.equal(peersInCallBody('{"ocs":{"data":[]}}', '').listed, false);
});

test('joinedSessionId agrees with JSON.parse on room-join answers', () => {
  const sid = 'Ab9'.repeat(85);
  const room = { id: 1, token: 'abc', type: 3, name: 'sessionId', displayName: '"sessionId": "fake"', participantType: 4, attendeeId: 7, actorType: 'guests', actorId: 'x', sessionId: sid, lastMessage: { message: 'say "sessionId":"y"', messageParameters: [] }, lastPing: 0 };
  const envelope = (data: unknown) => ({ ocs: { meta: { status: 'ok', statuscode: 200, message: 'OK' }, data } });
  const cases: [string, unknown][] = [
    ['a room with look-alike names and messages', room],
    ['session id first', { sessionId: sid, token: 'abc' }],
    ['a nested sessionId key as well (parsed)', { ...room, lastMessage: { sessionId: 'nested' } }],
    ['a session id with an escape (parsed)', { ...room, sessionId: 'a/b"c' }],
    ['no session id', { token: 'abc' }],
    ['a numeric session id', { ...room, sessionId: 0 }],
  ];
  for (const [name, data] of cases) {
    for (const body of [JSON.stringify(envelope(data)), JSON.stringify(envelope(data), null, 2)]) {
      const expected = (data as { sessionId?: unknown }).sessionId;
      assert.equal(joinedSessionId(body), typeof expected === 'string' ? expected : undefined, name);
    }
  }
  for (const garbage of ['', '<html>', '{"ocs":{"data":{"sessionId":"unterminated']) assert.equal(joinedSessionId(garbage), undefined, garbage);
});
