import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPath, CALL_ENDPOINT_IDS, documentedCodes, ENDPOINT_IDS, ENDPOINTS, isDocumented } from './endpoints.ts';

test('every catalogue entry is keyed by its own id and tags requests with it', () => {
  for (const id of ENDPOINT_IDS) {
    assert.equal(ENDPOINTS[id].id, id);
    assert.equal(ENDPOINTS[id].tag, id);
  }
  assert.deepEqual(Object.keys(ENDPOINTS).sort(), [...ENDPOINT_IDS].sort());
});

test('every endpoint documents its success statuses and the two plain-JSON 412s', () => {
  for (const id of ENDPOINT_IDS) {
    const e = ENDPOINTS[id];
    for (const code of e.success) assert.ok(isDocumented(id, code), `${id} ${code}`);
    const plain412 = e.statuses.filter((s) => s.code === 412 && s.shape === 'plain-json');
    assert.equal(plain412.length, 2, id);
  }
});

test('only #[PublicPage] endpoints lack the 401 of the login check', () => {
  for (const id of ENDPOINT_IDS) {
    const e = ENDPOINTS[id];
    if (!e.guestAllowed) assert.ok(isDocumented(id, 401), `${id} must document 401`);
  }
});

test('brute-force protected endpoints, and only those, document 429', () => {
  for (const id of ENDPOINT_IDS) assert.equal(isDocumented(id, 429), ENDPOINTS[id].bruteForce.length > 0, id);
  assert.deepEqual(ENDPOINT_IDS.filter((id) => ENDPOINTS[id].bruteForce.length > 0), ['room_get', 'room_join', 'signaling_settings', 'signaling_backend']);
});

const STATUS_TABLE: [string, readonly number[]][] = [
  ['call_peers', [200, 403, 404, 412, 426]],
  ['call_join', [200, 400, 403, 404, 412, 426]],
  ['call_flags', [200, 400, 404, 412, 426]],
  ['call_ring', [200, 400, 403, 404, 412, 426]],
  ['call_leave', [200, 404, 412, 426]],
];
for (const [id, codes] of STATUS_TABLE) {
  test(`${id} documents exactly ${codes.join(', ')}`, () => {
    assert.deepEqual(documentedCodes(id as (typeof CALL_ENDPOINT_IDS)[number]), codes);
  });
}

test('paths use API v4 for rooms and calls, v3 for signaling, v1 for guest names', () => {
  assert.equal(buildPath('call_join', { token: 'abcd1234' }), '/ocs/v2.php/apps/spreed/api/v4/call/abcd1234');
  assert.equal(buildPath('call_ring', { token: 'abcd1234', attendeeId: 7 }), '/ocs/v2.php/apps/spreed/api/v4/call/abcd1234/ring/7');
  assert.equal(buildPath('signaling_poll', { token: 'abcd1234' }), '/ocs/v2.php/apps/spreed/api/v3/signaling/abcd1234');
  assert.equal(buildPath('guest_name', { token: 'abcd1234' }), '/ocs/v2.php/apps/spreed/api/v1/guest/abcd1234/name');
  assert.throws(() => buildPath('call_join'), /needs path parameter token/);
});
