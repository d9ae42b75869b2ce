// Starts a real Prometheus (Debian's binary, or PROMETHEUS_BIN) on loopback with a given config,
// for tests and for people; waits until it is ready; stops it cleanly.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { projectRoot } from '../run/k6-binary.ts';
import { RunError, UsageError } from '../common/usage.ts';

const NOT_FOUND = 'not found: install it (Debian: apt-get install prometheus), run scripts/get-prometheus.sh (builds it with Go), or set PROMETHEUS_BIN';

/** PROMETHEUS_BIN, Debian's, or the one scripts/get-prometheus.sh built into .tools/bin. */
export function prometheusBinary(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env['PROMETHEUS_BIN'], '/usr/bin/prometheus', '/usr/local/bin/prometheus', join(projectRoot(), '.tools', 'bin', 'prometheus')].filter((c): c is string => !!c);
  for (const c of candidates) if (existsSync(c)) return c;
  throw new RunError(`Prometheus ${NOT_FOUND}`);
}

/** promtool beside the Prometheus in use, else on PATH. */
export function promtoolBinary(env: NodeJS.ProcessEnv = process.env): string {
  const beside = join(dirname(prometheusBinary(env)), 'promtool');
  if (existsSync(beside)) return beside;
  for (const dir of (env['PATH'] ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'promtool'))) return join(dir, 'promtool');
  throw new RunError(`promtool ${NOT_FOUND}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether HOST:PORT can be bound now (a second Prometheus on a taken port would exit at once). */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export interface RunningPrometheus {
  readonly url: string;
  readonly process: ChildProcess;
  /** Resolves when Prometheus exits, with the last line it wrote. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; lastLine: string }>;
  stop(): Promise<void>;
  /** Instant query; returns the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

export async function startPrometheus(opts: { configYaml: string; dir: string; host?: string; port?: number; extraArgs?: string[] }): Promise<RunningPrometheus> {
  const bin = prometheusBinary();
  const host = opts.host ?? '127.0.0.1';
  // Checked first: the /-/ready of another Prometheus on that port would pass for this one's.
  if (opts.port !== undefined && !(await portFree(host, opts.port))) {
    throw new UsageError(`${host}:${opts.port} is in use (another Prometheus, or talkload stack, already running?); choose another with --listen`);
  }
  mkdirSync(join(opts.dir, 'data'), { recursive: true });
  const configFile = join(opts.dir, 'prometheus.yml');
  writeFileSync(configFile, opts.configYaml);
  const port = opts.port ?? (await freePort());
  const url = `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const child = spawn(
    bin,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(opts.dir, 'data')}`, `--web.listen-address=${host.includes(':') ? `[${host}]` : host}:${port}`, '--log.level=warn', ...(opts.extraArgs ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lastLine: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, lastLine: stderr.trim().split('\n').pop() ?? '' })));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new RunError(`Prometheus exited at start: ${stderr.trim().split('\n').pop() ?? ''}`);
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok && child.exitCode === null) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RunError('Prometheus did not get ready within 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    exited,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
    query: async (expr) => {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await r.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? r.status}`);
      return body.data?.result ?? [];
    },
  };
}
