// `npm run gate`: the whole CI job in one command. A/B form (the default): the fixed, seeded
// workload against two embedded simulators in alternating rounds, `talkload compare` judging B
// against A and B's budgets; for a pull request, A is the base build and B the pull request's
// (see README). `npm run gate -- --stored` instead runs the workload once and gates it against the
// committed baseline (results/baseline.json): only for a dedicated, quiet runner.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_COMPARE, GATE_WORKLOAD } from './gate-workload.mjs';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin', 'talkload.mjs');
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
const started = Date.now();
const extra = process.argv.slice(2).filter((a) => a !== '--stored');

if (!process.argv.includes('--stored')) {
  const r = spawnSync(process.execPath, [bin, 'compare', '--a', 'sim', '--b', 'sim', ...GATE_COMPARE, '--run-id', `gate-${stamp}`, ...extra], { stdio: 'inherit' });
  console.log(`gate: done in ${Math.round((Date.now() - started) / 1000)} s`);
  process.exit(r.status ?? 1);
}

const runId = `gate-${stamp}`;
const run = spawnSync(process.execPath, [bin, 'run', ...GATE_WORKLOAD, '--run-id', runId, '--', '--quiet'], { stdio: 'inherit' });
if (run.status !== 0 && run.status !== 99) process.exit(run.status ?? 1);
const baseline = join(root, 'results', 'baseline.json');
const args = [bin, 'gate', join('results', runId)];
if (existsSync(baseline)) args.push('--baseline', baseline);
else console.log('gate: no results/baseline.json yet; budgets only. Accept one with: bin/talkload.mjs baseline accept results/<run-id>');
const gate = spawnSync(process.execPath, args, { stdio: 'inherit' });
console.log(`gate: done in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(gate.status ?? 1);
