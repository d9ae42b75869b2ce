import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answers, byeReason, errorCode, inCallOf, stringField } from './hpb-protocol.ts';

// Messages as a real nextcloud-spreed-signaling v1.3.2 sent them (ids shortened).
const UPDATE = '{"type":"event","event":{"target":"participants","type":"update","update":{"roomid":"qslm4o1t","users":[{"participantType":4,"participantPermissions":246,"actorType":"guests","actorId":"abd","inCall":7,"lastPing":1796293356,"sessionId":"THdM-1|x"},{"actorId":"bfe","inCall":3,"lastPing":1796293356,"sessionId":"xuup_2","participantType":4}]}}}';

const IN_CALL: [string, string, number | null][] = [
  ['first entry, inCall before the id', 'THdM-1|x', 7],
  ['second entry, keys in another order', 'xuup_2', 3],
  ['not listed', 'other', null],
  ['a prefix of a listed id is not that id', 'THdM', null],
];
for (const [why, id, want] of IN_CALL) test(`inCallOf: ${why}`, () => assert.equal(inCallOf(UPDATE, id), want));

test('inCallOf ignores messages that are not participant updates', () => {
  assert.equal(inCallOf('{"type":"message","message":{"data":{"sessionId":"xuup_2","inCall":1}}}', 'xuup_2'), null);
  // Another event whose data quotes a participants update deep inside: its target is "room".
  const relayed = `{"type":"event","event":{"target":"room","type":"message","message":{"roomid":"x","data":${JSON.stringify({ pad: 'p'.repeat(100), copy: JSON.parse(UPDATE) })}}}}`;
  assert.equal(inCallOf(relayed, 'xuup_2'), null);
});

const ERRORS: [string, string | null][] = [
  ['{"id":"2","type":"error","error":{"code":"no_such_room","message":"The user is not invited to this room."}}', 'no_such_room'],
  ['{"id":"3","type":"error","error":{"code":"already_joined","message":"Already joined this room.","details":{"room":{"roomid":"x"}}}}', 'already_joined'],
  ['{"id":"2","type":"room","room":{"roomid":"x","properties":{"type":3}}}', null],
];
for (const [text, want] of ERRORS) test(`errorCode ${want}`, () => assert.equal(errorCode(text), want));

test('answers, byeReason, stringField', () => {
  assert.ok(answers('{"id":"12","type":"hello","hello":{}}', '12'));
  assert.ok(!answers('{"id":"123","type":"hello"}', '12'));
  assert.equal(byeReason('{"type":"bye","bye":{"reason":"hello_timeout"}}'), 'hello_timeout');
  assert.equal(byeReason('{"id":"9","type":"bye","bye":{}}'), '');
  assert.equal(byeReason(UPDATE), null);
  // A long message is never a bye, even one that quotes a bye in its data.
  assert.equal(byeReason(`{"type":"event","event":{"target":"room","type":"message","message":{"data":{"pad":"${'p'.repeat(1100)}","q":{"type":"bye"}}}}}`), null);
  assert.equal(stringField('{"hello":{"sessionid":"a\\"b","x":1}}', 'sessionid'), 'a\\"b');
});
