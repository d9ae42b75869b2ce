// The README's endpoint table is the catalogue, not a copy that drifts from it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { documentedCodes, ENDPOINT_IDS, ENDPOINTS, TALK_BASE } from '../../shared/endpoints.ts';

test('README endpoint table matches the catalogue row for row', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| (\w+) \| (GET|POST|PUT|DELETE) \| `([^`]+)` \| (yes|no) \| ([\d ]+) \|$/gm)) {
    rows.set(m[1]!, `${m[2]} ${m[3]} ${m[4]} ${m[5]!.trim()}`);
  }
  for (const id of ENDPOINT_IDS) {
    const e = ENDPOINTS[id];
    const path = e.path.startsWith(TALK_BASE) ? e.path.slice(TALK_BASE.length) : e.path;
    assert.equal(rows.get(id), `${e.method} ${path} ${e.guestAllowed ? 'yes' : 'no'} ${documentedCodes(id).join(' ')}`, id);
  }
  assert.equal(rows.size, ENDPOINT_IDS.length);
});
