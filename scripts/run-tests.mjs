// Runs node's built-in test runner over the *.test.ts files next to the code (through tsx).
//   --tier unit   everything but the k6 tier
//   --tier k6     only *.k6.test.ts (real k6 against the simulator; needs the k6 binary and dist/)
//   --files F,G   only these test files (paths as given)
// The whole suite (no flag) runs the two tiers side by side: the unit tier's output is held and
// printed when it is done, the k6 tier's streams. Tests are built to pass on a busy runner (the
// compare and gate tests run beside a CPU hog on purpose), so one tier is the other's neighbour.
// Every test's temp folders go under one folder made for this run (TMPDIR), removed at the end, so
// that a suite leaves nothing behind in /tmp, whatever a test forgot or a killed child left.
import { spawn } from 'node:child_process';
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
const isK6 = (f) => f.endsWith('.k6.test.ts');
const groups = only !== undefined ? [only.split(',')] : tier === 'unit' ? [all.filter((f) => !isK6(f))] : tier === 'k6' ? [all.filter(isK6)] : [all.filter(isK6), all.filter((f) => !isK6(f))];
const scratch = mkdtempSync(join(tmpdir(), 'talkload-tests-'));
const env = { ...process.env, TMPDIR: scratch };
// Started from inside a test (run-tests.test.ts), the runner must not report to that test's runner.
delete env.NODE_TEST_CONTEXT;

/** One node --test process; the first streams its output, the others hold theirs until done. */
function run(files, stream) {
  return new Promise((resolve) => {
    // No test may hang the suite: each has at most 10 minutes, and the runner exits when the last
    // file is done even if a failed test left a server open.
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', '--test-force-exit', ...files], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
    let held = '';
    const take = (out) => (d) => {
      held += d;
      if (stream) out.write(d);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, held }));
  });
}

const started = Date.now();
// One k6-tier file at a time: two at once made the stored-baseline gate test's healthy twin too
// noisy to catch its 60 % call_join slowdown (1 run in 5), where the unit tier beside it did not.
const results = await Promise.all(groups.map((files, i) => run(files, i === 0)));
for (const r of results.slice(1)) process.stdout.write(r.held);
let pass = 0;
let fail = 0;
for (const r of results) {
  pass += Number(/^# pass (\d+)$/m.exec(r.held)?.[1] ?? 0);
  fail += Number(/^# fail (\d+)$/m.exec(r.held)?.[1] ?? 0);
}
const left = readdirSync(scratch);
rmSync(scratch, { recursive: true, force: true });
console.log(`run-tests: ${left.length} temp folder(s) the tests left in ${scratch} removed`);
console.log(`run-tests: done in ${Math.round((Date.now() - started) / 1000)} s`);
// Both runners' counts in one closing line.
console.log(`tests: ${pass} passed, ${fail} failed`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
