// One-line errors and exit codes shared by every subcommand.

import { accessSync, constants as fsConstants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import type { Limit } from '../../shared/limits.ts';
import { durationSeconds } from '../../shared/duration.ts';

import { EXIT_CODES_HELP, UsageError } from '../exit-codes.ts';
export { RunError, UsageError } from '../exit-codes.ts';

/** JSON from a file the user named; `notJson` is the one-line error when it does not parse. */
export function parseUserJson(text: string, notJson: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(notJson);
  }
}


export function parsePort(text: string, flag = '--port'): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${flag} must be a port number 0-65535, got "${text}"`);
  return Number(text);
}

export function parsePositiveNumber(text: string, flag: string, { integer = false, min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} must be ${integer ? 'a whole number' : 'a number'} ${range}, got "${text}"`);
  }
  return n;
}

/** A load input checked against its shared limit (src/shared/limits.ts). */
export function parseLimited(text: string, flag: string, limit: Limit, min = limit.min): number {
  return parsePositiveNumber(text, flag, { integer: limit.integer, min, max: limit.max });
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
  // One exit-code table, the same under every command's help.
  process.stdout.write(`${help}\n${EXIT_CODES_HELP}`);
  return true;
}

/**
 * Creates a folder and its parents, or throws a usage error naming the flag and the reason. Not
 * mkdirSync's recursive mode: Node 20's loops forever under /proc (ENOENT from a pseudo-filesystem).
 */
export function makeDirs(dir: string, flag: string, what = 'results folder'): void {
  const target = resolvePath(dir);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw new UsageError(`${flag} ${dir}: cannot create the ${what} (${at} is not a folder)`);
      break;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const parent = dirname(at);
      if (parent === at) break;
      missing.unshift(at);
      at = parent;
    }
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new UsageError(`${flag} ${dir}: cannot create the ${what} (${code ?? String(e)} on ${d})`);
    }
  }
}

/** Before anything starts: the nearest existing parent of dir is a folder this process may write. */
export function checkWritableDir(dir: string, flag: string, what = 'results folder'): void {
  let at = resolvePath(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch {
      const parent = dirname(at);
      if (parent === at) return;
      at = parent;
      continue;
    }
    if (!isDir) throw new UsageError(`${flag} ${dir}: cannot create the ${what} (${at} is not a folder)`);
    try {
      accessSync(at, fsConstants.W_OK);
    } catch {
      throw new UsageError(`${flag} ${dir}: cannot create the ${what} (${at} is not writable)`);
    }
    return;
  }
}
