// One-line errors and exit codes shared by every subcommand.

import { readFileSync } from 'node:fs';

/** Bad input from the user: one line on stderr, exit 2. */
export class UsageError extends Error {}

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
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (m.index !== consumed) break;
    consumed += m[0].length;
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n / 1000 : m[2] === 's' ? n : m[2] === 'm' ? n * 60 : n * 3600;
  }
  if (text === '' || consumed !== text.length || total <= 0) {
    throw new UsageError(`${flag} must be a duration like 30s, 5m or 1h30m, got "${text}"`);
  }
  return total;
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
