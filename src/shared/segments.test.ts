import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fraction, segment, segmentSequence } from './segments.ts';

for (const n of [1, 2, 3, 4, 7, 10]) {
  test(`${n} segments cover the load exactly once`, () => {
    const seq = segmentSequence(n).split(',').map(fraction);
    assert.equal(seq.length, n + 1);
    let covered = 0;
    let end: [number, number] = [0, 1];
    for (let i = 0; i < n; i++) {
      const [from, to] = segment(i, n).split(':').map(fraction) as [[number, number], [number, number]];
      // Each segment starts where the last ended: no gap, no overlap.
      assert.equal(from[0] / from[1], end[0] / end[1]);
      assert.deepEqual(to, seq[i + 1]);
      covered += to[0] / to[1] - from[0] / from[1];
      end = to;
    }
    assert.equal(end[0] / end[1], 1);
    assert.ok(Math.abs(covered - 1) < 1e-12);
  });
}
