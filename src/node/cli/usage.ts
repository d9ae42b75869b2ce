// One-line errors and exit codes shared by every subcommand.

import { readFileSync } from 'node:fs';
import { durationSeconds } from '../../shared/duration.ts';

/** Bad input from the user: one line on stderr, exit 2. */
export class UsageError extends Error {}

/** JSON from a file the user named; `notJson` is the one-line error when it does not parse. */
export function parseUserJson(text: string, notJson: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(notJson);
  }
}

/** A failure that is not the user's input (target down, k6 failed): one line, exit 1. */
export class RunError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function parsePort(text: string, flag = '--port'): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${flag} must be a port number 0-65535, got "${text}"`);
  return Number(text);
}

export function parsePositiveNumber(text: string, flag: string, { integer = false, min = 0 } = {}): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be ${integer ? 'a whole number' : 'a number'} >= ${min}, got "${text}"`);
  }
  return n;
}

/** k6-style durations: 90s, 5m, 1h30m, 500ms. Returns seconds. */
export function parseDuration(text: string, flag = '--duration'): number {
  const seconds = durationSeconds(text);
  if (seconds === null) throw new UsageError(`${flag} must be a duration like 30s, 5m or 1h30m, got "${text}"`);
  return seconds;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** Reads a file the user named; a missing or unreadable one is a usage error naming it. */
export function readUserFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} ${path}`);
  }
}

/** `--help`/`-h`: prints the command's help; true when the command should stop there. */
export function printedHelp(argv: readonly string[], help: string): boolean {
  if (!argv.includes('--help') && !argv.includes('-h')) return false;
  process.stdout.write(help);
  return true;
}
