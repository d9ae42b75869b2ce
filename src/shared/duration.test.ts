import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationSeconds } from './duration.ts';

const TABLE: [string, number | null][] = [
  ['30s', 30],
  ['5m', 300],
  ['1h30m', 5400],
  ['500ms', 0.5],
  ['0.5s', 0.5],
  ['', null],
  ['10', null],
  ['10 minutes', null],
  ['0s', null],
  ['5m junk', null],
];
for (const [text, seconds] of TABLE) test(`"${text}" -> ${seconds}`, () => assert.equal(durationSeconds(text), seconds));
