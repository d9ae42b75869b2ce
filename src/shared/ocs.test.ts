import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinedSession, listsSession, looksLikeOcs, newestMessageId, parseOcsBody, sessionsIn, type BodyKind } from './ocs.ts';
import { phpJson } from './php-json.ts';

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

/** A 255-character id in Talk's alphabet (A-Za-z0-9+/), with '/' in it as 98 % of real ids have. */
const TALK_ID = ('Ab9+/xY' + 'q'.repeat(30)).repeat(7).slice(0, 255);
const envelope = (data: unknown) => ({ ocs: { meta: { status: 'ok', statuscode: 200, message: 'OK' }, data } });
/** The same answer as a real server (PHP json_encode), JSON.stringify and pretty-printed JSON write it. */
const WRITERS: [string, (v: unknown) => string][] = [
  ['PHP json_encode', (v) => phpJson(v)],
  ['JSON.stringify', (v) => JSON.stringify(v)],
  ['pretty JSON', (v) => JSON.stringify(v, null, 2)],
];

test('phpJson writes what PHP json_encode(JSON_HEX_TAG) writes', () => {
  const cases: [unknown, string][] = [
    ['a/b', '"a\\/b"'],
    ['<b>', '"\\u003Cb\\u003E"'],
    ['café', '"caf\\u00e9"'],
    ['😀', '"\\ud83d\\ude00"'],
    ['tab\there "q" \\', '"tab\\there \\"q\\" \\\\"'],
    [{ url: 'https://x/y', n: [1, null, true] }, '{"url":"https:\\/\\/x\\/y","n":[1,null,true]}'],
  ];
  for (const [value, php] of cases) {
    assert.equal(phpJson(value), php, JSON.stringify(value));
    assert.deepEqual(JSON.parse(phpJson(value)), value, 'decodes back to the same value');
  }
});

test('sessionsIn and listsSession agree with JSON.parse on GET /call answers, whoever wrote them', () => {
  const peer = (sessionId: string, displayName = 'talkload guest 1') => ({ actorType: 'guests', actorId: 'x', displayName, token: 't', lastPing: 1, sessionId });
  for (const me of [TALK_ID, 'a'.repeat(255)]) {
    const cases: [string, unknown[]][] = [
      ['empty list', []],
      ['only me', [peer(me)]],
      ['three, me among them', [peer('b/'.repeat(127)), peer(me), peer('c'.repeat(255))]],
      ['two, me not among them', [peer('b/'.repeat(127)), peer('c'.repeat(255))]],
      ['display names that look like keys', [peer('b'.repeat(255), 'sessionId'), peer('c'.repeat(255), '"sessionId": "x"')]],
      ['a display name holding my id', [peer('b'.repeat(255), me.slice(0, 200))]],
    ];
    for (const [joinWriter, writeJoin] of WRITERS) {
      // The guest learns its id from the join answer, written by the same server as the peer list.
      const forms = joinedSession(writeJoin(envelope({ token: 't', sessionId: me })))!.forms;
      for (const [name, data] of cases) {
        for (const [writer, write] of WRITERS) {
          const body = write(envelope(data));
          const parsed = (JSON.parse(body) as ReturnType<typeof envelope>).ocs.data as { sessionId: string }[];
          const want = { count: parsed.length, listed: parsed.some((p) => p.sessionId === me) };
          assert.deepEqual({ count: sessionsIn(body), listed: listsSession(body, forms) }, want, `${name}: joined via ${joinWriter}, peers via ${writer}, id ${me.slice(0, 8)}`);
        }
      }
    }
  }
  assert.equal(listsSession('{"ocs":{"data":[]}}', ['']), false);
});

test('the id searched first is the one the server wrote (one search per poll when listed)', () => {
  const s = joinedSession(phpJson(envelope({ sessionId: TALK_ID })))!;
  assert.equal(s.id, TALK_ID);
  assert.equal(s.forms[0], TALK_ID.replace(/\//g, '\\/'));
  assert.deepEqual(joinedSession(JSON.stringify(envelope({ sessionId: 'plain' })))!.forms, ['plain']);
});

test('joinedSession agrees with JSON.parse on room-join answers', () => {
  const room = { id: 1, token: 'abc', type: 3, name: 'sessionId', displayName: '"sessionId": "fake"', participantType: 4, attendeeId: 7, actorType: 'guests', actorId: 'x', sessionId: TALK_ID, lastMessage: { message: 'say "sessionId":"y"', messageParameters: [] }, lastPing: 0 };
  const cases: [string, unknown][] = [
    ['a room with look-alike names and messages', room],
    ['an alphanumeric id', { ...room, sessionId: 'Ab9'.repeat(85) }],
    ['session id first', { sessionId: TALK_ID, token: 'abc' }],
    ['a nested sessionId key as well (parsed)', { ...room, lastMessage: { sessionId: 'nested' } }],
    ['a session id with quotes and unicode', { ...room, sessionId: 'a/b"c\\dé' }],
    ['no session id', { token: 'abc' }],
    ['a numeric session id', { ...room, sessionId: 0 }],
  ];
  for (const [name, data] of cases) {
    for (const [writer, write] of WRITERS) {
      const expected = (data as { sessionId?: unknown }).sessionId;
      assert.equal(joinedSession(write(envelope(data)))?.id, typeof expected === 'string' ? expected : undefined, `${name} (${writer})`);
    }
  }
  for (const garbage of ['', '<html>', '{"ocs":{"data":{"sessionId":"unterminated', '{"ocs":{"data":{"sessionId":"bad\\escape"}}}']) assert.equal(joinedSession(garbage), undefined, garbage);
  // An empty id is no session: there is nothing to look for in a peer list, nor to leave with.
  for (const empty of ['{"ocs":{"data":{"sessionId":""}}}', '{"ocs": {"data": {"sessionId" : ""}}}', '{"ocs":{"data":{"sessionId":"","sessionId":""}}}']) assert.equal(joinedSession(empty), undefined, empty);
});

test('an uncaught server error in OCS XML keeps its status code', () => {
  const body = '<?xml version="1.0"?>\n<ocs>\n <meta>\n  <status>failure</status>\n  <statuscode>500</statuscode>\n  <message>Internal Server Error\n</message>\n </meta>\n <data/>\n</ocs>\n';
  assert.deepEqual(parseOcsBody(body, 'text/xml; charset=UTF-8'), { kind: 'xml', meta: { status: 'failure', statuscode: 500, message: 'Internal Server Error' } });
  assert.deepEqual(parseOcsBody('<?xml version="1.0"?><feed/>', 'application/xml'), { kind: 'xml', meta: null });
});

const NEWEST: [string, unknown, number, number][] = [
  ['two messages, oldest first', '{"ocs":{"data":[{"id":7,"referenceId":"","message":"a"},{"id":12,"message":"b"}]}}', 0, 12],
  ['history, newest first', '{"ocs":{"data":[{"id":12},{"id":7}]}}', 0, 12],
  ['a message text that looks like an id is escaped by the server', '{"ocs":{"data":[{"id":3,"message":"\\"id\\":99"}]}}', 0, 3],
  ['304: no body', '', 5, 5],
  ['not a string', undefined, 5, 5],
  ['older than known', '{"ocs":{"data":[{"id":2}]}}', 5, 5],
];
for (const [name, body, known, want] of NEWEST) test(`newestMessageId: ${name}`, () => assert.equal(newestMessageId(body, known), want));

// A peer list that cannot be read is bad_body on call_peers, checked without parsing (issue 24 item 10).
const OCS_LIKE: [string, boolean][] = [
  ['{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":[]}}', true],
  ['{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":[]}}\n', true],
  ['{"ocs":{"meta":{"status":"ok","statuscode":200', false], // the simulator's badjson: cut
  ['<!DOCTYPE html><html><body>502 Bad Gateway</body></html>', false],
  ['{"error":"x"}', false],
  ['', false],
];
for (const [body, ok] of OCS_LIKE) test(`looksLikeOcs(${JSON.stringify(body.slice(0, 30))}) is ${ok}`, () => assert.equal(looksLikeOcs(body), ok));
