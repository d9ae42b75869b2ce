// Runs node's built-in test runner over the *.test.ts files next to the code (through tsx).
//   --tier unit   everything but the k6 tier
//   --tier k6     only *.k6.test.ts (real k6 against the simulator; needs the k6 binary and dist/)
//   --files F,G   only these test files (paths as given)
// Every test's temp folders go under one folder made for this run (TMPDIR), removed at the end, so
// that a suite leaves nothing behind in /tmp, whatever a test forgot or a killed child left.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const tier = arg('--tier') ?? 'all';
if (!['all', 'unit', 'k6'].includes(tier)) {
  console.error(`run-tests: unknown tier "${tier}" (unit, k6)`);
  process.exit(2);
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.test.ts')) yield p;
  }
}
const all = [...walk(join(root, 'src'))].map((p) => relative(root, p)).sort();
const only = arg('--files');
const files = only !== undefined ? only.split(',') : all.filter((f) => (tier === 'all' ? true : tier === 'k6' ? f.endsWith('.k6.test.ts') : !f.endsWith('.k6.test.ts')));
const scratch = mkdtempSync(join(tmpdir(), 'talkload-tests-'));
// No test may hang the suite: each has at most 10 minutes, and the runner exits when the last file
// is done even if a failed test left a server open.
const env = { ...process.env, TMPDIR: scratch };
// Started from inside a test (run-tests.test.ts), the runner must not report to that test's runner.
delete env.NODE_TEST_CONTEXT;
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=600000', '--test-force-exit', ...files], { cwd: root, stdio: 'inherit', env });
const left = readdirSync(scratch);
rmSync(scratch, { recursive: true, force: true });
console.log(`run-tests: ${left.length} temp folder(s) the tests left in ${scratch} removed`);
process.exit(r.status ?? 1);
