// The prober alert rules are valid Prometheus rules and behave as their unit tests say (promtool
// from Debian's prometheus package).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ALERTS = fileURLToPath(new URL('../../../dashboards/alerts/', import.meta.url));

test('promtool check rules accepts the alert rules', () => {
  const r = spawnSync('promtool', ['check', 'rules', 'talkprobe.rules.yml'], { cwd: ALERTS, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 3 rules found/);
});

test('promtool test rules: the alerts fire when they should and not before', () => {
  const r = spawnSync('promtool', ['test', 'rules', 'talkprobe.test.yml'], { cwd: ALERTS, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});
