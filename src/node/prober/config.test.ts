// Each bad configuration is paired with its exact one-line message (blackbox_exporter style).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadProbeConfig } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'talkload-probe-'));
const pw = join(dir, 'pw');
writeFileSync(pw, 'secret\n');
const file = (name: string, body: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
};

const BAD: [string, unknown, string][] = [
  ['not JSON', '{', 'config file <file> is not valid JSON'],
  ['unknown top key', { targets: [], intervall: '15s' }, 'config file: unknown key "intervall" (known: interval, listen, timeouts, targets, hpb)'],
  ['unknown target key', { targets: [{ url: 'http://127.0.0.1:1', room: 'abcd1234', password: 'x' }] }, 'config targets[0]: unknown key "password" (known: name, url, user, passwordFile, passwordEnv, room)'],
  ['bad url', { targets: [{ url: 'ftp://x', room: 'abcd1234' }] }, 'config targets[0].url: "ftp://x" must be http or https'],
  ['numeric passwordFile (would read stdin)', { targets: [{ url: 'http://127.0.0.1:1', room: 'abcd1234', user: 'u', passwordFile: 0 }] }, 'config targets[0].passwordFile must be a non-empty string'],
  ['credentials in url', { targets: [{ url: 'http://u:p@127.0.0.1', room: 'abcd1234' }] }, 'config targets[0].url: put credentials in user and passwordFile, not in the URL'],
  ['bad room', { targets: [{ url: 'http://127.0.0.1:1', room: 'NOPE' }] }, 'config targets[0].room "NOPE" is not a conversation token'],
  ['no room, no user', { targets: [{ url: 'http://127.0.0.1:1' }] }, 'target 127.0.0.1:1: a guest needs a public conversation: give --room TOKEN, or --user and --password-file to create one'],
  ['user without password', { targets: [{ url: 'http://127.0.0.1:1', user: 'probe' }] }, 'target 127.0.0.1:1: user probe needs a password file'],
  ['missing password env', { targets: [{ url: 'http://127.0.0.1:1', user: 'probe', passwordEnv: 'TALKLOAD_NO_SUCH_VAR' }] }, 'config targets[0]: environment variable TALKLOAD_NO_SUCH_VAR is not set'],
  ['duplicate names', { targets: [{ url: 'http://127.0.0.1:1', room: 'abcd1234' }, { url: 'http://127.0.0.1:1/x', room: 'abcd1234' }] }, 'two targets are named "127.0.0.1:1"; give them distinct names in the config'],
  ['unknown timeout', { targets: [{ url: 'http://127.0.0.1:1', room: 'abcd1234' }], timeouts: { read: '1s' } }, 'config timeouts: unknown key "read" (known: connect, headers, body, step)'],
  ['bad interval', { targets: [{ url: 'http://127.0.0.1:1', room: 'abcd1234' }], interval: 'often' }, '--interval must be a duration like 30s, 5m or 1h30m, got "often"'],
  ['bad listen', { targets: [{ url: 'http://127.0.0.1:1', room: 'abcd1234' }], listen: '9464' }, '--listen must be HOST:PORT like 127.0.0.1:9464, got "9464"'],
  ['no targets', { targets: [] }, 'no target: give --target URL or targets in --config'],
];

for (const [name, body, message] of BAD) {
  test(`config with ${name}: ${message}`, () => {
    const p = file(`${name.replace(/\W+/g, '_')}.json`, body);
    assert.throws(() => loadProbeConfig({ targets: [], config: p }, {}), (e: Error) => e.message === message.replace('<file>', p));
  });
}

test('flags win over the file, names default to host:port, passwords come from files', () => {
  const p = file('good.json', { interval: '30s', listen: '127.0.0.1:9999', targets: [{ name: 'staging', url: 'https://cloud.example/', user: 'probe', passwordFile: pw }] });
  const c = loadProbeConfig({ targets: ['http://127.0.0.1:8080'], room: 'abcd1234', config: p, interval: '5s' }, {});
  assert.equal(c.intervalSeconds, 5);
  assert.equal(c.listenPort, 9999);
  assert.deepEqual(c.targets.map((t) => [t.name, t.url, t.user, t.password, t.room]), [
    ['staging', 'https://cloud.example', 'probe', 'secret', null],
    ['127.0.0.1:8080', 'http://127.0.0.1:8080', null, null, 'abcd1234'],
  ]);
});

test('talkload probe --check validates and exits; a bad config is one line and exit 2', () => {
  const bin = fileURLToPath(new URL('../../../bin/talkload.mjs', import.meta.url));
  const ok = spawnSync(process.execPath, [bin, 'probe', '--target', 'http://127.0.0.1:8080', '--room', 'abcd1234', '--check'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'talkload probe: config ok: 127.0.0.1:8080 every 15 s, metrics on 127.0.0.1:9464\n');
  const bad = spawnSync(process.execPath, [bin, 'probe', '--config', file('bad.json', { targets: [], foo: 1 }), '--check'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'talkload probe: config file: unknown key "foo" (known: interval, listen, timeouts, targets, hpb)\n');
});
