// `talkload stack` with a real Prometheus: it says "up" only when its own Prometheus is, refuses a
// port in use instead of taking another Prometheus's answer for its own, and ends (exit 1, one
// line) when Prometheus dies under it.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from './prometheus.ts';

const BIN = fileURLToPath(new URL('../../../bin/talkload.mjs', import.meta.url));

test('talkload stack: up on its port; a second one on that port fails in one line; Prometheus dying ends it with exit 1', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'talkload-stack-'));
  const first = spawn(process.execPath, [BIN, 'stack', '--listen', `127.0.0.1:${port}`, '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  first.stdout.on('data', (d: Buffer) => (out += d.toString()));
  first.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
  const killer = setTimeout(() => first.kill('SIGKILL'), 80_000);
  try {
    const until = Date.now() + 40_000;
    while (!out.includes('Prometheus on') && Date.now() < until && first.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, new RegExp(`talkload stack: Prometheus on http://127\\.0\\.0\\.1:${port} `), out);

    const second = spawnSync(process.execPath, [BIN, 'stack', '--listen', `127.0.0.1:${port}`, '--data', mkdtempSync(join(tmpdir(), 'talkload-stack-'))], { encoding: 'utf8', timeout: 40_000 });
    assert.equal(second.status, 2, second.stdout + second.stderr); // a port in use is a usage error, as for sim, hpb and probe
    assert.match(second.stderr, new RegExp(`^talkload stack: 127\\.0\\.0\\.1:${port} is in use \\(another Prometheus, or talkload stack, already running\\?\\)`));
    assert.equal(second.stderr.trim().split('\n').length, 1);
    assert.doesNotMatch(second.stdout, /Prometheus on/);

    // Prometheus dies (out of memory, killed by someone): the stack must not go on saying it is up.
    spawnSync('pkill', ['-KILL', '-f', `storage.tsdb.path=${join(data, 'data')}`]);
    assert.equal(await exited, 1, out);
    assert.match(out, /talkload stack: Prometheus was killed by a signal \(SIGKILL\); the stack ends\n/);
    assert.doesNotMatch(out, /code null/);
  } finally {
    clearTimeout(killer);
    first.kill('SIGKILL');
  }
});
