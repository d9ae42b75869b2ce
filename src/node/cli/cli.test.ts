// The built `talkload` command: bad input gives one line on stderr and exit 2, never a stack trace.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/talkload.mjs', import.meta.url));

// Secret files for the HPB flags: a good one, one too short.
const SECRETS = mkdtempSync(join(tmpdir(), 'talkload-cli-'));
const GOOD_SECRET = join(SECRETS, 'good');
const SHORT_SECRET = join(SECRETS, 'short');
writeFileSync(GOOD_SECRET, 'a-shared-secret-of-some-length\n');
writeFileSync(SHORT_SECRET, 'tiny\n');

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const USAGE_ERRORS: [string[], RegExp][] = [
  [['sim', '--port', 'abc'], /^talkload sim: --port must be a port number 0-65535, got "abc"\n$/],
  [['sim', '--port', '70000'], /^talkload sim: --port must be a port number/],
  [['sim', '--users', 'alice'], /^talkload sim: --users takes id:password pairs separated by commas; "alice" is not one\n$/],
  [['sim', '--users', 'a:1,a:2'], /^talkload sim: --users names "a" twice\n$/],
  [['sim', '--fault', 'call_join=boom'], /^talkload sim: --fault: unknown fault "boom"/],
  [['sim', '--capacity', 'workers=0'], /^talkload sim: --capacity: capacity workers needs a positive number/],
  [['sim', '--bogus'], /^talkload sim: Unknown option '--bogus'/],
  [['frobnicate'], /^talkload frobnicate: unknown command "frobnicate" \(sim, hpb, run, probe, stack, k8s, gate, baseline, compare, report\)\n$/],
  [['sim', '--signaling', 'websocket'], /^talkload sim: --signaling must be internal or external, got "websocket"\n$/],
  [['sim', '--hpb', 'http://127.0.0.1:9'], /^talkload sim: --hpb and --hpb-secret-file need --signaling external\n$/],
  [['sim', '--signaling', 'external', '--hpb', 'http://127.0.0.1:9'], /^talkload sim: --hpb needs --hpb-secret-file/],
  [['sim', '--signaling', 'external', '--hpb', 'ws:x'], /^talkload sim: --hpb must be an http\(s\) URL, got "ws:"\n$/],
  [['sim', '--signaling', 'external', '--hpb-secret-file', '/nonexistent/secret'], /^talkload sim: cannot read --hpb-secret-file \/nonexistent\/secret\n$/],
  [['sim', '--signaling', 'external', '--hpb-secret-file', SHORT_SECRET], /^talkload sim: --hpb-secret-file \S+: the secret must be at least 16 characters\n$/],
  [['hpb', '--secret-file', GOOD_SECRET], /^talkload hpb: --backend URL is required/],
  [['hpb', '--backend', 'http://127.0.0.1:9'], /^talkload hpb: --secret-file FILE is required/],
  [['hpb', '--backend', 'nope', '--secret-file', GOOD_SECRET], /^talkload hpb: --backend "nope" is not a URL\n$/],
  [['hpb', '--backend', 'http://127.0.0.1:9', '--secret-file', '/nonexistent/secret'], /^talkload hpb: cannot read --secret-file \/nonexistent\/secret\n$/],
  [['hpb', '--backend', 'http://127.0.0.1:9', '--secret-file', SHORT_SECRET], /^talkload hpb: --secret-file \S+: the secret must be at least 16 characters\n$/],
  [['hpb', '--backend', 'http://127.0.0.1:9', '--secret-file', GOOD_SECRET, '--listen', '127.0.0.1'], /^talkload hpb: --listen must be HOST:PORT, got "127.0.0.1"\n$/],
  [['run', '--profile', 'hammer'], /^talkload run: unknown profile "hammer" \(smoke, load, stress, soak, spike, breakpoint\)\n$/],
  [['run', '--scenario', 'nope'], /^talkload run: unknown scenario "nope" \(guest-call\)\n$/],
  [['run', '--duration', '10 minutes'], /^talkload run: --duration must be a duration like 30s, 5m or 1h30m, got "10 minutes"\n$/],
  [['run', '--guests', '0'], /^talkload run: --guests must be a whole number from 1 to 100000, got "0"\n$/],
  [['run', '--join-rate', 'fast'], /^talkload run: --join-rate must be a number from 0.1 to 10000, got "fast"\n$/],
  // The limits the k6 script also checks, refused before anything starts (not a k6 stack trace).
  [['run', '--guests', '1e9'], /^talkload run: --guests must be a whole number from 1 to 100000, got "1e9"\n$/],
  [['run', '--call-size', '5000'], /^talkload run: --call-size must be a whole number from 1 to 1000, got "5000"\n$/],
  [['run', '--guests-per-vu', '500'], /^talkload run: --guests-per-vu must be a whole number from 1 to 100, got "500"\n$/],
  [['run', '--seed', '99999999999'], /^talkload run: --seed must be a whole number from 1 to 2147483648, got "99999999999"\n$/],
  [['run', '--chat-every', '10s'], /^talkload run: --chat-every needs --chat\n$/],
  [['run', '--chat', '--chat-every', 'often'], /^talkload run: --chat-every must be a duration like 30s, 5m or 1h30m, got "often"\n$/],
  [['run', '--instances', '1000'], /^talkload run: --instances must be a whole number from 1 to 64, got "1000"\n$/],
  [['run', '--out', '/proc/x'], /^talkload run: --out \/proc\/x\/[^:]+: cannot create the results folder \(ENOENT on \/proc\/x\)\n$/],
  [['run', '--target', 'not a url'], /^talkload run: --target "not a url" is not a URL/],
  [['run', '--target', 'http://192.0.2.10'], /^talkload run: --target 192.0.2.10 is not loopback: load-testing another host needs --allow-target 192.0.2.10\n$/],
  [['run', '--target', 'http://127.0.0.1:9'], /^talkload run: a --target needs --user and --password-file/],
  [['run', '--target', 'http://127.0.0.1:9', '--user', 'u', '--password-file', '/nonexistent/pw'], /^talkload run: cannot read --password-file \/nonexistent\/pw\n$/],
  [['run', '--sim-compat', 'talk17'], /^talkload run: --sim-compat must be latest or talk19, got "talk17"\n$/],
  // The simulator's errors name the flag the user typed (issue 24 item 6).
  [['run', '--sim-capacity', 'workers=0'], /^talkload run: --sim-capacity: capacity workers needs a positive number/],
  [['run', '--sim-fault', 'call_join=explode'], /^talkload run: --sim-fault: unknown fault "explode"/],
  [['compare', '--a', 'sim', '--b', 'sim', '--b-sim-fault', 'call_join=explode'], /^talkload compare: --b-sim-fault: unknown fault "explode"/],
  [['compare', '--a', 'sim', '--b', 'sim', '--a-sim-capacity', 'workers=0'], /^talkload compare: --a-sim-capacity: capacity workers/],
  [['compare', '--a', 'sim', '--b', 'sim', '--sim-capacity', 'workers=0'], /^talkload compare: --sim-capacity: capacity workers/],
  [['run', '--target', 'http://127.0.0.1:9', '--rooms', 'abcd', '--no-moderator', '--sim-compat', 'talk19'], /^talkload run: --sim-fault, --sim-capacity, --sim-compat, --sim-signaling, --sim-access-log and --hpb apply to the embedded simulator only, not to --target/],
  [['run', '--target', 'http://127.0.0.1:9', '--rooms', 'abcd', '--no-moderator', '--sim-access-log', 'x.csv'], /--sim-access-log and --hpb apply to the embedded simulator only/],
  [['run', '--sim-access-log', '/nonexistent/dir/x.csv'], /^talkload run: --sim-access-log: cannot write \/nonexistent\/dir\/x.csv \(ENOENT\)\n$/],
  [['sim', '--capacity', 'db=postgres'], /^talkload sim: --capacity: capacity db must be sqlite or mariadb, got "postgres"/],
  [['run', '--signaling', 'xmpp'], /^talkload run: --signaling must be auto, internal or hpb, got "xmpp"\n$/],
  [['run', '--sim-signaling', 'carrier-pigeon'], /^talkload run: --sim-signaling must be internal or external, got "carrier-pigeon"\n$/],
  [['run', '--sim-signaling', 'internal', '--hpb', 'http://127.0.0.1:9'], /^talkload run: --hpb needs --sim-signaling external/],
  [['run', '--hpb-secret-file', '/tmp/x'], /^talkload run: --hpb-secret-file goes with --hpb URL\n$/],
  [['run', '--sim-hpb-fault', 'explode'], /^talkload run: --sim-hpb-fault: unknown HPB fault "explode"/],
  [['run', '--sim-port', 'x'], /^talkload run: --sim-port must be a port number/],
  [['sim', '--signaling', 'external', '--hpb-fault', 'fanout-delay:-1'], /^talkload sim: --hpb-fault: fanout-delay needs milliseconds 0-600000, got "-1"\n$/],
  [['sim', '--hpb-fault', 'drop-pings'], /^talkload sim: --hpb-fault applies to the embedded HPB emulator/],
  [['run', '--rooms', 'BAD!'], /^talkload run: --rooms: "BAD!" is not a conversation token/],
];

for (const [args, message] of USAGE_ERRORS) {
  test(`talkload ${args.join(' ')} -> exit 2, one line`, () => {
    const r = run(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
}

test('talkload sim refuses a port that is in use, in one line', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = run(['sim', '--port', String(port)]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `talkload sim: port ${port} on 127.0.0.1 is already in use\n`);
  } finally {
    blocker.close();
  }
});

test('talkload sim prints its address first, serves Talk, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'sim', '--users', 'mod:secret'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
  const m = /^talkload sim listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(first);
  assert.ok(m, first);
  const res = await fetch(`${m[1]}/ocs/v2.php/apps/spreed/api/v4/room`, {
    method: 'POST',
    headers: { 'OCS-APIRequest': 'true', Accept: 'application/json', Authorization: 'Basic ' + Buffer.from('mod:secret').toString('base64'), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'roomType=3&roomName=x',
  });
  assert.equal(res.status, 201);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
});

test('talkload sim --signaling external starts an HPB emulator beside it; the secret never shows', async () => {
  const child = spawn(process.execPath, [BIN, 'sim', '--signaling', 'external', '--hpb-secret-file', GOOD_SECRET], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no HPB line: ${out}`)), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('(emulator)\n')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  try {
    const m = /^talkload sim listening on (http:\/\/127\.0\.0\.1:\d+)\ntalkload sim: external signaling, HPB (http:\/\/127\.0\.0\.1:\d+) \(emulator\)\n$/.exec(out);
    assert.ok(m, out);
    const welcome = (await (await fetch(`${m[2]}/api/v1/welcome`)).json()) as Record<string, string>;
    assert.equal(welcome['nextcloud-spreed-signaling'], 'Welcome');
    const caps = await (await fetch(`${m[1]}/ocs/v2.php/cloud/capabilities`, { headers: { 'OCS-APIRequest': 'true', Accept: 'application/json' } })).text();
    assert.match(caps, /hello-v2-token-key/);
  } finally {
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);
  }
  assert.doesNotMatch(out + err, /a-shared-secret-of-some-length/);
});

test('talkload hpb serves the welcome endpoint and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'hpb', '--backend', 'http://127.0.0.1:9', '--secret-file', GOOD_SECRET], { stdio: ['ignore', 'pipe', 'pipe'] });
  const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
  const m = /^talkload hpb listening on (http:\/\/127\.0\.0\.1:\d+) \(clients: ws:\/\/127\.0\.0\.1:\d+\/spreed, backend http:\/\/127\.0\.0\.1:9\)\n$/.exec(first);
  assert.ok(m, first);
  assert.equal((await fetch(`${m[1]}/api/v1/welcome`)).status, 200);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
});

async function serveOnce(body: string, type: string): Promise<{ url: string; close: () => void }> {
  const { createServer: createHttp } = await import('node:http');
  const server = createHttp((_req, res) => {
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

const BAD_TARGETS: [string, string, string, RegExp][] = [
  ['HTML', '<!DOCTYPE html><html><body>Welcome to nginx</body></html>', 'text/html', /answered an HTML page \(HTTP 200\) for the capabilities: is it a Nextcloud\?\n$/],
  ['garbage', '\u0001\u0002 not json', 'application/octet-stream', /answered something that is not JSON \(HTTP 200\)/],
  ['JSON without Talk', '{"ocs":{"meta":{"status":"ok","statuscode":200,"message":"OK"},"data":{"capabilities":{}}}}', 'application/json', /answers OCS but has no Talk \(spreed\) with conversation-v4\n$/],
];
for (const [name, body, type, message] of BAD_TARGETS) {
  test(`talkload run against a target that answers ${name}: one line, exit 1, nothing written`, async () => {
    const srv = await serveOnce(body, type);
    const { mkdtempSync, readdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'talkload-'));
    writeFileSync(join(dir, 'pw'), 'pw\n');
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'run', '--target', srv.url, '--user', 'u', '--password-file', join(dir, 'pw'), '--out', join(dir, 'out')], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.deepEqual(readdirSync(dir), ['pw']);
    } finally {
      srv.close();
    }
  });
}

test('talkload run against a closed port: one line, exit 1', () => {
  const r = run(['run', '--target', 'http://127.0.0.1:9', '--rooms', 'abcd1234', '--no-moderator']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^talkload run: target http:\/\/127\.0\.0\.1:9 is unreachable \(ECONNREFUSED\)\n$/);
});

test('talkload run --prometheus at a dead port: one line before the run, exit 1, nothing written', () => {
  const r = run(['run', '--prometheus', 'http://127.0.0.1:9', '--out', '/nonexistent-dir-never-created/x']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^talkload run: --prometheus http:\/\/127\.0\.0\.1:9 is unreachable \(ECONNREFUSED\); start it with "talkload stack" or leave out --prometheus\n$/);
});

test('talkload run with credentials the target rejects: one line, exit 2, password not echoed', async () => {
  const { TalkSimulator } = await import('../simulator/server.ts');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const sim = new TalkSimulator();
  const url = await sim.listen(0, '127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'talkload-'));
  writeFileSync(join(dir, 'pw'), 'not-the-password-42\n');
  try {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'run', '--target', url, '--user', 'admin', '--password-file', join(dir, 'pw'), '--out', join(dir, 'out')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 2);
    assert.equal(r.out, 'talkload run: the target rejected the credentials of user admin\n');
  } finally {
    await sim.close();
  }
});
