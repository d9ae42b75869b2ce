// Harness overhead: k6 CPU per request of the full guest journey (typed client, catalogue lookups,
// expected-status callbacks, custom metrics, thresholds) against a bare k6 script making the same
// requests on the same schedule (bench/k6/bare-guest.js), side by side in one run against the
// simulator. Goal: at most 1.10x (issue 29; later 1.05x).
//
// Measured in the steady state: k6's CPU (from /proc) and the requests the simulator answered
// (its talksim_requests_total) between two instants of the plateau, so VU start-up, setup, teardown
// and the end-of-test summary, which happen once per run, do not count per request. In each of
// OVERHEAD_ROUNDS rounds the two scripts run at the same time, each against its own simulator
// (together about one of the two cores): the speed of this virtual machine drifts between minutes,
// which a ratio of two runs made one after the other would take for overhead, while a ratio of two
// runs side by side cancels it. The request mix of both is printed so that
// "the same requests" can be checked. OVERHEAD_SCRIPT runs another bundle as the full journey;
// OVERHEAD_LADDER=1 adds the rungs between the two (see ladder()). OVERHEAD_STEPS=1 then runs both
// once more with .tools/bin/k6-steps (scripts/build-k6-steps.sh: k6 counting the JS instructions it
// runs) and prints JS steps per request of each, their lookups by name, and where the journey's go:
// in this bench the ratio follows the lookups far more than the steps (issue 29), and the counts,
// unlike CPU time, do not drift with the machine. OVERHEAD_STEPS_DIR keeps the counts by line.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { k6BundleOptions } from '../scripts/k6-bundle.mjs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findK6 } from '../src/node/run/k6-binary.ts';
import { startSimulator } from './child.ts';
import { cpuSeconds, rssBytes } from './proc.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUESTS = Number(process.env['OVERHEAD_GUESTS'] ?? 40);
const CALL_SIZE = 3;
const ROUNDS = Number(process.env['OVERHEAD_ROUNDS'] ?? 4);
// Plateau window: after all VUs run their first journeys, before the run winds down.
const WINDOW_FROM_S = 8;
const WINDOW_TO_S = 28;
const RUN_S = 34;
// One piece out at a time (issue 29): extra k6 arguments for the full journey, e.g. --no-thresholds.
const FULL_ARGS = (process.env['OVERHEAD_K6_ARGS'] ?? '').split(' ').filter(Boolean);
// OVERHEAD_SIGNALING=hpb (issue 27 item 2): the HPB journey against the bare script's HPB mode
// (BARE_HPB=1: the same OCS requests and WebSocket messages).
const HPB = process.env['OVERHEAD_SIGNALING'] === 'hpb';
const BARE_SCRIPT = join(ROOT, 'bench', 'k6', 'bare-guest.js');
// OVERHEAD_BASE_SCRIPT: another journey bundle instead of the bare script on the other side, with the
// journey's environment (A/B of two builds, e.g. the bundle before a change against the one after).
const BASE_SCRIPT = process.env['OVERHEAD_BASE_SCRIPT'] ?? '';

interface Window {
  cpu: number;
  /** k6's resident memory at the end of the window (bytes). */
  rss: number;
  requests: number;
  mix: Map<string, number>;
}

async function simRequests(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const byEndpoint = new Map<string, number>();
  for (const m of text.matchAll(/^talksim_requests_total\{endpoint="([^"]+)"[^}]*\} (\d+)/gm)) {
    byEndpoint.set(m[1]!, (byEndpoint.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return byEndpoint;
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Runs one k6 process and measures its plateau window; the process ends on its own. */
async function measure(script: string, env: Record<string, string>, simUrl: string, args: readonly string[] = [], k6 = findK6().path): Promise<Window> {
  const child = spawn(k6, ['run', '-q', '--no-color', ...args, script], {
    env: { ...process.env, ...env, TALK_TARGET: simUrl, K6_NO_USAGE_REPORT: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = Date.now();
  const at = (s: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, s * 1000 - (Date.now() - started))));
  const pid = child.pid!;
  await at(WINDOW_FROM_S);
  const cpu0 = cpuSeconds(pid);
  const mix0 = await simRequests(simUrl);
  await at(WINDOW_TO_S);
  const cpu1 = cpuSeconds(pid);
  const rss = rssBytes(pid);
  const mix1 = await simRequests(simUrl);
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await exited;
  clearTimeout(kill);
  if (cpu1 === 0) throw new Error(`k6 ended before the measuring window (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`);
  const mix = new Map<string, number>();
  for (const [k, v] of mix1) if (v - (mix0.get(k) ?? 0) > 0) mix.set(k, v - (mix0.get(k) ?? 0));
  return { cpu: cpu1 - cpu0, rss, requests: sum(mix), mix };
}

function add(into: Window, w: Window): void {
  into.cpu += w.cpu;
  into.rss += w.rss;
  into.requests += w.requests;
  for (const [k, v] of w.mix) into.mix.set(k, (into.mix.get(k) ?? 0) + v);
}

/** Each measurement gets a fresh simulator: state left by the previous run would cost CPU on the same two cores. */
async function measureOnFreshSim(script: string, env: Record<string, string>, args: readonly string[] = [], k6?: string): Promise<Window> {
  // With an HPB: Talk in external signaling mode with the HPB emulator beside it (its process).
  const sim = await startSimulator(HPB ? ['--signaling', 'external'] : []);
  try {
    return await measure(script, env, sim.url, args, k6);
  } finally {
    sim.child.kill('SIGTERM');
  }
}

/** The full journey's k6 environment (the bench's shape); the ladder's rungs read the same variables. */
const FULL_ENV: Record<string, string> = {
  TALK_USER: 'admin', TALK_PASSWORD: 'admin', TALK_PROFILE: 'smoke', TALK_GUESTS: String(GUESTS), TALK_CALL_SIZE: String(CALL_SIZE),
  TALK_DURATION: `${RUN_S}s`, TALK_STAY: '2s', TALK_FLAGS_EVERY: '0.5s', TALK_PEERS_EVERY: '0.5s', TALK_MODERATOR: 'false',
  TALK_SIGNALING: HPB ? 'hpb' : 'internal',
};
/** Issue 29's goal for the HTTP journey, issue 27's for the HPB one. */
const GOAL = HPB ? 1.15 : 1.1;
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

/** Runs `script` against the bare script, ROUNDS rounds side by side; prints its table and returns its ratio. */
async function compare(label: string, script: string, env: Record<string, string> = {}): Promise<number> {
  const full: Window = { cpu: 0, rss: 0, requests: 0, mix: new Map() };
  const bare: Window = { cpu: 0, rss: 0, requests: 0, mix: new Map() };
  const rows: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    process.stderr.write(`overhead: ${label}: round ${round}/${ROUNDS}: side by side with the bare k6 script (${RUN_S} s)...\n`);
    // The side started first is started first in odd rounds only: an A/A run (one bundle on both
    // sides) measured the first-started side 1-2 % cheaper per request in every round (0.98x over
    // four rounds), which a fixed order would add to every ratio.
    const runFull = (): Promise<Window> => measureOnFreshSim(script, { ...FULL_ENV, ...env }, FULL_ARGS);
    const runBase = (): Promise<Window> => (BASE_SCRIPT !== '' ? measureOnFreshSim(BASE_SCRIPT, FULL_ENV) : measureOnFreshSim(BARE_SCRIPT, BARE_ENV));
    const [f, b] = round % 2 === 1
      ? await Promise.all([runFull(), runBase()])
      : await Promise.all([runBase(), runFull()]).then(([base, fullW]) => [fullW, base] as const);
    rows.push(`| ${round} | ${f.requests} | ${((f.cpu / f.requests) * 1e6).toFixed(0)} | ${b.requests} | ${((b.cpu / b.requests) * 1e6).toFixed(0)} | ${(f.cpu / f.requests / (b.cpu / b.requests)).toFixed(2)}x | ${mib(f.rss)} / ${mib(b.rss)} |`);
    add(full, f);
    add(bare, b);
  }
  const perFull = (full.cpu / full.requests) * 1e6;
  const perBare = (bare.cpu / bare.requests) * 1e6;
  console.log(`\n${label} vs ${BASE_SCRIPT !== '' ? `${BASE_SCRIPT} (OVERHEAD_BASE_SCRIPT)` : `bare k6 script making the same requests (${BARE_SCRIPT.slice(ROOT.length)})`}\n`);
  console.log('| round | full: requests | full: µs per request | bare: requests | bare: µs per request | ratio | k6 RSS MiB full / bare |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
  console.log(`| all | ${full.requests} | ${perFull.toFixed(0)} | ${bare.requests} | ${perBare.toFixed(0)} | ${(perFull / perBare).toFixed(2)}x | ${mib(full.rss / ROUNDS)} / ${mib(bare.rss / ROUNDS)} (mean) |`);
  // The same requests: each endpoint's share of all requests, side by side.
  const share = (w: Window, id: string): number => (w.mix.get(id) ?? 0) / w.requests;
  const ids = [...new Set([...full.mix.keys(), ...bare.mix.keys()])];
  const worst = Math.max(...ids.map((id) => Math.abs(share(full, id) - share(bare, id))));
  console.log(`\nrequest mix: ${ids.map((id) => `${id} ${(share(full, id) * 100).toFixed(1)}/${(share(bare, id) * 100).toFixed(1)} %`).join(', ')}`);
  console.log(`largest difference in an endpoint's share: ${(worst * 100).toFixed(1)} points; totals within ${((Math.abs(full.requests - bare.requests) / bare.requests) * 100).toFixed(1)} %`);
  return perFull / perBare;
}

/**
 * OVERHEAD_LADDER=1: before the journey, two rungs between it and the bare script, so that a
 * ratio splits into what the run's k6 configuration, the typed client and the journey cost
 * (src/k6/testing/overhead-rung.ts, bundled here as the build bundles the scenarios).
 */
async function ladder(): Promise<Array<[string, string, Record<string, string>]>> {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-overhead-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, 'overhead-rung.js');
  await build({ ...k6BundleOptions, entryPoints: [join(ROOT, 'src', 'k6', 'testing', 'overhead-rung.ts')], outfile, logLevel: 'error' });
  return [
    ['bare requests with talkload options and name tags (src/k6/testing/overhead-rung.ts)', outfile, { OVERHEAD_RUNG: 'options' }],
    ['the same through the typed client (OVERHEAD_RUNG=client)', outfile, { OVERHEAD_RUNG: 'client' }],
  ];
}

/** The bare script's environment for this bench's shape. */
const BARE_ENV: Record<string, string> = {
  BARE_VUS: String(GUESTS), BARE_ROOMS: String(Math.ceil(GUESTS / CALL_SIZE)), BARE_DURATION: `${RUN_S}s`,
  BARE_STAY_MS: '2000', BARE_FLAGS_MS: '500', BARE_PEERS_MS: '500', BARE_HPB: HPB ? '1' : '0',
};

/** OVERHEAD_STEPS=1: JS instructions per request of both scripts, counted by k6-steps in the same window. */
async function steps(fullScript: string): Promise<void> {
  execFileSync('bash', [join(ROOT, 'scripts', 'build-k6-steps.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const k6 = join(ROOT, '.tools', 'bin', 'k6-steps');
  // OVERHEAD_STEPS_DIR keeps both counts (full.txt, bare.txt: by function, instruction, line and the
  // property reads by line), for finding where the steps go.
  const keep = process.env['OVERHEAD_STEPS_DIR'] ?? '';
  const dir = keep !== '' ? keep : mkdtempSync(join(tmpdir(), 'talkload-steps-'));
  if (keep !== '') mkdirSync(dir, { recursive: true });
  else process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const counted = (file: string): Record<string, string> => ({ SOBEK_STEPS: file, SOBEK_STEPS_FROM: String(WINDOW_FROM_S), SOBEK_STEPS_SECONDS: String(WINDOW_TO_S - WINDOW_FROM_S) });
  process.stderr.write(`overhead: JS steps: both scripts once more with ${k6.slice(ROOT.length)} (${RUN_S} s)...\n`);
  const [f, b] = await Promise.all([
    measureOnFreshSim(fullScript, { ...FULL_ENV, ...counted(join(dir, 'full.txt')) }, FULL_ARGS, k6),
    measureOnFreshSim(BASE_SCRIPT !== '' ? BASE_SCRIPT : BARE_SCRIPT, { ...(BASE_SCRIPT !== '' ? FULL_ENV : BARE_ENV), ...counted(join(dir, 'bare.txt')) }, [], k6),
  ]);
  const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const total = (text: string): number => Number(/^total (\d+)/.exec(text)?.[1] ?? NaN);
  const full = read(join(dir, 'full.txt'));
  const bare = read(join(dir, 'bare.txt'));
  // Lookups by name (property reads and writes, globals): a map lookup each in k6's engine, where
  // most other steps index an array; side by side, ten more per request cost about 1 % here and
  // twenty plain steps nothing measurable (issue 29), so these are the steps that count.
  const props = (text: string): number => (/== instruction\n([\s\S]*?)\n==/.exec(text)?.[1] ?? '').split('\n').filter((l) => l.includes('Prop') || l.includes('Dynamic')).reduce((n, l) => n + Number(l.split(' ')[0]), 0);
  console.log(`\nJS steps (instructions k6's engine ran) per request: full ${(total(full) / f.requests).toFixed(0)}, bare ${(total(bare) / b.requests).toFixed(0)} (${f.requests} and ${b.requests} requests in the window); of them lookups by name (property reads and writes, globals): full ${(props(full) / f.requests).toFixed(0)}, bare ${(props(bare) / b.requests).toFixed(0)}`);
  // Where the full journey's steps go, per request, by function.
  const fns = /== function\n([\s\S]*?)\n==/.exec(full)?.[1]?.split('\n').slice(0, 15) ?? [];
  console.log(`full journey by function, steps per request: ${fns.map((l) => { const [n, ...name] = l.split(' '); return `${name.join(' ')} ${(Number(n) / f.requests).toFixed(1)}`; }).join(', ')}`);
}

async function main(): Promise<void> {
  const fullScript = process.env['OVERHEAD_SCRIPT'] ?? join(ROOT, 'dist', 'k6', 'guest-call.js');
  console.log(`k6 CPU per request in the steady state (${WINDOW_TO_S - WINDOW_FROM_S} s windows, each script side by side with the bare one), ${GUESTS} guests in calls of ${CALL_SIZE}, simulator on loopback:`);
  const rungs = process.env['OVERHEAD_LADDER'] === '1' && !HPB ? await ladder() : [];
  for (const [label, script, env] of rungs) await compare(label, script, env);
  const ratio = await compare(`full guest journey (${process.env['OVERHEAD_SCRIPT'] ?? 'dist/k6/guest-call.js'})`, fullScript);
  if (process.env['OVERHEAD_STEPS'] === '1') await steps(fullScript);
  console.log(`\nratio ${ratio.toFixed(2)}x; goal at most ${GOAL.toFixed(2)}x: ${ratio <= GOAL ? 'met' : 'NOT met'}`);
}

main().catch((e: unknown) => {
  console.error(`overhead: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
