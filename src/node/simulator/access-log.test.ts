// The access log and the figures read from it: the same reader gives the real runs' figures (the
// data's README) and the simulator's, and SQLite's lock errors appear only under contention.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ACCESS_LOG_HEADER } from './access-log.ts';
import { accessStalls, parseAccessLog, saturationFigures, type AccessRow } from './access-stats.ts';
import { Capacity, parseCapacity } from './capacity.ts';
import { guestInCall, publicRoom, startWorld } from './testing.ts';

const REAL = fileURLToPath(new URL('../../../../shared/reference/realtalk-2026-12-06/', import.meta.url));

test('the real runs read as their README says: MariaDB one stall and 88 flag changes, SQLite three stalls and 38 polls answered 500', async (t) => {
  let text: string;
  try {
    text = await readFile(join(REAL, 'saturated-mariadb', 'signaling-and-call-requests.csv'), 'utf8');
  } catch {
    t.skip('shared/reference/realtalk-2026-12-06 is not beside this checkout');
    return;
  }
  const maria = saturationFigures(parseAccessLog(text));
  assert.equal(maria.stalls.length, 1);
  assert.ok(maria.stalls[0]!.from > 80 && maria.stalls[0]!.to < 120, JSON.stringify(maria.stalls));
  assert.equal(maria.flagChanges, 88);
  assert.equal(maria.callJoins, 64);
  assert.equal(maria.callPeersP50Ms, 647);
  assert.equal(maria.pollErrors, 0);
  const sqlite = saturationFigures(parseAccessLog(await readFile(join(REAL, 'saturated-sqlite', 'signaling-and-call-requests.csv'), 'utf8')));
  assert.equal(sqlite.stalls.length, 3);
  assert.equal(sqlite.flagChanges, 27);
  assert.equal(sqlite.pollErrors, 38);
});

const row = (start: number, end: number, endpoint = 'signaling_poll', status = 200): AccessRow => ({ start, startS: start, end, status, method: 'GET', endpoint });

test('a stall is a stretch in which requests were in flight and none completed', () => {
  const table: { name: string; rows: AccessRow[]; stalls: number }[] = [
    { name: 'busy all along', rows: [row(0, 1), row(1, 2), row(2, 3)], stalls: 0 },
    { name: 'held polls, nothing else completes', rows: [row(0, 1), row(1, 31), row(2, 31.5, 'call_peers')], stalls: 1 },
    // Nothing in flight: an idle server is not a stalled one.
    { name: 'a quiet gap', rows: [row(0, 1), row(40, 41)], stalls: 0 },
    { name: 'two in a row', rows: [row(0, 1), row(1, 31), row(31, 61), row(60, 62, 'call_flags')], stalls: 2 },
  ];
  for (const c of table) assert.equal(accessStalls(c.rows).length, c.stalls, c.name);
});

test('an access log that is not one is a one-line error; CRLF lines are read', () => {
  assert.throws(() => parseAccessLog('<html>oops</html>\n', 'x.csv'), /x.csv is not an access log/);
  assert.throws(() => parseAccessLog(`${ACCESS_LOG_HEADER}\nnot,a,row\n`, 'y.csv'), /y.csv line 2 is not a request row/);
  assert.equal(parseAccessLog(`${ACCESS_LOG_HEADER}\r\n1.0,2.0,0.0,1.0,200,GET,call_peers,v4/call/abc\r\n`).length, 1);
});

test('the simulator logs every Talk request with its endpoint id, status and time including the wait for a worker', async (t) => {
  const file = join(process.env['TMPDIR'] ?? '/tmp', `access-${process.pid}.csv`);
  // One worker: the second request waits for the first, and its logged time includes that wait.
  const w = await startWorld({ accessLog: file, capacity: parseCapacity('workers=1,cores=1,room_create=300')!, settings: { bruteForce: 'off' } });
  t.after(() => w.close());
  const admin = w.user();
  const [token] = await Promise.all([publicRoom(admin), admin.call('room_get', { token: 'zzzzzzzz' })]);
  await guestInCall(w, token);
  await fetch(`${w.url}/ocs/v2.php/apps/spreed/api/v4/nothing-here`);
  await w.close();
  const rows = parseAccessLog(await readFile(file, 'utf8'));
  const endpoints = rows.map((r) => r.endpoint);
  for (const id of ['room_create', 'room_get', 'room_join', 'call_join', 'unknown']) assert.ok(endpoints.includes(id), `${id} in ${endpoints.join()}`);
  assert.equal(rows.find((r) => r.endpoint === 'room_get')!.status, 404);
  const created = rows.find((r) => r.endpoint === 'room_create')!;
  const other = rows.find((r) => r.endpoint === 'room_get')!;
  // Whichever got the worker second waited out the other's service time.
  assert.ok(Math.max(created.end - created.start, other.end - other.start) >= 0.28, JSON.stringify(rows.slice(0, 2)));
  const text = await readFile(file, 'utf8');
  assert.ok(text.includes(`v4/call/${token}`), 'paths are written as the real log writes them, after the OCS prefix');
});

test('SQLite\'s lock errors need a write in service and a queue for the CPU; MariaDB and custom capacities have none', async () => {
  const sqlite = new Capacity(parseCapacity('nc29-1core')!);
  assert.equal(sqlite.dbLocked(), false, 'idle');
  // One write holds the only core, two more requests wait for it.
  const entered = [sqlite.enter('call_flags'), sqlite.enter('call_peers'), sqlite.enter('call_join')];
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(sqlite.dbLocked(), true, 'a write in service, two waiting for the core');
  await Promise.all(entered);
  assert.equal(sqlite.dbLocked(), false, 'done');
  for (const spec of ['nc29-1core-mariadb', 'workers=8,cores=1']) {
    const c = new Capacity(parseCapacity(spec)!);
    const all = [c.enter('call_flags'), c.enter('call_peers'), c.enter('call_join')];
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(c.dbLocked(), false, spec);
    await Promise.all(all);
  }
  assert.equal(parseCapacity('workers=8,db=sqlite')!.db, 'sqlite');
  assert.throws(() => parseCapacity('db=postgres'), /capacity db must be sqlite or mariadb, got "postgres"/);
});

test('on the SQLite preset a request sequence never meets a lock error: polls one after another answer 200', async (t) => {
  const w = await startWorld({ capacity: parseCapacity('nc29-1core')!, settings: { bruteForce: 'off', signalingPullSeconds: 1 } });
  t.after(() => w.close());
  const token = await publicRoom(w.user());
  const g = await guestInCall(w, token);
  for (let i = 0; i < 5; i++) {
    assert.equal((await g.call('call_flags', { token, params: { flags: i % 2 ? 3 : 7 } })).status, 200);
    assert.equal((await g.call('signaling_poll', { token })).status, 200);
  }
});
