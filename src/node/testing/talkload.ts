// For tests: the built `talkload` command as a child process, its output collected, bounded in time.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const TALKLOAD_BIN = fileURLToPath(new URL('../../../bin/talkload.mjs', import.meta.url));

/** Runs `talkload ARGS` to its end (killed after timeoutMs); stdout and stderr in one text. */
export function talkloadAsync(args: string[], timeoutMs = 180_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TALKLOAD_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    });
  });
}
