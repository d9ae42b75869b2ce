// `talkload run`, the k6 processes and the signals: k6 in its own process group, one SIGINT from
// talkload for the first signal, SIGKILL for the second, and no k6 outliving talkload.

import { type ChildProcess, spawn } from 'node:child_process';
import { EXIT } from '../exit-codes.ts';

/** k6's exit code for a run stopped from outside (a signal); talkload exits with it too. */
export const EXIT_INTERRUPTED = EXIT.interrupted;

/**
 * Signals during a run. k6 runs in its own process group, so that a terminal's Ctrl-C (or a CI
 * runner's SIGTERM to the group) reaches talkload alone and k6 gets exactly one SIGINT from it:
 * the first signal stops k6 gracefully (VUs stop, teardown() deletes the conversations, the summary
 * is written); a second aborts k6 at once, and talkload deletes the run's conversations itself.
 */
export class Interrupts {
  count = 0;
  private readonly children = new Set<ChildProcess>();
  private readonly handler = (sig: NodeJS.Signals): void => {
    this.count++;
    if (this.count === 1) {
      process.stderr.write(`\ntalkload: ${sig}: stopping k6 (teardown runs, partial results are kept); ${sig} again aborts it\n`);
      for (const c of this.children) c.kill('SIGINT');
    } else if (this.count === 2) {
      process.stderr.write(`talkload: ${sig} again: aborting k6; talkload deletes the run's conversations itself\n`);
      for (const c of this.children) c.kill('SIGKILL');
    }
  };
  private readonly killAll = (): void => {
    for (const c of this.children) c.kill('SIGKILL');
  };

  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    process.on('SIGHUP', this.handler);
    // k6 is in its own group: it must not outlive talkload.
    process.on('exit', this.killAll);
  }

  get interrupted(): boolean {
    return this.count > 0;
  }

  runK6(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
    return new Promise((resolveExit, reject) => {
      const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'], env, detached: true });
      this.children.add(child);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        this.children.delete(child);
        resolveExit(code ?? (signal ? EXIT_INTERRUPTED : 1));
      });
    });
  }

  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    process.off('SIGHUP', this.handler);
    process.off('exit', this.killAll);
  }
}
