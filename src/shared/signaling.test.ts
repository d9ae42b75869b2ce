import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leavingMessages } from './signaling.ts';

// Talk's session ids are 255 characters of [A-Za-z0-9+/]; the others check the quoting.
const IDS = ['a'.repeat(255), 'ab+c/d', 'with"quote', 'back\\slash', 'é\u2028line', ''];

for (const sessionId of IDS) {
  test(`leavingMessages(${JSON.stringify(sessionId.slice(0, 12))}) is the text JSON.stringify gives`, () => {
    const fn = JSON.stringify({ to: sessionId, type: 'leaving', payload: {} });
    assert.equal(leavingMessages(sessionId), JSON.stringify([{ ev: 'message', fn, sessionId }]));
  });
}
