// Child processes of the benchmarks: a server that prints its URL on its first line of output.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/talkload.mjs', import.meta.url));

/** Starts `cmd args` and resolves with its URL once it prints it; rejects if it exits first. */
export function startChild(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    child.stdout!.once('data', (d: Buffer) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(d.toString());
      if (m?.[1]) resolve({ child, url: m[1] });
      else reject(new Error(`unexpected first line: ${d.toString()}`));
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
}

/** The embedded simulator without brute-force delays, as every benchmark uses it. */
export function startSimulator(args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  return startChild(process.execPath, [BIN, 'sim', '--bruteforce', 'off', ...args]);
}
