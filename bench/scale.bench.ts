// How many concurrent guests one machine holds: steps of guests (the load profile: a ramp over a
// fifth of the run, then the plateau) (each in a call, its signaling open, polling peers) against
// the simulator, until a step breaks. Prints per step the guests held, k6's peak RSS and CPU, the
// simulator's CPU, and every unexpected outcome by endpoint and status. Loopback only; every step
// bounded. Held means: every guest joined, was in the call at the same time as all the others (the
// simulator's in-call gauge reached the step), stayed listed in its own GET /call, and left, with
// no unexpected status and no dropped join, within 8 GiB of k6 memory.
//   SCALE_STEPS=2500,5000,10000 SCALE_GUESTS_PER_VU=20 npm run bench:scale   (SCALE_KEEP_GOING=1: past a broken step)
// HPB mode (`-- --signaling hpb` or SCALE_SIGNALING=hpb): the simulator with its embedded HPB
// emulator, guests over WebSockets; the steps as above (calls of 10), then call sizes
// (SCALE_CALL_SIZES, default 10,50,100,200) at SCALE_SIZES_GUESTS guests until the propagation p95
// passes 1 s: fan-out grows with the square of the call size, so a size whose fan-out would pass
// SCALE_SIZES_FANOUT (guests x call size squared) runs fewer calls of it. The HPB runs in its own process; with
// HPB_BIN (a nextcloud-spreed-signaling binary) or HPB_URL (+ HPB_SECRET_FILE, HPB_BACKEND_PORT) the
// same sweep runs against that real HPB after the emulator's, each with the HPB's RSS and CPU.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { type RunSummary, unexpectedLines } from '../src/node/run/results.ts';
import { startSimulator } from './child.ts';
import { benchHpbFromEnv } from '../src/node/hpb/real-server.ts';
import { type HpbServers, hpbKinds, startHpbServers } from './hpb-servers.ts';
import { durationSeconds } from '../src/shared/duration.ts';
import { Hpb } from '../src/shared/constants.ts';
import { cpuSeconds, openFiles, rssBytes } from './proc.ts';

const BIN = fileURLToPath(new URL('../bin/talkload.mjs', import.meta.url));
const { values: argv } = parseArgs({ options: { signaling: { type: 'string' } } });
const HPB = (argv.signaling ?? process.env['SCALE_SIGNALING'] ?? 'internal') === 'hpb';
const numbers = (v: string): number[] => v.split(',').filter((x) => x.trim() !== '').map(Number);
const STEPS = numbers(process.env['SCALE_STEPS'] ?? (HPB ? '2000,5000,8000' : '2500,5000,7500,10000,12500,15000'));
const CALL_SIZES = numbers(process.env['SCALE_CALL_SIZES'] ?? '10,50,100,200');
const SIZES_GUESTS = Number(process.env['SCALE_SIZES_GUESTS'] ?? 2000);
/**
 * The events the guests of a call-size step receive grow with guests x call size squared (every
 * change goes to the whole call and lists the whole call). 2,000 guests in calls of 100 (2e7, about
 * 300 MB/s of HPB events) is what the k6 of one 2-core machine reads beside the servers; 2,000 in
 * calls of 200 would be 1.2 GB/s, and k6 fell behind (20 GiB, its own hellos late). A larger call
 * size runs fewer calls (at least two) so that the step measures the call size, not the machine;
 * raise it on a larger machine or spread over k6-operator runners.
 */
const SIZES_FANOUT = Number(process.env['SCALE_SIZES_FANOUT'] ?? 2e7);
if (!(SIZES_FANOUT > 0) || !Number.isFinite(SIZES_FANOUT)) {
  console.error(`bench:scale: SCALE_SIZES_FANOUT must be a positive number (guests x call size squared, e.g. 2e7), got "${process.env['SCALE_SIZES_FANOUT']}"`);
  process.exit(2);
}
/** Guests of the call-size step of `size`: SIZES_GUESTS, or whole calls within SIZES_FANOUT. */
function sizeGuests(size: number): number {
  if (SIZES_GUESTS * size * size <= SIZES_FANOUT) return SIZES_GUESTS;
  return Math.max(2 * size, Math.floor(SIZES_FANOUT / (size * size) / size) * size);
}
// The call-size sweep changes flags more often, so that the fan-out of changes is measured too.
const SIZES_FLAGS_EVERY = process.env['SCALE_SIZES_FLAGS_EVERY'] ?? '30s';
const SIZES_DURATION = process.env['SCALE_SIZES_DURATION'] ?? '120s';
const PROPAGATION_LIMIT_MS = 1000;
// Run every step even after one broke (to see each step's breakdown, e.g. three runs of one size).
const KEEP_GOING = process.env['SCALE_KEEP_GOING'] === '1';
const PER_VU = Number(process.env['SCALE_GUESTS_PER_VU'] ?? 20);
// A town-hall shape: every guest joins once during the ramp (a fifth of the run) and stays to the
// end; mostly muted (a flag change every 2 min), peers fetched every 30 s.
const DURATION = process.env['SCALE_DURATION'] ?? '240s';
const STAY = process.env['SCALE_STAY'] ?? '240s'; // not shorter than the run: no guest joins twice
// HPB mode paces the ramp (a fifth of the run) to at most this many joins a second over all k6
// processes: every join is a WebSocket handshake the HPB times at 2 s and a hello Talk's backend
// checks, on the same two cores (issue 27: 15,000 guests ramped at 312 a second missed 370 hellos).
// A step that needs it gets a longer run (and stay); 0 turns the pacing off.
const JOIN_RATE = Number(process.env['SCALE_JOIN_RATE'] ?? (HPB ? 150 : 0));
/** Seconds of a k6 duration text (240s, 4m); a text talkload run would refuse counts as 600. */
const seconds = (d: string): number => durationSeconds(d) ?? 600;
/** The step's load-profile length: DURATION, or longer so that its ramp keeps to JOIN_RATE. */
const pacedDuration = (guests: number): string =>
  JOIN_RATE > 0 ? `${Math.max(seconds(DURATION), Math.ceil(guests / JOIN_RATE / 0.2))}s` : DURATION;
const PEERS_EVERY = process.env['SCALE_PEERS_EVERY'] ?? '30s';
const FLAGS_EVERY = process.env['SCALE_FLAGS_EVERY'] ?? '120s';
// Each k6 process may hold 20,000 open files here (ulimit -Hn): about 2 connections per guest
// caps one process near 9,000 guests, so larger steps are split over processes.
const INSTANCES = Number(process.env['SCALE_INSTANCES'] ?? 2);

function k6Pids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes('.tools/bin/k6') && cmd.includes('testid=scale-')) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

interface Row {
  guests: number;
  callSize: number;
  held: boolean;
  why: string;
  /** HPB guests whose welcome k6 did not deliver (they said hello without it). */
  welcomeMissing: number;
  k6RssMiB: number;
  k6Cpu: number;
  simCpu: number;
  /** Most sessions the simulator had in a call at once (its nextcloud_talk_in_call_sessions). */
  peakInCall: number;
  p95JoinMs: number;
  /** Most open files of one k6 process, and of the simulator (each may hold 20,000 here). */
  k6Files: number;
  simFiles: number;
  /** HPB mode: p95 of call-join and flag propagation, hello. */
  callPropagationP95: number | null;
  flagsPropagationP95: number | null;
  helloP95: number | null;
  /** HPB mode: messages and bytes the guests received from the HPB. */
  hpbMessages: number;
  hpbBytes: number;
  /** HPB mode: the HPB process's peak RSS (MiB), what it held before the step, and CPU (cores) over the step; null when not measurable. */
  hpbRssMiB: number | null;
  hpbBaseMiB: number | null;
  /** Most open files of the HPB process (each may hold 20,000 here). */
  hpbFiles: number | null;
  hpbCpu: number | null;
  /** Every unexpected outcome: endpoint or HPB step, then status or code with its count. */
  unexpected: string[];
  summaryPath: string;
}

let stepNo = 0;

interface Shape {
  readonly guests: number;
  readonly callSize: number;
  readonly flagsEvery: string;
  /** Run length; each guest stays as long (a town hall: everybody joins once during the ramp). */
  readonly duration: string;
}

/** The servers a step runs against: the simulator, and in HPB mode the HPB beside it. */
interface Servers {
  readonly simUrl: string;
  readonly simPid: number;
  readonly hpb: HpbServers | null;
}

async function step({ simUrl, simPid, hpb }: Servers, { guests, callSize, flagsEvery, duration }: Shape, dir: string, pw: string): Promise<Row> {
  // Numbered: the same step may run more than once (SCALE_STEPS=10000,10000,10000).
  const runId = `scale-${++stepNo}-${guests}-${callSize}`;
  const args = [BIN, 'run', '--target', simUrl, '--user', 'admin', '--password-file', pw, '--profile', 'load', '--guests', String(guests), '--guests-per-vu', String(PER_VU), '--call-size', String(callSize), '--duration', duration, '--stay', duration === DURATION ? STAY : duration, '--flags-every', flagsEvery, '--peers-every', PEERS_EVERY, '--no-moderator', '--signaling', HPB ? 'hpb' : 'internal', '--instances', String(INSTANCES), '--out', dir, '--run-id', runId, '--', '--quiet'];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  // The simulator alone: a local HPB's CPU is its own column (from its own process or /metrics).
  const simCpu0 = cpuSeconds(simPid);
  const started = Date.now();
  let peakRss = 0;
  let k6Cpu = 0;
  let peakInCall = 0;
  let k6Files = 0;
  let simFiles = 0;
  const hpb0 = hpb ? await hpb.hpbFigures() : null;
  let hpbPeakRss = hpb0?.rssBytes ?? 0;
  let hpbFiles = hpb0?.openFiles ?? NaN;
  const inCallTimer = setInterval(() => {
    // The HPB's own memory and CPU (issue 27 item 4): from /proc, or a running HPB's /metrics.
    if (hpb) {
      void hpb.hpbFigures().then((f) => {
        if (f === null) return;
        hpbPeakRss = Math.max(hpbPeakRss, f.rssBytes);
        hpbFiles = Number.isNaN(hpbFiles) ? f.openFiles : Math.max(hpbFiles, f.openFiles);
      });
    }
    fetch(`${simUrl}/metrics`, { signal: AbortSignal.timeout(4000) })
      .then((r) => r.text())
      .then((t) => {
        const m = /^nextcloud_talk_in_call_sessions (\d+)/m.exec(t);
        if (m) peakInCall = Math.max(peakInCall, Number(m[1]));
      })
      .catch(() => undefined); // a busy simulator may miss a sample; the peak needs only one
  }, 2000);
  const timer = setInterval(() => {
    const pids = k6Pids();
    simFiles = Math.max(simFiles, openFiles(simPid));
    if (pids.length > 0) {
      k6Files = Math.max(k6Files, ...pids.map(openFiles));
      peakRss = Math.max(peakRss, pids.reduce((n, p) => n + rssBytes(p), 0));
      k6Cpu = Math.max(k6Cpu, pids.reduce((n, p) => n + cpuSeconds(p), 0));
    }
  }, 1000);
  const code = await new Promise<number | null>((resolve) => {
    // Bounded: the profile, its graceful stop (a stay plus a long-poll) and set-up/tear-down of the rooms.
    const kill = setTimeout(() => child.kill('SIGINT'), (seconds(duration) * 2.2 + 300) * 1000);
    child.on('exit', (c) => {
      clearTimeout(kill);
      resolve(c);
    });
  });
  clearInterval(timer);
  clearInterval(inCallTimer);
  const wall = (Date.now() - started) / 1000;
  const hpb1 = hpb ? await hpb.hpbFigures() : null;
  const hpbCpu = hpb0 !== null && hpb1 !== null ? (hpb1.cpuSeconds - hpb0.cpuSeconds) / wall : null;
  const simCpu = (cpuSeconds(simPid) - simCpu0) / wall;
  const summaryPath = join(dir, runId, 'summary.json');
  let s: RunSummary | null = null;
  try {
    s = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
  } catch {
    // no summary: the step broke before the end
  }
  // Held: every guest joined, stayed listed by GET /call for its whole stay, and left, with no
  // unexpected status and no dropped join, within 8 GiB of k6 memory. Latency is reported, not judged:
  // it is the simulator's answer to the load, not the generator's limit.
  const unexpected = s ? Object.values(s.endpoints).reduce((n, e) => n + e.unexpected, 0) : -1;
  const hpbUnexpected = s?.hpb ? s.hpb.unexpected + Object.values(s.hpb.unexpectedCloses).reduce((a, b) => a + b, 0) : 0;
  const listed = s?.journeys.selfListedRate ?? 0;
  const success = s?.journeys.successRate ?? 0;
  const dropped = s?.thresholds.some((t) => t.metric === 'dropped_iterations' && !t.ok) ?? false;
  const tooBig = peakRss > 8 * 1024 ** 3;
  const why =
    code !== 0 && code !== 99 ? `k6 exit ${code}`
    : s === null ? 'no summary'
    : unexpected !== 0 ? `${unexpected} unexpected statuses`
    : hpbUnexpected !== 0 ? `${hpbUnexpected} unexpected HPB outcomes`
    : HPB && !s.hpb ? 'no guest signalled through the HPB'
    : listed !== 1 ? `own session missing from ${((1 - listed) * 100).toPrecision(2)} % of peer polls`
    : success !== 1 ? `journey success ${(success * 100).toFixed(2)} %`
    : dropped ? 'dropped joins'
    : tooBig ? 'k6 over 8 GiB'
    : peakInCall < guests ? `only ${peakInCall} in the call at once`
    : 'held';
  const held = why === 'held';
  return {
    guests,
    callSize,
    held,
    why,
    k6RssMiB: peakRss / 1048576,
    k6Cpu: k6Cpu / wall,
    simCpu,
    peakInCall,
    p95JoinMs: s?.endpoints['room_join']?.latencyMs.p95 ?? 0,
    k6Files,
    simFiles,
    callPropagationP95: s?.hpb?.callJoinPropagationMs?.p95 ?? null,
    flagsPropagationP95: s?.hpb?.flagsPropagationMs?.p95 ?? null,
    helloP95: s?.hpb?.helloMs?.p95 ?? null,
    hpbMessages: s?.hpb?.messagesReceived ?? 0,
    hpbBytes: s?.hpb?.bytesReceived ?? 0,
    hpbRssMiB: hpb0 !== null ? hpbPeakRss / 1048576 : null,
    hpbBaseMiB: hpb0 !== null ? hpb0.rssBytes / 1048576 : null,
    hpbFiles: Number.isNaN(hpbFiles) ? null : hpbFiles,
    hpbCpu,
    unexpected: s ? unexpectedLines(s) : [],
    welcomeMissing: s?.hpb?.welcomeMissing ?? 0,
    summaryPath,
  };
}

const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(1));
const propagation = (r: Row): number => Math.max(r.callPropagationP95 ?? 0, r.flagsPropagationP95 ?? 0);

function report(r: Row): void {
  process.stderr.write(`bench:scale: ${r.guests} guests, calls of ${r.callSize}: ${r.why}${HPB ? `, propagation p95 ${ms(r.callPropagationP95)} ms (join) / ${ms(r.flagsPropagationP95)} ms (flags)` : ''}\n`);
  for (const line of r.unexpected) process.stderr.write(`  unexpected ${line}\n`);
  // Not a failure: k6 lost the welcome (see talk_hpb_welcome_missing) and the guest said hello without it.
  if (r.welcomeMissing > 0) process.stderr.write(`  ${r.welcomeMissing} welcome(s) not seen within ${Hpb.welcomeWaitSeconds} s of the open event: hello said without (k6 drops a first message now and then, bench:ws-first-message)\n`);
}

function table(rows: Row[]): void {
  const hpbCols = HPB ? ' hello p95 ms | call-join propagation p95 ms | flags propagation p95 ms | HPB messages received | MB received | HPB peak RSS MiB | HPB KiB per guest (peak over its RSS before the step) | HPB CPU (cores) | HPB open files |' : '';
  console.log(`| guests | call size | result | in the call at once (simulator) | k6 peak RSS MiB (all processes) | k6 KiB per guest | k6 CPU (cores) | simulator CPU (cores) | open files (one k6 / simulator) | room_join p95 ms |${hpbCols}`);
  console.log(`|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|${HPB ? '---:|---:|---:|---:|---:|---:|---:|---:|---:|' : ''}`);
  for (const r of rows) {
    const own = r.hpbRssMiB === null || r.hpbBaseMiB === null ? ' n/a | n/a |' : ` ${r.hpbRssMiB.toFixed(0)} | ${(((r.hpbRssMiB - r.hpbBaseMiB) * 1024) / r.guests).toFixed(0)} |`;
    const hpb = HPB ? ` ${ms(r.helloP95)} | ${ms(r.callPropagationP95)} | ${ms(r.flagsPropagationP95)} | ${r.hpbMessages} | ${(r.hpbBytes / 1e6).toFixed(0)} |${own} ${r.hpbCpu === null ? 'n/a' : r.hpbCpu.toFixed(2)} | ${r.hpbFiles ?? 'n/a'} |` : '';
    console.log(`| ${r.guests} | ${r.callSize} | ${r.why} | ${r.peakInCall} | ${r.k6RssMiB.toFixed(0)} | ${((r.k6RssMiB * 1024) / r.guests).toFixed(0)} | ${r.k6Cpu.toFixed(2)} | ${r.simCpu.toFixed(2)} | ${r.k6Files} / ${r.simFiles} | ${r.p95JoinMs.toFixed(1)} |${hpb}`);
  }
  const broken = rows.filter((r) => r.unexpected.length > 0);
  if (broken.length > 0) {
    console.log('\nUnexpected outcomes, by endpoint (or HPB step) and status (timeout, connect, reset: no HTTP status):');
    for (const r of broken) console.log(`- ${r.guests} guests, calls of ${r.callSize}: ${r.unexpected.join('; ')}`);
  }
}

/** The steps, then (HPB mode) the call sizes, against one set of servers; prints their tables. */
async function sweep(servers: Servers, label: string, dir: string, pw: string): Promise<void> {
  const rows: Row[] = [];
  const sizes: Row[] = [];
  for (const guests of STEPS) {
    const duration = pacedDuration(guests);
    process.stderr.write(`bench:scale: ${guests} guests (${PER_VU} per VU, load profile ${duration}${duration !== DURATION ? ` to keep the ramp at ${JOIN_RATE} joins/s` : ''}${HPB ? `, over the HPB: ${label}` : ''})...\n`);
    const row = await step(servers, { guests, callSize: 10, flagsEvery: FLAGS_EVERY, duration }, dir, pw);
    rows.push(row);
    report(row);
    if (!row.held && !KEEP_GOING) break;
  }
  if (HPB) {
    for (const size of CALL_SIZES) {
      const guests = sizeGuests(size);
      const capped = guests < SIZES_GUESTS ? ` (not ${SIZES_GUESTS}: their fan-out would pass SCALE_SIZES_FANOUT=${SIZES_FANOUT}, guests x call size squared)` : '';
      process.stderr.write(`bench:scale: ${guests} guests in calls of ${size}${capped} (flags every ${SIZES_FLAGS_EVERY}, ${SIZES_DURATION}, HPB: ${label})...\n`);
      const row = await step(servers, { guests, callSize: size, flagsEvery: SIZES_FLAGS_EVERY, duration: SIZES_DURATION }, dir, pw);
      sizes.push(row);
      report(row);
      if (propagation(row) > PROPAGATION_LIMIT_MS || row.callPropagationP95 === null) break;
    }
  }
  const mode = HPB ? `HPB mode: guests over WebSockets to the HPB (${label}, its own process beside the simulator)` : 'internal signaling';
  console.log(`\nGuests held on this machine (${mode}; ${INSTANCES} k6 process(es), ${PER_VU} guests per VU, calls of 10, load profile ${DURATION}, stay ${STAY}, peers every ${PEERS_EVERY}, flags every ${FLAGS_EVERY})\n`);
  table(rows);
  const held = rows.filter((r) => r.held).map((r) => r.guests);
  const broke = rows.find((r) => !r.held && r.guests > Math.max(0, ...held)) ?? rows.find((r) => !r.held);
  console.log(`\nheld: ${held.length ? Math.max(...held) : 0} guests${broke ? `; broke at ${broke.guests}: ${broke.why}` : ''}`);
  if (HPB && sizes.length > 0) {
    console.log(`\nCall size at ${SIZES_GUESTS} guests, fewer where guests x call size squared passes ${SIZES_FANOUT} (HPB: ${label}; load profile ${SIZES_DURATION}, stay as long, flags every ${SIZES_FLAGS_EVERY}; fan-out grows with the square of the call size)\n`);
    table(sizes);
    const over = sizes.find((r) => propagation(r) > PROPAGATION_LIMIT_MS || r.callPropagationP95 === null);
    console.log(over ? `\npropagation p95 passes 1 s at call size ${over.callSize} (${ms(propagation(over))} ms)` : `\npropagation p95 stays under 1 s up to call size ${sizes.at(-1)!.callSize}`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-scale-'));
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'admin\n');
  if (!HPB) {
    const { child: sim, url: simUrl } = await startSimulator();
    try {
      await sweep({ simUrl, simPid: sim.pid!, hpb: null }, 'none', dir, pw);
    } finally {
      sim.kill('SIGTERM');
    }
  } else {
    // The HPB in its own process (issue 27 item 3): the emulator, and a user's real HPB beside it
    // when HPB_BIN or HPB_URL names one (item 4; HPB_KINDS=emulator,real to choose).
    const target = benchHpbFromEnv();
    for (const kind of hpbKinds(target)) {
      const hpb = await startHpbServers(kind, target, dir);
      try {
        await sweep({ simUrl: hpb.simUrl, simPid: hpb.simPid, hpb }, hpb.label, dir, pw);
      } finally {
        hpb.stop();
      }
    }
  }
  console.log(`summaries: ${dir}`);
}

main().catch((e: unknown) => {
  console.error(`bench:scale: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
