// The real-HPB plumbing of the benches: the environment they read (HPB_BIN, HPB_URL and friends),
// the config written for a binary, the figures read from a running HPB's /metrics, and the errors
// when a binary does not start. The real server itself runs in hpb.test.ts when HPB_BIN is set.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../stack/prometheus.ts';
import { benchHpbFromEnv, hpbProcessFigures, realHpbConfig, startRealHpb } from './real-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'talkload-real-hpb-test-'));
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, 'shared-secret\n');
const emptyFile = join(dir, 'empty');
writeFileSync(emptyFile, '\n');

const cases: Array<[string, NodeJS.ProcessEnv, RegExp | object | null]> = [
  ['nothing set: no real HPB', {}, null],
  ['a binary', { HPB_BIN: '/opt/signaling' }, { kind: 'bin', bin: '/opt/signaling' }],
  ['both', { HPB_BIN: '/opt/signaling', HPB_URL: 'http://127.0.0.1:8080' }, /HPB_BIN or HPB_URL, not both/],
  ['not a URL', { HPB_URL: 'hpb.example', HPB_SECRET_FILE: secretFile, HPB_BACKEND_PORT: '9000' }, /HPB_URL hpb\.example is not an http\(s\) URL/],
  ['off loopback', { HPB_URL: 'https://hpb.example.com', HPB_SECRET_FILE: secretFile, HPB_BACKEND_PORT: '9000' }, /not on this machine's loopback/],
  ['no secret file', { HPB_URL: 'http://127.0.0.1:8080', HPB_BACKEND_PORT: '9000' }, /needs HPB_SECRET_FILE/],
  ['unreadable secret file', { HPB_URL: 'http://127.0.0.1:8080', HPB_SECRET_FILE: join(dir, 'missing'), HPB_BACKEND_PORT: '9000' }, /cannot be read/],
  ['empty secret file', { HPB_URL: 'http://127.0.0.1:8080', HPB_SECRET_FILE: emptyFile, HPB_BACKEND_PORT: '9000' }, /is empty/],
  ['no backend port', { HPB_URL: 'http://127.0.0.1:8080', HPB_SECRET_FILE: secretFile }, /needs HPB_BACKEND_PORT/],
  ['bad backend port', { HPB_URL: 'http://127.0.0.1:8080', HPB_SECRET_FILE: secretFile, HPB_BACKEND_PORT: '70000' }, /needs HPB_BACKEND_PORT/],
  ['a running HPB', { HPB_URL: 'http://127.0.0.1:8080/', HPB_SECRET_FILE: secretFile, HPB_BACKEND_PORT: '9000' }, { kind: 'url', url: 'http://127.0.0.1:8080', secret: 'shared-secret', backendPort: 9000 }],
];

for (const [name, env, want] of cases) {
  test(`benchHpbFromEnv: ${name}`, () => {
    if (want instanceof RegExp) assert.throws(() => benchHpbFromEnv(env), want);
    else assert.deepEqual(benchHpbFromEnv(env), want);
  });
}

test('the config names the listen address, the simulator as the one backend with its secret, and loopback stats', () => {
  const conf = realHpbConfig({ port: 4321, backendUrl: 'http://127.0.0.1:9000', secret: 's3cret' });
  assert.match(conf, /^\[http\]\nlisten = 127\.0\.0\.1:4321$/m);
  assert.match(conf, /^\[talksim\]\nurl = http:\/\/127\.0\.0\.1:9000\nsecret = s3cret$/m);
  assert.match(conf, /^backends = talksim$/m);
  assert.match(conf, /^allowall = false$/m);
  assert.match(conf, /^\[stats\]\nallowed_ips = 127\.0\.0\.1$/m);
});

test("a running HPB's RSS and CPU come from its /metrics; null when it does not show them", async () => {
  let body = '# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 2.2183936e+07\nprocess_cpu_seconds_total 1.25\nprocess_open_fds 10\n';
  let status = 200;
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    assert.deepEqual(await hpbProcessFigures(url), { rssBytes: 22183936, cpuSeconds: 1.25, openFiles: 10 });
    body = 'signaling_hub_sessions 3\n';
    assert.equal(await hpbProcessFigures(url), null);
    status = 403;
    assert.equal(await hpbProcessFigures(url), null);
  } finally {
    server.close();
  }
  assert.equal(await hpbProcessFigures(`http://127.0.0.1:${await freePort()}`), null, 'nothing listening');
});

test('a binary that cannot start, or exits, gives a one-line error naming it, at once', async () => {
  const started = Date.now();
  await assert.rejects(startRealHpb(join(dir, 'no-such-signaling'), { port: await freePort(), backendUrl: 'http://127.0.0.1:9', secret: 'x' }), /^Error: HPB_BIN .*no-such-signaling: spawn .* ENOENT$/);
  await assert.rejects(startRealHpb('/bin/false', { port: await freePort(), backendUrl: 'http://127.0.0.1:9', secret: 'x' }), /^Error: HPB_BIN \/bin\/false exited \(code 1\) before answering http:\/\/127\.0\.0\.1:\d+\/api\/v1\/welcome$/);
  assert.ok(Date.now() - started < 5000, 'an exited process is not waited on for 15 s');
});
