// One exit-code contract for every subcommand (issue 24 item 5): the conditions, their codes, and
// the table the README and every `--help` print. Errors carry their code; main.ts turns them into
// one line and that code. Imports nothing of any command.

export const EXIT = {
  /** The run, gate or comparison passed; a server or tool ended cleanly. */
  pass: 0,
  /** The work could not be done: target or HPB unreachable or not Talk, k6 or Prometheus failed, internal error. */
  failure: 1,
  /** Bad input: a flag, a file, refused credentials, a target that contradicts a flag, a port in use, incomplete samples. */
  usage: 2,
  /** The verdict is FAIL: thresholds broken (as k6), budgets or a baseline broken, a regression found. */
  verdictFail: 99,
  /** Stopped by a signal (Ctrl-C, SIGTERM): partial results, marked as such. */
  interrupted: 105,
} as const;

/**
 * k6's own exit codes that talkload passes through when k6 stopped for a reason of its own
 * (go.k6.io/k6/errext/exitcodes): talkload's 1 would hide which.
 */
export const K6_EXIT_CODES: Readonly<Record<number, string>> = {
  100: 'k6: setup() timed out',
  101: 'k6: teardown() timed out',
  102: 'k6: timeout',
  103: 'k6: engine error',
  104: 'k6: invalid configuration or options',
  107: "k6: script exception: setup() or a VU threw (k6's error above says what)",
  108: 'k6: the script aborted the test (exec.test.abort)',
  109: 'k6: Go panic',
  110: 'k6: test marked as failed',
};

/** A k6 exit code as talkload exits with it: its own codes pass through, anything else is 1. */
export function exitForK6(code: number): number {
  if (code === EXIT.pass || code === EXIT.verdictFail || code === EXIT.interrupted) return code;
  return code in K6_EXIT_CODES ? code : EXIT.failure;
}

/** The table, as every `--help` and the README show it. */
export const EXIT_CODES_HELP = `Exit codes (every talkload command):
  0    pass
  1    could not do the work: target, HPB or Prometheus unreachable or not what it should be, k6 failed
  2    usage: a bad flag or file, refused credentials, a target that contradicts a flag (--signaling),
       a port in use, incomplete or unreadable samples
  99   verdict FAIL: thresholds broken (as k6), budgets or the baseline broken, a regression (compare)
  105  interrupted by a signal; partial results are marked as such
  100-110  k6 stopped for a reason of its own and talkload passes its code on (107: script exception)
`;

/** Bad input from the user: one line on stderr, exit 2. */
export class UsageError extends Error {
  readonly exitCode: number = EXIT.usage;
}

/** A failure that is not the user's input (target down, k6 failed): one line, exit 1 unless told. */
export class RunError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.exitCode = exitCode;
  }
}
