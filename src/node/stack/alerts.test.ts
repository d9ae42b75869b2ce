// The prober alert rules are valid Prometheus rules and behave as their unit tests say (promtool
// beside the Prometheus in use: Debian's, or the one scripts/get-prometheus.sh built).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promtoolBinary } from './prometheus.ts';

const ALERTS = fileURLToPath(new URL('../../../dashboards/alerts/', import.meta.url));

test('promtool check rules accepts the alert rules', () => {
  const r = spawnSync(promtoolBinary(), ['check', 'rules', 'talkprobe.rules.yml'], { cwd: ALERTS, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 6 rules found/);
});

test('promtool test rules: the alerts fire when they should and not before', () => {
  const r = spawnSync(promtoolBinary(), ['test', 'rules', 'talkprobe.test.yml'], { cwd: ALERTS, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});
