// `talkload gate RESULTS_DIR` and `talkload baseline accept RESULTS_DIR`.

import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EXIT } from '../exit-codes.ts';
import { talkloadVersion } from '../version.ts';
import { UsageError, makeDirs, parsePositiveNumber, printedHelp, readUserFile } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, helpOf, parseCommand, parseOptions } from '../common/options.ts';
import { SUMMARY_SCHEMA, aggregateSamples, hpbLatencies, sortedLatencies, xml, type RunSummary } from '../run/results.ts';
import { type Baseline, type Check, type EndpointStats, baselineMismatch, checkSummaryFields, defaultGateBudgets, evaluate, parseBaseline, parseBudgets, readJson, statsOf, withoutLatencyBudgets } from './gate.ts';

export const GATE_COMMAND = {
  about: `Usage: talkload gate RESULTS_DIR [options]

Judges a run (results/<run-id>/) against per-endpoint budgets and, optionally, a baseline.
Exit 99 when a check fails (see the exit codes below).
Writes gate.json, gate-junit.xml and gate.md into RESULTS_DIR (gate.md also to $GITHUB_STEP_SUMMARY).`,
  column: 24,
  footer: `
Besides the endpoints, the gate judges whole journeys (budgets file key "journeys": minCount,
minSuccessRate, minSelfListedRate; defaults from src/shared/budgets.ts).
`,
  positionals: true,
  options: {
    budgets: { type: 'string', arg: 'FILE', help: ['budgets JSON (default: src/shared/budgets.ts for a simulator run; for a run', 'against a real server only statuses and errors, unless given here)'] },
    baseline: { type: 'string', arg: 'FILE', help: 'baseline JSON from "talkload baseline accept"' },
    tolerance: { type: 'string', arg: 'X', default: '0.10', help: 'allowed slowdown of the median before it regresses, as a share (default {default})' },
    'tail-tolerance': { type: 'string', arg: 'X', default: '0.25', help: 'the same for p95, whose run-to-run noise is larger (default {default})' },
    'min-effect-ms': { type: 'string', arg: 'MS', default: '2', help: 'differences smaller than this never regress (default {default})' },
    'any-baseline': { type: 'boolean', default: false, help: 'compare with a baseline of another target or workload (warns; default: usage error)' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;

export const BASELINE_COMMAND = {
  about: `Usage: talkload baseline accept RESULTS_DIR [--out FILE] [--force]

Writes the baseline to commit (default results/baseline.json) from a passing run: per endpoint the
median, p95 and their spread from the run's raw samples, and what produced them (talkload version,
target, workload, the simulator's capacity model and service times), so that "talkload gate
--baseline" refuses a baseline that no longer fits.`,
  column: 16,
  positionals: true,
  options: {
    out: { type: 'string', arg: 'FILE', default: 'results/baseline.json', help: 'where to write it (default {default})' },
    force: { type: 'boolean', default: false, help: 'accept a run that failed its thresholds' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;
function readSummary(dir: string): RunSummary {
  const file = join(dir, 'summary.json');
  if (!existsSync(dir)) throw new UsageError(`no results folder ${dir}`);
  const s = readJson(file, 'run summary') as Partial<RunSummary> | null;
  if (!s || s.schema !== SUMMARY_SCHEMA || typeof s.endpoints !== 'object' || s.endpoints === null) {
    throw new UsageError(`${file} is not a talkload run summary (schema ${SUMMARY_SCHEMA})`);
  }
  checkSummaryFields(s as RunSummary, file);
  return s as RunSummary;
}

async function statsFor(dir: string, interrupted = false): Promise<Record<string, EndpointStats>> {
  const out: Record<string, EndpointStats> = {};
  const samples = join(dir, 'samples.csv.gz');
  if (!existsSync(samples)) return out;
  // A truncated or unreadable samples file is a usage error: a baseline or a verdict from part of a
  // run would look whole (issue 24 item 2). An interrupted run says so in its summary and fails.
  const agg = await aggregateSamples([samples]);
  if (agg.incomplete.length > 0 && !interrupted) throw new UsageError(`${samples} is incomplete (${agg.incomplete.map((f) => f.why).join('; ')}): refusing to judge or keep partial samples; run again`);
  // HPB steps (hpb_*) beside the endpoints: a baseline keeps them and the gate judges them alike.
  for (const [id, sorted] of [...sortedLatencies(agg), ...hpbLatencies(agg)]) out[id] = statsOf(sorted);
  return out;
}

function table(checks: readonly Check[]): string {
  const failed = checks.filter((c) => !c.ok);
  const rows = [['', 'endpoint', 'check', 'detail'], ...[...failed, ...checks.filter((c) => c.ok)].map((c) => [c.ok ? 'ok' : 'FAIL', c.endpoint, c.check, c.detail])];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]!) : c)).join('  ')).join('\n');
}

function junit(runId: string, checks: readonly Check[]): string {
  const cases = checks.map((c) =>
    c.ok
      ? `  <testcase classname="talkload.gate.${xml(c.endpoint)}" name="${c.check}"/>`
      : `  <testcase classname="talkload.gate.${xml(c.endpoint)}" name="${c.check}"><failure message="${xml(`${c.endpoint} ${c.check}: ${c.detail}`)}"/></testcase>`,
  );
  const failures = checks.filter((c) => !c.ok).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="talkload gate ${xml(runId)}" tests="${checks.length}" failures="${failures}">\n${cases.join('\n')}\n</testsuite>\n`;
}

function markdown(s: RunSummary, checks: readonly Check[], baseline: Baseline | null): string {
  const failed = checks.filter((c) => !c.ok);
  const lines = [
    `### talkload gate: ${failed.length === 0 ? 'PASS' : `FAIL (${failed.length} of ${checks.length} checks)`}`,
    '',
    `Run \`${s.runId}\` (${s.scenario}/${s.profile}, ${s.targetKind === 'simulator' ? 'embedded simulator' : s.target})${baseline ? ` against baseline \`${baseline.runId}\`` : ', budgets only (no baseline)'}.`,
    '',
  ];
  if (failed.length > 0) {
    lines.push('| endpoint | check | detail |', '|---|---|---|');
    for (const c of failed) lines.push(`| ${c.endpoint} | ${c.check} | ${c.detail} |`);
    lines.push('');
  }
  lines.push('<details><summary>All checks</summary>', '', '| | endpoint | check | detail |', '|---|---|---|---|');
  for (const c of checks) lines.push(`| ${c.ok ? '✓' : '✗'} | ${c.endpoint} | ${c.check} | ${c.detail} |`);
  lines.push('', '</details>', '');
  return lines.join('\n');
}

export async function gateCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, GATE_COMMAND);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('give exactly one RESULTS_DIR (results/<run-id>)');
  const dir = positionals[0]!;
  const summary = readSummary(dir);
  const tolerance = parsePositiveNumber(values.tolerance, '--tolerance');
  const tailTolerance = parsePositiveNumber(values['tail-tolerance'], '--tail-tolerance');
  const minEffectMs = parsePositiveNumber(values['min-effect-ms'], '--min-effect-ms');
  let budgets = defaultGateBudgets();
  if (values.budgets !== undefined) budgets = parseBudgets(readUserFile(values.budgets, 'budgets file'), values.budgets);
  else if (summary.targetKind === 'external') {
    budgets = withoutLatencyBudgets(budgets);
    process.stdout.write(`gate: ${summary.target} is a real server: no fixed latency budgets (they fit the simulator's workload); give --budgets FILE for this server's, or --baseline of it\n`);
  }
  let baseline: Baseline | null = null;
  if (values.baseline !== undefined) {
    baseline = parseBaseline(readUserFile(values.baseline, 'baseline file'), values.baseline);
    const mismatch = baselineMismatch(summary, baseline);
    if (mismatch !== null) {
      const refresh = summary.targetKind === 'simulator' ? `; refresh it: npm run gate -- --stored (or talkload run with this workload), then talkload baseline accept results/<run-id> --out ${values.baseline}` : '';
      if (!values['any-baseline']) throw new UsageError(`baseline ${values.baseline} does not fit run ${summary.runId}: ${mismatch} (compare like with like, or pass --any-baseline)${refresh}`);
      process.stdout.write(`!!! gate: baseline ${values.baseline} does not fit this run: ${mismatch}; regressions below compare unlike things\n`);
    }
  }
  const stats = await statsFor(dir, summary.interrupted === true);
  if (baseline !== null && Object.keys(stats).length === 0) throw new UsageError(`no raw samples (samples.csv.gz) in ${dir}: a baseline comparison needs them`);
  const checks = evaluate(summary, stats, budgets, baseline, { tolerance, tailTolerance, minEffectMs });
  const failed = checks.filter((c) => !c.ok);
  const verdict = failed.length === 0 ? 'pass' : 'fail';
  writeFileSync(join(dir, 'gate.json'), JSON.stringify({ schema: 'talkload.gate/v1', runId: summary.runId, baseline: baseline?.runId ?? null, tolerance, tailTolerance, minEffectMs, verdict, checks }, null, 2) + '\n');
  writeFileSync(join(dir, 'gate-junit.xml'), junit(summary.runId, checks));
  const md = markdown(summary, checks, baseline);
  writeFileSync(join(dir, 'gate.md'), md);
  const stepSummary = process.env['GITHUB_STEP_SUMMARY'];
  if (stepSummary) appendFileSync(stepSummary, md);
  process.stdout.write(`${table(checks)}\n\n`);
  for (const c of failed) process.stdout.write(`gate: FAIL ${c.endpoint} ${c.check}: ${c.detail}\n`);
  process.stdout.write(`talkload gate: ${verdict.toUpperCase()} (${failed.length} of ${checks.length} checks failed). Reports: ${relative(process.cwd(), join(dir, 'gate.md'))}, gate.json, gate-junit.xml\n`);
  return failed.length === 0 ? EXIT.pass : EXIT.verdictFail;
}

export async function baselineCommand(argv: string[]): Promise<number> {
  if (printedHelp(argv, helpOf(BASELINE_COMMAND))) return 0;
  const [verb, ...rest] = argv;
  if (verb !== 'accept') throw new UsageError(`unknown baseline action "${verb ?? ''}" (accept)`);
  const { values, positionals } = parseOptions(rest, BASELINE_COMMAND);
  if (positionals.length !== 1) throw new UsageError('give exactly one RESULTS_DIR (results/<run-id>)');
  const dir = positionals[0]!;
  const summary = readSummary(dir);
  if (summary.verdict !== 'pass' && !values.force) throw new UsageError(`run ${summary.runId} failed its thresholds; a baseline must be a passing run (or --force)`);
  const stats = await statsFor(dir);
  if (Object.keys(stats).length === 0) throw new UsageError(`no raw samples (samples.csv.gz) in ${dir}; the baseline needs them`);
  const baseline: Baseline = {
    schema: 'talkload.baseline/v1',
    acceptedAt: new Date().toISOString(),
    runId: summary.runId,
    targetKind: summary.targetKind,
    target: summary.target,
    scenario: summary.scenario,
    profile: summary.profile,
    load: summary.load,
    producedBy: { talkload: summary.talkload ?? talkloadVersion(), simulator: summary.simulator ?? null },
    endpoints: stats,
  };
  const out = values.out;
  makeDirs(dirname(out), '--out', 'baseline folder');
  writeFileSync(out, JSON.stringify(baseline, null, 2) + '\n');
  process.stdout.write(`talkload baseline: wrote ${out} from run ${summary.runId} (${Object.keys(stats).length} endpoints); commit it\n`);
  return 0;
}
