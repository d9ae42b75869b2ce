// How many concurrent guests one machine holds: steps of guests (the load profile: a ramp over a
// fifth of the run, then the plateau) (each in a call, its signaling
// long-poll open, polling peers) against the simulator, until a step breaks. Prints per step the
// guests held, k6's peak RSS and CPU, and the simulator's CPU. Loopback only; every step bounded.
// Held means: every guest joined, was in the call at the same time as all the others (the
// simulator's in-call gauge reached the step), stayed listed in its own GET /call, and left, with
// no unexpected status and no dropped join, within 8 GiB of k6 memory.
//   SCALE_STEPS=2500,5000,10000 SCALE_GUESTS_PER_VU=20 npm run bench:scale

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../src/node/run/results.ts';
import { startSimulator } from './child.ts';
import { cpuSeconds, rssBytes } from './proc.ts';

const BIN = fileURLToPath(new URL('../bin/talkload.mjs', import.meta.url));
const STEPS = (process.env['SCALE_STEPS'] ?? '2500,5000,7500,10000,12500,15000').split(',').map(Number);
const PER_VU = Number(process.env['SCALE_GUESTS_PER_VU'] ?? 20);
// A town-hall shape: every guest joins once during the ramp (a fifth of the run) and stays to the
// end; mostly muted (a flag change every 2 min), peers fetched every 30 s.
const DURATION = process.env['SCALE_DURATION'] ?? '240s';
const STAY = process.env['SCALE_STAY'] ?? '240s'; // not shorter than the run: no guest joins twice
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
  held: boolean;
  why: string;
  k6RssMiB: number;
  k6Cpu: number;
  simCpu: number;
  /** Most sessions the simulator had in a call at once (its nextcloud_talk_in_call_sessions). */
  peakInCall: number;
  p95JoinMs: number;
}

async function step(simUrl: string, simPid: number, guests: number, dir: string, pw: string): Promise<Row> {
  const runId = `scale-${guests}`;
  const args = [BIN, 'run', '--target', simUrl, '--user', 'admin', '--password-file', pw, '--profile', 'load', '--guests', String(guests), '--guests-per-vu', String(PER_VU), '--call-size', '10', '--duration', DURATION, '--stay', STAY, '--flags-every', FLAGS_EVERY, '--peers-every', PEERS_EVERY, '--no-moderator', '--instances', String(INSTANCES), '--out', dir, '--run-id', runId, '--', '--quiet'];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const simCpu0 = cpuSeconds(simPid);
  const started = Date.now();
  let peakRss = 0;
  let k6Cpu = 0;
  let peakInCall = 0;
  const inCallTimer = setInterval(() => {
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
    if (pids.length > 0) {
      peakRss = Math.max(peakRss, pids.reduce((n, p) => n + rssBytes(p), 0));
      k6Cpu = Math.max(k6Cpu, pids.reduce((n, p) => n + cpuSeconds(p), 0));
    }
  }, 1000);
  const code = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGINT'), 600_000);
    child.on('exit', (c) => {
      clearTimeout(kill);
      resolve(c);
    });
  });
  clearInterval(timer);
  clearInterval(inCallTimer);
  const wall = (Date.now() - started) / 1000;
  const simCpu = (cpuSeconds(simPid) - simCpu0) / wall;
  let s: RunSummary | null = null;
  try {
    s = JSON.parse(readFileSync(join(dir, runId, 'summary.json'), 'utf8')) as RunSummary;
  } catch {
    // no summary: the step broke before the end
  }
  // Held: every guest joined, stayed listed by GET /call for its whole stay, and left, with no
  // unexpected status and no dropped join, within 8 GiB of k6 memory. Latency is reported, not judged:
  // it is the simulator's answer to the load, not the generator's limit.
  const unexpected = s ? Object.values(s.endpoints).reduce((n, e) => n + e.unexpected, 0) : -1;
  const listed = s?.journeys.selfListedRate ?? 0;
  const success = s?.journeys.successRate ?? 0;
  const dropped = s?.thresholds.some((t) => t.metric === 'dropped_iterations' && !t.ok) ?? false;
  const tooBig = peakRss > 8 * 1024 ** 3;
  const why =
    code !== 0 && code !== 99 ? `k6 exit ${code}`
    : s === null ? 'no summary'
    : unexpected !== 0 ? `${unexpected} unexpected statuses`
    : listed !== 1 ? `own session missing from ${((1 - listed) * 100).toPrecision(2)} % of peer polls`
    : success !== 1 ? `journey success ${(success * 100).toFixed(2)} %`
    : dropped ? 'dropped joins'
    : tooBig ? 'k6 over 8 GiB'
    : peakInCall < guests ? `only ${peakInCall} in the call at once`
    : 'held';
  const held = why === 'held';
  return { guests, held, why, k6RssMiB: peakRss / 1048576, k6Cpu: k6Cpu / wall, simCpu, peakInCall, p95JoinMs: s?.endpoints['room_join']?.latencyMs.p95 ?? 0 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-scale-'));
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'admin\n');
  const { child: sim, url: simUrl } = await startSimulator();
  const rows: Row[] = [];
  try {
    for (const guests of STEPS) {
      process.stderr.write(`bench:scale: ${guests} guests (${PER_VU} per VU, stay ${STAY})...\n`);
      const row = await step(simUrl, sim.pid!, guests, dir, pw);
      rows.push(row);
      process.stderr.write(`bench:scale: ${guests}: ${row.why}\n`);
      if (!row.held) break;
    }
  } finally {
    sim.kill('SIGTERM');
  }
  console.log(`\nGuests held on this machine (${INSTANCES} k6 process(es), ${PER_VU} guests per VU, calls of 10, load profile ${DURATION}, stay ${STAY}, peers every ${PEERS_EVERY}, flags every ${FLAGS_EVERY})\n`);
  console.log('| guests | result | in the call at once (simulator) | k6 peak RSS MiB (all processes) | k6 CPU (cores) | simulator CPU (cores) | room_join p95 ms |');
  console.log('|---:|---|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.guests} | ${r.why} | ${r.peakInCall} | ${r.k6RssMiB.toFixed(0)} | ${r.k6Cpu.toFixed(2)} | ${r.simCpu.toFixed(2)} | ${r.p95JoinMs.toFixed(1)} |`);
  const held = rows.filter((r) => r.held).map((r) => r.guests);
  console.log(`\nheld: ${held.length ? Math.max(...held) : 0} guests`);
}

main().catch((e: unknown) => {
  console.error(`bench:scale: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
