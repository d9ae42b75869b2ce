// Harness overhead: k6 CPU per request of the full guest journey (typed client, catalogue lookups,
// expected-status callbacks, custom metrics) against a bare k6 script making the same requests
// (bench/k6/bare-guest.js), side by side in one run against the simulator. Goal: at most 1.15x.
// OVERHEAD_SCRIPT runs another bundle as the full journey; K6_EXTRA adds k6 flags to both runs.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findK6 } from '../src/node/run/k6-binary.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'talkload.mjs');
const DURATION_S = Number(process.env['OVERHEAD_SECONDS'] ?? 30);

function cpuOf(script: string, env: Record<string, string>, summary: string): { cpu: number; requests: number } {
  // `times` prints the children's user and system CPU after k6 exits.
  const r = spawnSync('sh', ['-c', `"$K6" run -q $K6_EXTRA --summary-export "$SUMMARY" "$SCRIPT" >/dev/null 2>&1; times`], {
    env: { ...process.env, ...env, K6: findK6().path, SUMMARY: summary, SCRIPT: script, K6_NO_USAGE_REPORT: 'true' },
    encoding: 'utf8',
  });
  const line = r.stdout.trim().split('\n')[1] ?? '';
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const requests = (JSON.parse(readFileSync(summary, 'utf8')) as { metrics: { http_reqs: { count: number } } }).metrics.http_reqs.count;
  return { cpu: (secs[0] ?? 0) + (secs[1] ?? 0), requests };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-overhead-'));
  const sim = spawn(process.execPath, [BIN, 'sim', '--bruteforce', 'off'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => sim.stdout!.once('data', (d: Buffer) => resolve(/http:\/\/[\d.:]+/.exec(d.toString())![0])));
  try {
    process.stderr.write(`overhead: full guest journey, ${DURATION_S} s...\n`);
    const full = cpuOf(process.env['OVERHEAD_SCRIPT'] ?? join(ROOT, 'dist', 'k6', 'guest-call.js'), {
      TALK_TARGET: url, TALK_USER: 'admin', TALK_PASSWORD: 'admin', TALK_PROFILE: 'smoke', TALK_GUESTS: '10', TALK_CALL_SIZE: '3',
      TALK_DURATION: `${DURATION_S}s`, TALK_STAY: '2s', TALK_FLAGS_EVERY: '0.5s', TALK_PEERS_EVERY: '0.5s', TALK_MODERATOR: 'false',
    }, join(dir, 'full.json'));
    process.stderr.write('overhead: bare k6 script...\n');
    const bare = cpuOf(join(ROOT, 'bench', 'k6', 'bare-guest.js'), { TALK_TARGET: url, BARE_ITERATIONS: String(Math.round((DURATION_S / 3) * 10)) }, join(dir, 'bare.json'));
    const perFull = (full.cpu / full.requests) * 1e6;
    const perBare = (bare.cpu / bare.requests) * 1e6;
    console.log('\nk6 CPU per request: full guest journey vs a bare k6 script making the same requests (simulator, loopback)\n');
    console.log('| script | requests | k6 CPU s | CPU per request µs |');
    console.log('|---|---:|---:|---:|');
    console.log(`| full guest journey (dist/k6/guest-call.js) | ${full.requests} | ${full.cpu.toFixed(2)} | ${perFull.toFixed(0)} |`);
    console.log(`| bare k6 script (bench/k6/bare-guest.js) | ${bare.requests} | ${bare.cpu.toFixed(2)} | ${perBare.toFixed(0)} |`);
    const ratio = perFull / perBare;
    console.log(`\nratio ${ratio.toFixed(2)}x; goal at most 1.15x: ${ratio <= 1.15 ? 'met' : 'NOT met'}`);
  } finally {
    sim.kill('SIGTERM');
  }
}

main().catch((e: unknown) => {
  console.error(`overhead: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
