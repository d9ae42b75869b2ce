// `npm run gate`: the whole CI job in one command on the embedded simulator: run the fixed, seeded
// workload, then gate it against budgets and the committed baseline (results/baseline.json).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_WORKLOAD } from './gate-workload.mjs';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin', 'talkload.mjs');
const runId = `gate-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
const started = Date.now();

const run = spawnSync(process.execPath, [bin, 'run', ...GATE_WORKLOAD, '--run-id', runId, '--', '--quiet'], { stdio: 'inherit' });
if (run.status !== 0 && run.status !== 99) process.exit(run.status ?? 1);

const baseline = join(root, 'results', 'baseline.json');
const args = [bin, 'gate', join('results', runId)];
if (existsSync(baseline)) args.push('--baseline', baseline);
else console.log('gate: no results/baseline.json yet; budgets only. Accept one with: bin/talkload.mjs baseline accept results/<run-id>');
const gate = spawnSync(process.execPath, args, { stdio: 'inherit' });
console.log(`gate: done in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(gate.status ?? 1);
