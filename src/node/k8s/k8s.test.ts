// k6-operator manifests: valid against the TestRun schema (tools/k8s/testrun.schema.json),
// credentials only by Secret reference, bad input as one line and exit 2.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { parseAllDocuments } from 'yaml';
import { manifests } from './command.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = `${ROOT}bin/talkload.mjs`;
const schema = JSON.parse(readFileSync(`${ROOT}tools/k8s/testrun.schema.json`, 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const ARGS = ['--parallelism', '4', '--scenario', 'guest-call', '--profile', 'load', '--target', 'https://cloud.example', '--secret', 'talk-loadtest', '--prometheus', 'http://prometheus.monitoring:9090', '--run-id', 'townhall'];

test('the TestRun validates against the schema and names the Secret, never a password', () => {
  const { m } = manifests(ARGS, ROOT);
  assert.ok(validate(m.testRun), JSON.stringify(validate.errors));
  const env = (m.testRun['spec'] as { runner: { env: { name: string; value?: string; valueFrom?: unknown }[] } }).runner.env;
  const pw = env.find((e) => e.name === 'TALK_PASSWORD');
  assert.deepEqual(pw, { name: 'TALK_PASSWORD', valueFrom: { secretKeyRef: { name: 'talk-loadtest', key: 'password' } } });
  assert.ok(env.some((e) => e.name === 'K6_PROMETHEUS_RW_SERVER_URL' && e.value === 'http://prometheus.monitoring:9090/api/v1/write'));
  assert.match((m.testRun['spec'] as { arguments: string }).arguments, /--tag testid=townhall --out experimental-prometheus-rw/);
});

test('the schema rejects what the operator would reject', () => {
  const { m } = manifests(ARGS, ROOT);
  const bad = structuredClone(m.testRun) as { spec: Record<string, unknown> };
  bad.spec['parallelism'] = 0;
  assert.equal(validate(bad), false);
  delete bad.spec['script'];
  bad.spec['parallelism'] = 2;
  assert.equal(validate(bad), false);
  bad.spec['script'] = { configMap: { name: 'x' } };
  bad.spec['paralellism'] = 2;
  assert.equal(validate(bad), false, 'a typo is not silently ignored');
});

test('talkload k8s prints a ConfigMap with the bundle and the TestRun as YAML that parses back', () => {
  const r = spawnSync(process.execPath, [BIN, 'k8s', ...ARGS], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, unknown>);
  assert.deepEqual(docs.map((d) => d['kind']), ['ConfigMap', 'TestRun']);
  const { m } = manifests(ARGS, ROOT);
  assert.deepEqual(docs[1], m.testRun);
  const bundle = (docs[0]!['data'] as Record<string, string>)['guest-call.js']!;
  assert.equal(bundle, readFileSync(`${ROOT}dist/k6/guest-call.js`, 'utf8').trimEnd());
  assert.ok(validate(docs[1]), JSON.stringify(validate.errors));
});

const BAD: [string[], RegExp][] = [
  [ARGS.filter((a, i) => a !== '--secret' && ARGS[i - 1] !== '--secret'), /^talkload k8s: --secret NAME is required: a Secret with keys "user" and "password" \(credentials are never inlined\)\n$/],
  [['--parallelism', '0', ...ARGS.slice(2)], /^talkload k8s: --parallelism must be a whole number >= 1, got "0"\n$/],
  [[...ARGS, '--memory', 'lots'], /^talkload k8s: --memory "lots" is not a Kubernetes quantity/],
  [[...ARGS, '--guests', '1e9'], /^talkload k8s: --guests must be a whole number from 1 to 100000, got "1e9"\n$/],
  [[...ARGS, '--call-size', '5000'], /^talkload k8s: --call-size must be a whole number from 1 to 1000, got "5000"\n$/],
  [[...ARGS, '--join-rate', '0.01'], /^talkload k8s: --join-rate must be a number from 0.1 to 10000, got "0.01"\n$/],
  [[...ARGS, '--prometheus', 'foo:bar'], /^talkload k8s: --prometheus "foo:bar" is not an http\(s\) URL/],
  [ARGS.map((a, i) => (ARGS[i - 1] === '--profile' ? 'marathon' : a)), /^talkload k8s: unknown profile "marathon"/],
];
for (const [args, message] of BAD) {
  test(`talkload k8s ${message.source.slice(15, 60)}: one line, exit 2`, () => {
    const r = spawnSync(process.execPath, [BIN, 'k8s', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
}
