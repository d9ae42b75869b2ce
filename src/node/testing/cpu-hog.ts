// For tests and benchmarks that prove a timing holds on a busy machine: busy loops in child
// processes. Each ends by itself after `ms`, and as soon as the process that started it is gone: a
// test run killed mid-file (CI's timeout, a Ctrl-C) must not leave cores busy for minutes behind it.

import { type ChildProcess, spawn } from 'node:child_process';

/**
 * The loop: checks its parent every 65,536 turns (a getppid call), so it stays a full core's load.
 * The parent's pid comes as an argument: one that exits before the loop starts would otherwise be
 * the adoptive parent already, and the loop would never see it go.
 */
const LOOP = 'const end = Date.now() + Number(process.argv[1]); const parent = Number(process.argv[2]); for (let i = 0; Date.now() < end; i++) if ((i & 0xffff) === 0 && process.ppid !== parent) break;';

/** Starts `n` busy loops of at most `ms` each; kill them when done (`stopCpuHog`). */
export function startCpuHog(n: number, ms: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', LOOP, String(ms), String(process.pid)], { stdio: 'ignore' }));
}

export function stopCpuHog(hog: readonly ChildProcess[]): void {
  for (const h of hog) h.kill('SIGKILL');
}
