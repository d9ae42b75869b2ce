// `talkload stack`: a local Prometheus for people and tests: receives k6 remote write (native
// histograms), scrapes the prober and the simulator (or a Nextcloud's /metrics), loads the alert
// rules, keeps its data under .stack/ (git-ignored), and stops cleanly on Ctrl-C.

import { join, resolve } from 'node:path';
import { RunError, UsageError, makeDirs } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, parseCommand } from '../common/options.ts';
import { parseListen } from '../prober/config.ts';
import { projectRoot } from '../run/k6-binary.ts';
import { startPrometheus } from './prometheus.ts';

export const STACK_COMMAND = {
  about: `Usage: talkload stack [options]

Starts Prometheus on loopback: remote-write receiver for "talkload run --prometheus", scrapes of
the prober and of Talk servers, the prober alert rules. Ctrl-C stops it.`,
  column: 24,
  options: {
    listen: { type: 'string', arg: 'HOST:PORT', default: '127.0.0.1:9090', help: 'Prometheus address (default {default})' },
    prober: { type: 'string', arg: 'HOST:PORT', default: '127.0.0.1:9464', help: 'prober to scrape (default {default})' },
    server: { type: 'string', arg: 'HOST:PORT', multiple: true, help: "a Talk server's /metrics to scrape (simulator or Nextcloud 33+), repeatable" },
    hpb: { type: 'string', arg: 'HOST:PORT', multiple: true, help: ["an HPB's /metrics to scrape (the emulator, or nextcloud-spreed-signaling with", '[stats] allowed_ips listing this address), repeatable'] },
    data: { type: 'string', arg: 'DIR', default: '.stack/prometheus', help: 'where Prometheus keeps its data (default {default})' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;

export function stackConfig(prober: string, servers: readonly string[], rulesDir: string, scrapeInterval = '5s', hpbs: readonly string[] = []): string {
  const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
  return [
    'global:',
    `  scrape_interval: ${scrapeInterval}`,
    `  evaluation_interval: ${scrapeInterval}`,
    'rule_files:',
    `  - ${join(rulesDir, '*.rules.yml')}`,
    'scrape_configs:',
    '  - job_name: talkprobe',
    '    static_configs:',
    `      - targets: [${list([prober])}]`,
    ...(servers.length > 0 ? ['  - job_name: talk-server', '    static_configs:', `      - targets: [${list(servers)}]`] : []),
    ...(hpbs.length > 0 ? ['  - job_name: talk-hpb', '    static_configs:', `      - targets: [${list(hpbs)}]`] : []),
    '',
  ].join('\n');
}

/** Flags for Prometheus 2.42: k6 remote write, native histograms for its trends. */
export const PROMETHEUS_FEATURE_ARGS = ['--web.enable-remote-write-receiver', '--enable-feature=native-histograms'];

export async function stackCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, STACK_COMMAND);
  if (parsed === null) return 0;
  const { values } = parsed;
  const listen = parseListen(values.listen);
  parseListen(values.prober);
  for (const s of values.server ?? []) {
    try {
      parseListen(s);
    } catch {
      throw new UsageError(`--server must be HOST:PORT, got "${s}"`);
    }
  }
  for (const s of values.hpb ?? []) {
    try {
      parseListen(s);
    } catch {
      throw new UsageError(`--hpb must be HOST:PORT, got "${s}"`);
    }
  }
  if (listen.host !== '127.0.0.1' && listen.host !== 'localhost' && listen.host !== '::1') {
    process.stderr.write(`talkload stack: note: Prometheus listens on ${listen.host}, not only loopback\n`);
  }
  const dir = resolve(values.data);
  makeDirs(dir, '--data', 'Prometheus data folder');
  process.stdout.write('talkload stack: starting Prometheus...\n');
  const prom = await startPrometheus({
    dir,
    host: listen.host,
    port: listen.port,
    configYaml: stackConfig(values.prober, values.server ?? [], join(projectRoot(), 'dashboards', 'alerts'), '5s', values.hpb ?? []),
    extraArgs: PROMETHEUS_FEATURE_ARGS,
  });
  process.stdout.write(`talkload stack: Prometheus on ${prom.url} (data in ${dir}); send runs with: talkload run --prometheus ${prom.url}; Ctrl-C stops\n`);
  let onSignal = (): void => undefined;
  const stopped = new Promise<'signal'>((r) => {
    onSignal = () => r('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const why = await Promise.race([stopped, prom.exited]);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (why !== 'signal') {
    // Killed from outside (the OOM killer, kill): its last log line is about something else.
    if (why.signal !== null) throw new RunError(`Prometheus was killed by a signal (${why.signal}); the stack ends`);
    throw new RunError(`Prometheus exited with code ${why.code}${why.lastLine ? `: ${why.lastLine}` : ''}`);
  }
  await prom.stop();
  process.stdout.write('talkload stack: stopped\n');
  return 0;
}
