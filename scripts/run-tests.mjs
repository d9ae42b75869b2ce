// Runs node's built-in test runner over the *.test.ts files next to the code (through tsx).
//   --tier unit   everything but the k6 tier
//   --tier k6     only *.k6.test.ts (real k6 against the simulator; needs the k6 binary and dist/)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tierIdx = process.argv.indexOf('--tier');
const tier = tierIdx >= 0 ? process.argv[tierIdx + 1] : 'all';
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
const files = all.filter((f) => (tier === 'all' ? true : tier === 'k6' ? f.endsWith('.k6.test.ts') : !f.endsWith('.k6.test.ts')));
// No test may hang the suite: each has at most 10 minutes, and the runner exits when the last file
// is done even if a failed test left a server open.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=600000', '--test-force-exit', ...files], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
