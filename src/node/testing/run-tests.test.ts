// The test runner cleans up after the tests (issue 24 item 10: a full npm test left about 30 temp
// folders in /tmp): a test that forgets its temp folder leaves nothing behind.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../../scripts/run-tests.mjs', import.meta.url));

test('a temp folder a test forgets is gone when the runner ends', { timeout: 60_000 }, () => {
  const here = mkdtempSync(join(tmpdir(), 'talkload-runner-'));
  try {
    const marker = join(here, 'made');
    const fixture = join(here, 'forgets.test.mjs');
    writeFileSync(fixture, `import { mkdtempSync, writeFileSync } from 'node:fs';\nimport { tmpdir } from 'node:os';\nimport { join } from 'node:path';\nimport { test } from 'node:test';\ntest('forgets', () => { writeFileSync(${JSON.stringify(marker)}, mkdtempSync(join(tmpdir(), 'forgotten-'))); });\n`);
    const r = spawnSync(process.execPath, [RUNNER, '--files', fixture], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const made = readFileSync(marker, 'utf8');
    assert.match(made, /talkload-tests-[^/]+\/forgotten-/, "the test made its folder under the runner's own temp folder");
    assert.equal(existsSync(made), false, `${made} was removed`);
    assert.match(r.stdout, /run-tests: 1 temp folder\(s\) the tests left in .* removed/);
  } finally {
    rmSync(here, { recursive: true, force: true });
  }
});
