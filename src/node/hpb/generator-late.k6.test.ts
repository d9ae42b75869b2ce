// Who missed the HPB's 2 s hello limit (issue 27 item 3): in real k6 against the emulator, a guest
// whose VU's event loop is busy while it connects (src/k6/testing/late-guest.ts: a synchronous loop
// stands for the other guests' work on the same VU) is counted as the generator being late, not as
// an HPB failure; the same guest on an idle loop says hello in time and counts neither.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { k6BundleOptions } from '../../../scripts/k6-bundle.mjs';
import { findK6 } from '../run/k6-binary.ts';
import { parseSimArgs, startSimulator } from '../simulator/cli.ts';

const FIXTURE = fileURLToPath(new URL('../../k6/testing/late-guest.ts', import.meta.url));

interface Metrics {
  [name: string]: { values: Record<string, number> } | undefined;
}

test('a hello the generator made late is counted as the generator\'s, not the HPB\'s; an idle loop says hello in time', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(process.env['TMPDIR'] ?? '/tmp', 'talkload-late-'));
  await build({ ...k6BundleOptions, entryPoints: [FIXTURE], outfile: join(dir, 'late.js'), logLevel: 'error' });
  const { sim, url } = await startSimulator(parseSimArgs(['--signaling', 'external'], {}));
  try {
    const runK6 = (busyMs: number): Promise<Metrics> =>
      new Promise((resolve, reject) => {
        const out = join(dir, `metrics-${busyMs}.json`);
        const child = spawn(findK6().path, ['run', '-q', '--no-color', join(dir, 'late.js')], {
          env: { ...process.env, TALK_TARGET: url, BUSY_MS: String(busyMs), OUT: out, K6_NO_USAGE_REPORT: 'true' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('exit', (code) => {
          clearTimeout(kill);
          try {
            resolve(JSON.parse(readFileSync(out, 'utf8')) as Metrics);
          } catch {
            reject(new Error(`k6 exited ${code} without its metrics: ${err.slice(-1500)}`));
          }
        });
      });
    const [busy, idle] = await Promise.all([runK6(2600), runK6(0)]);
    const count = (m: Metrics, name: string): number => m[name]?.values['count'] ?? 0;

    // Busy: the HPB closed the guest at its 2 s limit; counted once, as the generator's.
    assert.equal(count(busy, 'talk_hpb_generator_late'), 1, JSON.stringify(busy['talk_hpb_generator_late']));
    assert.equal(count(busy, 'talk_hpb_unexpected'), 0, JSON.stringify(busy['talk_hpb_unexpected']));
    assert.equal(count(busy, 'talk_hpb_unexpected_closes'), 0);

    // Idle: hello in time, answered; nothing late, nothing unexpected.
    assert.equal(count(idle, 'talk_hpb_generator_late'), 0);
    assert.equal(count(idle, 'talk_hpb_unexpected'), 0);
    const sent = idle['talk_hpb_hello_sent_after_connect']?.values;
    assert.ok(sent && sent['max']! < 2000, JSON.stringify(sent));
  } finally {
    await sim.close();
  }
});
