// Starts a real Prometheus (Debian's binary, or PROMETHEUS_BIN) on loopback with a given config,
// for tests and for people; waits until it is ready; stops it cleanly.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { RunError } from '../cli/usage.ts';

export function prometheusBinary(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env['PROMETHEUS_BIN'], '/usr/bin/prometheus', '/usr/local/bin/prometheus'].filter((c): c is string => !!c);
  for (const c of candidates) if (existsSync(c)) return c;
  throw new RunError('Prometheus not found: install it (Debian: apt-get install prometheus) or set PROMETHEUS_BIN');
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

export interface RunningPrometheus {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
  /** Instant query; returns the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

export async function startPrometheus(opts: { configYaml: string; dir: string; port?: number; extraArgs?: string[] }): Promise<RunningPrometheus> {
  const bin = prometheusBinary();
  mkdirSync(join(opts.dir, 'data'), { recursive: true });
  const configFile = join(opts.dir, 'prometheus.yml');
  writeFileSync(configFile, opts.configYaml);
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(opts.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', ...(opts.extraArgs ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new RunError(`Prometheus exited at start: ${stderr.trim().split('\n').pop() ?? ''}`);
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RunError('Prometheus did not get ready within 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
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
