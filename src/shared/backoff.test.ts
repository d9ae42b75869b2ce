import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE_PAUSE_MS, failurePauseMs } from './backoff.ts';

// [failures in a row, elapsed ms, planned stay ms, random, pause ms]
const TABLE: [number, number, number, number, number][] = [
  [0, 5, 20_000, 0.5, 0], // a journey that succeeded: no pause
  [1, 5, 20_000, 0, 1000], // failed at once: at least a second
  [1, 5, 20_000, 1, 1400], // jitter only upwards
  [2, 5, 20_000, 0, 2000],
  [3, 5, 20_000, 0, 4000],
  [6, 5, 20_000, 0, 30_000], // capped
  [40, 5, 20_000, 0, 30_000], // no overflow
  [1, 21_000, 20_000, 0, 0], // failed late in a full stay: no tight loop to break
  [6, 21_000, 20_000, 0, 30_000], // ... unless failures piled up beyond the stay
];
for (const [failures, elapsed, stay, r, want] of TABLE) {
  test(`pause after ${failures} failures, ${elapsed} ms of a ${stay} ms stay -> ${want} ms`, () => {
    assert.equal(failurePauseMs(failures, elapsed, stay, () => r), want);
  });
}

test('the floor holds for any random draw: at most one failed journey a second per guest', () => {
  for (let i = 0; i < 1000; i++) assert.ok(failurePauseMs(1, 0, 1000, Math.random) >= FAILURE_PAUSE_MS.first);
});
