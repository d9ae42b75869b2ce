// How well the gate holds on a busy runner: false alarms (A vs A, healthy) and detection (B with
// call_join's service time 10 % longer in the capacity model), for the A/B gate (`talkload compare`
// with the settings of `npm run gate`) and for the stored-baseline gate (`talkload gate` against a
// run made before), each with and without a CPU hog (four bounded busy loops, twice the two
// cores). Prints a table with the counts, the smallest slowdown the A/B gate catches 19 times of
// 20, and the wall time per comparison. Loopback only; every comparison bounded in time.
//   npm run bench:gate                       (20 A/B comparisons per cell, 5 stored-baseline ones)
//   GATE_BENCH_N=3 GATE_BENCH_STORED_N=1 npm run bench:gate      (a quick look)

import { type ChildProcess, spawnSync } from 'node:child_process';
import { startCpuHog, stopCpuHog } from '../src/node/testing/cpu-hog.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs module shared with scripts/gate-job.mjs
import { GATE_COMPARE, GATE_WORKLOAD } from '../scripts/gate-workload.mjs';
import { NC29_2CORE } from '../src/node/simulator/capacity.ts';
import { shiftVerdict } from '../src/node/compare/compare.ts';

const BIN = fileURLToPath(new URL('../bin/talkload.mjs', import.meta.url));
const count = (name: string, fallback: number): number => {
  const text = process.env[name] ?? String(fallback);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 100) {
    console.error(`bench:gate: ${name} must be a whole number from 1 to 100, got "${text}"`);
    process.exit(2);
  }
  return n;
};
const N = count('GATE_BENCH_N', 20);
const STORED_N = count('GATE_BENCH_STORED_N', Math.min(N, 5));
const BASE_MS = NC29_2CORE.serviceMs.call_join!;
// 10 % slower: 29.7 ms instead of 27 (the simulator carries the fraction over, so it is 29.7 on average).
const SLOWER = Number((BASE_MS * 1.1).toFixed(2));
const OUT = mkdtempSync(join(tmpdir(), 'talkload-gatebench-'));

function talkload(args: string[]): { code: number | null; seconds: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, seconds: (Date.now() - started) / 1000 };
}

/** Four busy loops for the whole bench (they end with it, or after 4 h at most). */
function startHog(): ChildProcess[] {
  return startCpuHog(4, 4 * 3600e3);
}

let seq = 0;
const id = (what: string): string => `${what}-${++seq}`;
const capacity = (g: string[]): string => g[g.indexOf('--sim-capacity') + 1]!;

/** call_join's median comparison of an A/B run: shift, interval, A's median. */
interface JoinShift {
  readonly shift: number;
  readonly low: number;
  readonly high: number;
  readonly base: number;
  readonly pairs: number;
}

/** One A/B comparison; flagged when it called a regression (exit 1). */
function abGate(slower: boolean): { flagged: boolean; seconds: number; join: JoinShift | null; why: string } {
  const extra = slower ? ['--b-sim-capacity', `${capacity(GATE_COMPARE as string[])},call_join=${SLOWER}`] : [];
  const runId = id('ab');
  const r = talkload(['compare', '--a', 'sim', '--b', 'sim', ...(GATE_COMPARE as string[]), ...extra, '--out', OUT, '--run-id', runId]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`compare exited ${r.code}`);
  const report = JSON.parse(readFileSync(join(OUT, runId, 'compare.json'), 'utf8')) as { rounds: number; comparisons: { endpoint: string; measure: string; verdict: string; difference: number; low: number; high: number; detail: string }[] };
  const c = report.comparisons.find((x) => x.endpoint === 'call_join' && x.measure === 'median');
  const base = c ? Number(/ vs ([\d.]+) ms/.exec(c.detail)?.[1]) : NaN;
  const why = report.comparisons.filter((x) => x.verdict !== 'no change').map((x) => `${x.endpoint} ${x.measure}`).join(', ');
  return { flagged: r.code === 1, seconds: r.seconds, join: c && Number.isFinite(base) ? { shift: c.difference, low: c.low, high: c.high, base, pairs: report.rounds } : null, why };
}

/** One stored-baseline comparison: a baseline run, then the compared run, then talkload gate. */
function storedGate(slower: boolean): { flagged: boolean; seconds: number; join: JoinShift | null; why: string } {
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
  return { flagged: g.code === 1, seconds: (Date.now() - started) / 1000, join: null, why: '' };
}

/**
 * The smallest slowdown of call_join (in % of its 27 ms service time) that the A/B gate would call
 * a regression in at least 19 of 20 of these healthy comparisons, each shifted by that many ms: the
 * location-shift model the Hodges-Lehmann estimate and the signed-rank interval rest on (a slower B
 * moves every pair difference by the same amount). The measured 10 % row checks it.
 */
function smallestCaught(healthy: readonly JoinShift[], opts = { pct: 0.05, ms: 2 }, share = 19 / 20): number | null {
  if (healthy.length === 0) return null;
  for (let pct = 1; pct <= 100; pct++) {
    const x = (BASE_MS * pct) / 100;
    const caught = healthy.filter((h) => {
      const effect = Math.max(opts.pct * (h.base + x), opts.ms);
      return shiftVerdict({ shift: h.shift + x, low: h.low + x, high: h.high + x }, effect, h.pairs) === 'regressed';
    }).length;
    if (caught >= Math.ceil(share * healthy.length)) return pct;
  }
  return null;
}

const rows: string[] = [];
const smallest: string[] = [];
for (const hog of [false, true]) {
  const hogs = hog ? startHog() : [];
  try {
    for (const [name, gate, n] of [['A/B (npm run gate)', abGate, N], ['stored baseline', storedGate, STORED_N]] as const) {
      let alarms = 0;
      let caught = 0;
      let seconds = 0;
      const healthyJoins: JoinShift[] = [];
      for (let i = 0; i < n; i++) {
        const healthy = gate(false);
        const slow = gate(true);
        if (healthy.flagged) alarms++;
        if (slow.flagged) caught++;
        if (healthy.join) healthyJoins.push(healthy.join);
        seconds += healthy.seconds + slow.seconds;
        const said = healthy.flagged && healthy.why ? ` (false alarm: ${healthy.why})` : '';
        process.stderr.write(`bench:gate: ${name}${hog ? ', CPU hog' : ''}: ${i + 1}/${n}: ${alarms} false alarms, ${caught} caught${said}\n`);
      }
      rows.push(`| ${name} | ${hog ? 'four busy loops' : 'none'} | ${alarms} of ${n} | ${caught} of ${n} | ${(seconds / (2 * n)).toFixed(0)} s |`);
      if (gate === abGate) {
        const pct = smallestCaught(healthyJoins);
        smallest.push(`- ${hog ? 'beside the CPU hog' : 'quiet'}: ${pct === null ? 'none up to 100 %' : `${pct} % (${((BASE_MS * pct) / 100).toFixed(1)} ms)`}, from ${healthyJoins.length} healthy comparisons`);
      }
    }
  } finally {
    stopCpuHog(hogs);
  }
}
console.log(`\ncall_join 10 % slower (service time ${SLOWER} ms instead of ${BASE_MS} ms), ${N} A/B and ${STORED_N} stored-baseline comparisons per cell:\n`);
console.log('| gate | CPU hog | false alarms (A vs A) | slowdown caught | wall time per comparison |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`\nSmallest call_join slowdown the A/B gate catches 19 times of 20 (its healthy comparisons shifted by it):\n`);
for (const s of smallest) console.log(s);
