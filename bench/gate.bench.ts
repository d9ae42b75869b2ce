// How well the gate holds on a busy runner: false alarms (A vs A, healthy) and detection (B with
// call_join's service time 10 % longer in the capacity model), for the A/B gate (`talkload compare`
// with the settings of `npm run gate`) and for the stored-baseline gate (`talkload gate` against a
// run made before), each with and without a CPU hog (four bounded busy loops, twice the two
// cores). Prints a table with the counts and the wall time per comparison. Loopback only; every
// comparison bounded in time.
//   GATE_BENCH_N=20 npm run bench:gate      (N comparisons per cell; 20 takes about 3 hours)

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs module shared with scripts/gate-job.mjs
import { GATE_COMPARE, GATE_WORKLOAD } from '../scripts/gate-workload.mjs';

const BIN = fileURLToPath(new URL('../bin/talkload.mjs', import.meta.url));
const N = Number(process.env['GATE_BENCH_N'] ?? 20);
// call_join's median service time in the capacity model is 27 ms; 10 % slower is 29.7 ms.
const SLOWER = process.env['GATE_BENCH_SLOWER'] ?? '29.7';
const OUT = mkdtempSync(join(tmpdir(), 'talkload-gatebench-'));
if (!Number.isInteger(N) || N < 1 || N > 100) {
  console.error(`bench:gate: GATE_BENCH_N must be a whole number from 1 to 100, got "${process.env['GATE_BENCH_N']}"`);
  process.exit(2);
}

function talkload(args: string[]): { code: number | null; seconds: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, seconds: (Date.now() - started) / 1000 };
}

function startHog(): ChildProcess[] {
  return Array.from({ length: 4 }, () => spawn(process.execPath, ['-e', 'const end = Date.now() + 4 * 3600e3; while (Date.now() < end) {}'], { stdio: 'ignore' }));
}

let seq = 0;
const id = (what: string): string => `${what}-${++seq}`;
const capacity = (g: string[]): string => g[g.indexOf('--sim-capacity') + 1]!;

/** One A/B comparison; true when it called a regression (exit 1). */
function abGate(slower: boolean): { flagged: boolean; seconds: number } {
  const extra = slower ? ['--b-sim-capacity', `${capacity(GATE_COMPARE as string[])},call_join=${SLOWER}`] : [];
  const r = talkload(['compare', '--a', 'sim', '--b', 'sim', ...(GATE_COMPARE as string[]), ...extra, '--out', OUT, '--run-id', id('ab')]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`compare exited ${r.code}`);
  return { flagged: r.code === 1, seconds: r.seconds };
}

/** One stored-baseline comparison: a baseline run, then the compared run, then talkload gate. */
function storedGate(slower: boolean): { flagged: boolean; seconds: number } {
  const started = Date.now();
  const base = id('base');
  const run = id('run');
  const w = GATE_WORKLOAD as string[];
  const withSlower = slower ? w.map((v, i) => (w[i - 1] === '--sim-capacity' ? `${v},call_join=${SLOWER}` : v)) : w;
  for (const [runId, args] of [[base, w], [run, withSlower]] as const) {
    const r = talkload(['run', ...args, '--out', OUT, '--run-id', runId, '--', '--quiet']);
    if (r.code !== 0 && r.code !== 99) throw new Error(`run exited ${r.code}`);
  }
  const file = join(OUT, `${base}.json`);
  talkload(['baseline', 'accept', join(OUT, base), '--out', file, '--force']);
  const g = talkload(['gate', join(OUT, run), '--baseline', file]);
  return { flagged: g.code === 1, seconds: (Date.now() - started) / 1000 };
}

const rows: string[] = [];
for (const hog of [false, true]) {
  const hogs = hog ? startHog() : [];
  try {
    for (const [name, gate] of [['A/B (npm run gate)', abGate], ['stored baseline', storedGate]] as const) {
      let alarms = 0;
      let caught = 0;
      let seconds = 0;
      for (let i = 0; i < N; i++) {
        const healthy = gate(false);
        const slow = gate(true);
        if (healthy.flagged) alarms++;
        if (slow.flagged) caught++;
        seconds += healthy.seconds + slow.seconds;
        process.stderr.write(`bench:gate: ${name}${hog ? ', CPU hog' : ''}: ${i + 1}/${N}: ${alarms} false alarms, ${caught} caught\n`);
      }
      rows.push(`| ${name} | ${hog ? 'four busy loops' : 'none'} | ${alarms} of ${N} | ${caught} of ${N} | ${(seconds / (2 * N)).toFixed(0)} s |`);
    }
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
}
console.log(`\ncall_join 10 % slower (service time ${SLOWER} ms instead of 27 ms), ${N} comparisons per cell:\n`);
console.log('| gate | CPU hog | false alarms (A vs A) | slowdown caught | wall time per comparison |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
