// Every load shape, at the rates users give (fractional joins per second, several guests per VU),
// is options that real k6 accepts: k6 takes only whole iterations per time unit, and a shape it
// refuses fails at start with a Go unmarshal error instead of a load test.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROFILE_NAMES } from '../../shared/load.ts';
import { findK6 } from './k6-binary.ts';

const BUNDLE = fileURLToPath(new URL('../../../dist/k6/guest-call.js', import.meta.url));

interface Stage { target: number }
interface Scenario { executor: string; timeUnit?: string; startRate?: number; stages?: Stage[] }

function inspect(env: Record<string, string>): { code: number | null; scenario?: Scenario; stderr: string } {
  const args = ['inspect', '--execution-requirements', BUNDLE];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  const r = spawnSync(findK6().path, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { code: r.status, stderr: r.stderr };
  const opts = JSON.parse(r.stdout) as { scenarios: Record<string, Scenario> };
  return { code: 0, scenario: opts.scenarios['guests'], stderr: r.stderr };
}

const RATES: [joinRate: number, guestsPerVu: number][] = [
  [5, 1],
  [0.5, 1],
  [0.1, 1],
  [5, 4],
  [2.5, 3],
  [120, 1],
];

for (const profile of PROFILE_NAMES) {
  for (const [joinRate, guestsPerVu] of RATES) {
    test(`k6 accepts ${profile} at ${joinRate} joins/s with ${guestsPerVu} guest(s) per VU`, { timeout: 90_000 }, () => {
      const r = inspect({
        TALK_TARGET: 'http://127.0.0.1:1',
        TALK_PROFILE: profile,
        TALK_JOIN_RATE: String(joinRate),
        TALK_GUESTS_PER_VU: String(guestsPerVu),
        TALK_GUESTS: '12',
        TALK_DURATION: '2m',
      });
      assert.equal(r.code, 0, r.stderr.slice(-800));
      const sc = r.scenario!;
      if (!sc.executor.endsWith('arrival-rate')) return;
      // The peak, in joins per second of guests, is the rate asked for, to within one join a minute.
      // k6 writes the unit back as a Go duration ("1m0s").
      const unit = sc.timeUnit === '1m0s' ? 60 : sc.timeUnit === '1s' ? 1 : NaN;
      const peak = Math.max(...(sc.stages ?? []).map((st) => st.target));
      const perSecond = (peak * guestsPerVu) / unit;
      assert.ok(Math.abs(perSecond - joinRate) <= guestsPerVu / 60 + 1e-9, `${profile}: peak ${perSecond} joins/s, asked ${joinRate}`);
    });
  }
}
