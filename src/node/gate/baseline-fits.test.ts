// The committed baseline (results/baseline.json) must fit what `npm run gate -- --stored` runs today:
// the same workload and the same simulator (capacity model, service times). A change to either
// fails here, with how to refresh it, instead of failing healthy builds later (issue 24 item 8:
// capabilities p50 76 ms vs 18 ms in a baseline accepted before the service times changed).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSimArgs, simulatorProvenance } from '../simulator/cli.ts';
import { planRun, summaryLoad } from '../run/plan.ts';
import { projectRoot } from '../run/k6-binary.ts';
import type { RunSummary } from '../run/results.ts';
import { baselineMismatch, parseBaseline } from './gate.ts';
// @ts-expect-error -- a plain .mjs module shared with scripts/gate-job.mjs
import { GATE_WORKLOAD } from '../../../scripts/gate-workload.mjs';

test('results/baseline.json fits the stored gate workload and the simulator as they are now', () => {
  const root = projectRoot();
  const file = join(root, 'results', 'baseline.json');
  const baseline = parseBaseline(readFileSync(file, 'utf8'), file);
  const plan = planRun([...(GATE_WORKLOAD as string[]), '--run-id', 'fits'], {}, root);
  const run = {
    schema: 'talkload.summary/v1',
    runId: 'fits',
    scenario: plan.scenario,
    profile: plan.profile,
    target: 'simulator',
    targetKind: 'simulator',
    load: summaryLoad(plan, 'internal'),
    simulator: simulatorProvenance(parseSimArgs(['--port', '0', ...plan.simArgs], {})),
  } as unknown as RunSummary;
  const mismatch = baselineMismatch(run, baseline);
  assert.equal(mismatch, null, `results/baseline.json no longer fits "npm run gate -- --stored": ${mismatch}. Refresh it on a quiet machine: node bin/talkload.mjs run ${(GATE_WORKLOAD as string[]).join(' ')} --run-id gate-baseline, then node bin/talkload.mjs baseline accept results/gate-baseline --out results/baseline.json`);
});
