// A user's real HPB (nextcloud-spreed-signaling) beside the simulator, for the tests and benches that
// run against one (HPB_BIN: a binary this module starts and configures; HPB_URL: one already running).
// Only the binary's documented config file and HTTP endpoints are used; no code of it is copied.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSecret } from './cli.ts';

export interface RealHpbConfig {
  /** 127.0.0.1 port the HPB listens on. */
  readonly port: number;
  /** The simulator's base URL: the HPB's one backend. */
  readonly backendUrl: string;
  /** The secret Talk and the HPB share. */
  readonly secret: string;
  /** Parallel requests the HPB makes to Talk (its sample config's default). */
  readonly connectionsPerHost?: number;
}

/** The server.conf for a real HPB with embedded NATS, no MCU, the simulator as its only backend. */
export function realHpbConfig(c: RealHpbConfig): string {
  return [
    '[http]', `listen = 127.0.0.1:${c.port}`, '',
    '[app]', 'debug = false', '',
    '[sessions]', `hashkey = ${newSecret().slice(0, 32)}`, `blockkey = ${newSecret().slice(0, 32)}`, '',
    '[clients]', `internalsecret = ${newSecret()}`, '',
    '[backend]', 'backends = talksim', 'allowall = false', 'timeout = 10', `connectionsperhost = ${c.connectionsPerHost ?? 8}`, '',
    '[talksim]', `url = ${c.backendUrl}`, `secret = ${c.secret}`, '',
    '[nats]', 'url = nats://loopback', '',
    '[mcu]', 'type =', '',
    // /metrics (with the process's own RSS and CPU) for loopback only.
    '[stats]', 'allowed_ips = 127.0.0.1', '',
  ].join('\n');
}

export interface RealHpb {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): void;
}

/** Waits until `url`/api/v1/welcome answers, at most `ms`; false when it never did (or `alive` says the process is gone). */
export async function hpbAnswers(url: string, ms: number, alive: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && alive()) {
    try {
      if ((await fetch(`${url}/api/v1/welcome`, { signal: AbortSignal.timeout(2000) })).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Starts the binary with a config written for `c`; rejects within 15 s with a one-line reason. */
export async function startRealHpb(bin: string, c: RealHpbConfig): Promise<RealHpb> {
  const dir = mkdtempSync(join(tmpdir(), 'talkload-hpb-'));
  const conf = join(dir, 'server.conf');
  writeFileSync(conf, realHpbConfig(c), { mode: 0o600 });
  const child = spawn(bin, ['--config', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
  let failed: Error | null = null;
  child.once('error', (e) => (failed = e));
  const url = `http://127.0.0.1:${c.port}`;
  const stop = (): void => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  if (!(await hpbAnswers(url, 15_000, () => failed === null && child.exitCode === null))) {
    stop();
    const why = failed !== null ? `: ${(failed as Error).message}`
      : child.exitCode !== null ? ` exited (code ${child.exitCode}) before answering ${url}/api/v1/welcome`
      : ` did not answer ${url}/api/v1/welcome within 15 s`;
    throw new Error(`HPB_BIN ${bin}${why}`);
  }
  return { url, child, stop };
}

/** What one HPB process holds: resident memory (bytes), CPU seconds so far, open files (sockets included). */
export interface ProcessFigures {
  readonly rssBytes: number;
  readonly cpuSeconds: number;
  readonly openFiles: number;
}

/**
 * An HPB's own figures from its /metrics (the Prometheus client's process collector:
 * `process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_open_fds`), for an HPB this machine did not
 * start; null when it does not export them here (a /metrics limited to other addresses).
 */
export async function hpbProcessFigures(url: string): Promise<ProcessFigures | null> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(4000) });
    if (!res.ok) return null;
    const text = await res.text();
    const rss = /^process_resident_memory_bytes ([\d.e+]+)$/m.exec(text);
    const cpu = /^process_cpu_seconds_total ([\d.e+]+)$/m.exec(text);
    const fds = /^process_open_fds ([\d.e+]+)$/m.exec(text);
    return rss && cpu ? { rssBytes: Number(rss[1]), cpuSeconds: Number(cpu[1]), openFiles: fds ? Number(fds[1]) : NaN } : null;
  } catch {
    return null;
  }
}

/** The HPB the benches measure beside the emulator, from the environment; null without one. */
export type BenchHpb =
  | { readonly kind: 'bin'; readonly bin: string }
  | { readonly kind: 'url'; readonly url: string; readonly secret: string; readonly backendPort: number };

/**
 * HPB_BIN=path: the bench starts that binary for the simulator it starts. HPB_URL=url: an HPB already
 * running whose backend is `http://127.0.0.1:$HPB_BACKEND_PORT` (the simulator listens there) with
 * the secret in HPB_SECRET_FILE. Throws a one-line error naming what is missing or wrong.
 */
export function benchHpbFromEnv(env: NodeJS.ProcessEnv = process.env): BenchHpb | null {
  const bin = env['HPB_BIN'] ?? '';
  const url = env['HPB_URL'] ?? '';
  if (bin !== '' && url !== '') throw new Error('set HPB_BIN or HPB_URL, not both');
  if (bin !== '') return { kind: 'bin', bin };
  if (url === '') return null;
  let host: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    host = u.hostname;
  } catch {
    throw new Error(`HPB_URL ${url} is not an http(s) URL`);
  }
  // Its backend is the simulator on 127.0.0.1, so it runs on this machine; and bench load stays on loopback.
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== '[::1]' && host !== 'localhost') throw new Error(`HPB_URL ${url} is not on this machine's loopback (127.0.0.0/8, ::1): its backend is the simulator on 127.0.0.1`);
  const secretFile = env['HPB_SECRET_FILE'] ?? '';
  if (secretFile === '') throw new Error('HPB_URL needs HPB_SECRET_FILE: the secret configured for the simulator backend in that HPB');
  let secret: string;
  try {
    secret = readFileSync(secretFile, 'utf8').trim();
  } catch {
    throw new Error(`HPB_SECRET_FILE ${secretFile} cannot be read`);
  }
  if (secret === '') throw new Error(`HPB_SECRET_FILE ${secretFile} is empty`);
  const port = Number(env['HPB_BACKEND_PORT'] ?? '');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('HPB_URL needs HPB_BACKEND_PORT: the 127.0.0.1 port that HPB has as its backend, where the bench starts the simulator');
  return { kind: 'url', url: url.replace(/\/+$/, ''), secret, backendPort: port };
}
