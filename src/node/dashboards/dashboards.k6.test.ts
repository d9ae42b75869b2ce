// Dashboards proven on data: a real Prometheus receives a short k6 run by remote write and scrapes
// the prober and the simulator; then every panel query and every variable of both dashboards,
// with variables substituted, must answer without error and with at least one series.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Prober } from '../prober/command.ts';
import { createProbeMetrics } from '../prober/metrics.ts';
import { parseFaultRules } from '../simulator/faults.ts';
import { startHpbWorld } from '../hpb/testing.ts';
import { PROMETHEUS_FEATURE_ARGS, stackConfig } from '../stack/command.ts';
import { startPrometheus } from '../stack/prometheus.ts';
import { DASHBOARDS, render } from './generate.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'talkload.mjs');

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string }[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

test('the committed dashboards are what the sources generate', () => {
  for (const [file, build] of Object.entries(DASHBOARDS)) {
    assert.equal(readFileSync(join(ROOT, 'dashboards', file), 'utf8'), render(build), `dashboards/${file} is stale: run npm run dashboards`);
  }
});

test('every panel query of both dashboards returns series from a real Prometheus', { timeout: 240_000 }, async () => {
  // A Talk with an HPB (the emulator), so that the HPB panels have data too; the other panels are
  // the same for both signaling modes.
  const world = await startHpbWorld('emulator', { pingIntervalMs: 1000 });
  const { sim, simUrl } = world;
  const prober = new Prober(
    {
      targets: [{ name: 'sim', url: simUrl, user: 'admin', password: 'admin', room: null }],
      intervalSeconds: 1,
      listenHost: '127.0.0.1',
      listenPort: 0,
      timeouts: { connect: 2000, headers: 2000, body: 2000, total: 2000 },
      hpb: { stayEvery: 3, staySeconds: 1 },
    },
    createProbeMetrics({ version: 'test', processMetrics: false }),
  );
  const { server, url: proberUrl } = await prober.serve('127.0.0.1', 0);
  const dir = mkdtempSync(join(tmpdir(), 'talkload-dash-'));
  let started: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  try {
    // Inside the try: when Prometheus cannot start, what was started above is still closed.
    const prom = (started = await startPrometheus({
      dir,
      configYaml: stackConfig(new URL(proberUrl).host, [new URL(simUrl).host], join(ROOT, 'dashboards', 'alerts'), '1s', [new URL(world.hpbUrl).host]),
      extraArgs: PROMETHEUS_FEATURE_ARGS,
    }));
    // Some unexpected statuses, so the error panels have something to show.
    sim.faults.rules = parseFaultRules('call_peers=error:418@15');
    prober.start();
    writeFileSync(join(dir, 'pw'), 'admin\n');
    const run = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'run', '--target', simUrl, '--user', 'admin', '--password-file', join(dir, 'pw'), '--ring-user', 'participant1', '--guests', '4', '--duration', '20s', '--stay', '12s', '--flags-every', '3s', '--peers-every', '2s', '--prometheus', prom.url, '--out', join(dir, 'results'), '--run-id', 'dashrun', '--', '--quiet'], { stdio: 'ignore' });
      child.on('exit', resolve);
    });
    assert.equal(run, 99, 'the run breaks its thresholds (the injected 418s)');
    await new Promise((r) => setTimeout(r, 3000)); // last remote-write push and scrapes

    const substitute = (expr: string): string =>
      expr.replaceAll('$testid', 'dashrun').replaceAll('$endpoint', '.*').replaceAll('$target', '.*').replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '5s');
    const empty: string[] = [];
    let checked = 0;
    for (const file of Object.keys(DASHBOARDS)) {
      const dash = JSON.parse(readFileSync(join(ROOT, 'dashboards', file), 'utf8')) as Dashboard;
      for (const panel of dash.panels) {
        for (const t of panel.targets ?? []) {
          if (!t.expr) continue;
          const result = await prom.query(substitute(t.expr)); // throws when Prometheus rejects it
          checked++;
          if (result.length === 0) empty.push(`${file} "${panel.title}": ${t.expr}`);
        }
      }
      for (const v of dash.templating.list) {
        const query = typeof v.query === 'string' ? v.query : v.query?.query;
        const m = /^label_values\((?:(.+), )?(\w+)\)$/.exec(query ?? '');
        if (!m) continue;
        const match = m[1] ? `&match[]=${encodeURIComponent(substitute(m[1]))}` : '';
        const body = (await (await fetch(`${prom.url}/api/v1/label/${m[2]}/values?${match.slice(1)}`)).json()) as { data: string[] };
        checked++;
        if (body.data.length === 0) empty.push(`${file} variable ${v.name}: ${query}`);
      }
    }
    assert.deepEqual(empty, [], `queries with no series (of ${checked})`);
    assert.ok(checked >= 30, `${checked} queries checked`);
  } finally {
    await started?.stop();
    await prober.stop();
    server.close();
    await world.close();
  }
});
