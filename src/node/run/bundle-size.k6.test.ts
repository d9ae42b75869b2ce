// The guest bundle every VU evaluates stays small (issue 29). 88 KB: today's bundle is 84 KB (both
// signaling modes, chat, metrics, the guest's request kinds and their senders; 12 KB of it
// comments, kept so that a stack trace points at readable code) with room for a small feature; a
// source map (which k6 parses into every VU and which cost CPU per request, see
// docs/beyond-one-machine.md), a bundled dependency or a copy of a Node-side module would each push
// it past. What a request costs is counted by `OVERHEAD_STEPS=1 npm run bench:overhead` (JS steps and
// lookups by name), and code a mode never runs adds none: taking the HPB and chat code out (60 KB
// then) changed nothing measurable per request in bench:overhead, so both modes stay in one bundle
// (the HPB journey's kinds are made at a VU's first HPB stay: a kind's senders are functions in
// every VU's memory).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BUNDLE = fileURLToPath(new URL('../../../dist/k6/guest-call.js', import.meta.url));
const LIMIT_BYTES = 88_000;

test(`the guest bundle stays under ${LIMIT_BYTES / 1000} KB and carries no source map`, () => {
  const text = readFileSync(BUNDLE, 'utf8');
  assert.ok(text.length <= LIMIT_BYTES, `dist/k6/guest-call.js is ${text.length} bytes, over ${LIMIT_BYTES}: what rides along in every VU?`);
  assert.ok(!text.includes('sourceMappingURL'), 'a source map is parsed into every VU');
  assert.ok(!/from ["']node:/.test(text), 'no Node import in a k6 bundle');
});
