// `talkload probe`: runs the Talk call journey against each target every interval and serves the
// results on /metrics for Prometheus, with /-/healthy and /-/ready.

import { talkloadVersion } from '../version.ts';
import { createServer, type Server } from 'node:http';
import { UsageError } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, parseCommand } from '../common/options.ts';
import { loadProbeConfig, type ProbeConfig } from './config.ts';
import { createAgent } from './http.ts';
import { TargetProber } from './journey.ts';
import { createProbeMetrics, type ProbeMetrics } from './metrics.ts';

export const PROBE_COMMAND = {
  about: `Usage: talkload probe --target URL [--target URL2 ...] [options]

Runs the Talk call journey against each target every interval; serves /metrics, /-/healthy, /-/ready.`,
  column: 24,
  footer: `
HPB mode: when a target's signaling settings say "external", the journey signals through its HPB
as the web client does (WebSocket, hello v2 or v1, room), times the call join and the flag change
to the HPB event that shows them (talkprobe_hpb_step_duration_seconds{step}), and counts failed
steps (talkprobe_hpb_failures_total{step,code}). The first round is short; the second and every
Nth after it (config hpb.stayEvery, default 10) stay hpb.stay seconds (default 35) in the call
and check that GET /call still lists the probe (talkprobe_hpb_self_listed): the HPB's pings.
A room creation that answers 500 on such a target is logged with what to check (Talk's
notification to the HPB). A guest removed right after its join counts in
talkprobe_guest_vanished_total, once.
`,
  options: {
    target: { type: 'string', arg: 'URL', multiple: true, help: 'Nextcloud base URL, repeatable (the target label is its host:port)' },
    config: { type: 'string', arg: 'FILE', help: 'JSON config: interval, listen, timeouts, targets (see README)' },
    interval: { type: 'string', arg: 'D', help: 'time between journeys (default 15s)' },
    listen: { type: 'string', arg: 'HOST:PORT', help: 'where to serve metrics (default 127.0.0.1:9464)' },
    user: { type: 'string', arg: 'ID', help: 'user that creates (and on exit deletes) the conversation, lists, rings' },
    'password-file': { type: 'string', arg: 'FILE', help: 'its app password' },
    room: { type: 'string', arg: 'TOKEN', help: 'use this public conversation instead of creating one' },
    check: { type: 'boolean', default: false, help: 'validate the configuration and exit' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;

const version = talkloadVersion;

export class Prober {
  readonly config: ProbeConfig;
  readonly metrics: ProbeMetrics;
  readonly targets: TargetProber[];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  ready = false;

  constructor(config: ProbeConfig, metrics = createProbeMetrics({ version: version(), processMetrics: true }), log?: (line: string) => void) {
    this.config = config;
    this.metrics = metrics;
    const agentFor = new Map<string, ReturnType<typeof createAgent>>();
    this.targets = config.targets.map((t) => {
      const agent = agentFor.get(t.url) ?? createAgent(config.timeouts);
      agentFor.set(t.url, agent);
      return new TargetProber(t, metrics, agent, config.timeouts, config.hpb, log);
    });
  }

  /** One journey per target, all at once. Never throws. */
  async round(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.journey().catch(() => undefined)));
    this.ready = true;
  }

  start(onRound?: () => void): void {
    const tick = (): void => {
      // A round still running when the next is due is not doubled: the interval is a floor.
      if (this.running === null) {
        this.running = this.round().finally(() => {
          this.running = null;
          onRound?.();
        });
      }
      this.timer = setTimeout(tick, this.config.intervalSeconds * 1000);
    };
    tick();
  }

  /** SIGTERM: finish the current step, leave, delete what was created. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const t of this.targets) t.stopping = true;
    await this.running;
    await Promise.all(this.targets.map((t) => t.cleanup().catch(() => undefined)));
  }

  serve(host: string, port: number): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
            res.end(text);
          },
          () => {
            res.writeHead(500).end();
          },
        );
        return;
      }
      if (path === '/-/healthy') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK\n');
      if (path === '/-/ready') return void res.writeHead(this.ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(this.ready ? 'OK\n' : 'first round not finished\n');
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('talkload prober: /metrics, /-/healthy, /-/ready\n');
    });
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new UsageError(`--listen ${host}:${port} is already in use`) : new UsageError(`cannot listen on ${host}:${port} (${e.code ?? e.message})`)));
      server.listen(port, host, () => {
        const a = server.address() as { port: number };
        resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${a.port}` });
      });
    });
  }
}

export async function probeCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, PROBE_COMMAND);
  if (parsed === null) return 0;
  const { values } = parsed;
  const config = loadProbeConfig(
    {
      targets: values.target ?? [],
      ...(values.config !== undefined ? { config: values.config } : {}),
      ...(values.interval !== undefined ? { interval: values.interval } : {}),
      ...(values.listen !== undefined ? { listen: values.listen } : {}),
      ...(values.user !== undefined ? { user: values.user } : {}),
      ...(values['password-file'] !== undefined ? { passwordFile: values['password-file'] } : {}),
      ...(values.room !== undefined ? { room: values.room } : {}),
    },
    process.env,
  );
  if (values.check) {
    process.stdout.write(`talkload probe: config ok: ${config.targets.map((t) => t.name).join(', ')} every ${config.intervalSeconds} s, metrics on ${config.listenHost}:${config.listenPort}\n`);
    return 0;
  }
  const prober = new Prober(config);
  const { server, url } = await prober.serve(config.listenHost, config.listenPort);
  process.stdout.write(`talkload probe: ${config.targets.length} target(s) every ${config.intervalSeconds} s; metrics on ${url}/metrics\n`);
  prober.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('talkload probe: stopping (finishing the current step, cleaning up)\n');
  await prober.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
}
