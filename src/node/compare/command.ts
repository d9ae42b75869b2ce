// `talkload compare`: the same seeded workload against A and B in alternating rounds, then the
// paired verdict per endpoint (compare.ts) and B's budgets. Each round is a `talkload run` of its
// own (real k6), so a round's results are the same files as any run's.

import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RunError, UsageError, checkWritableDir, makeDirs, parsePositiveNumber, readUserFile } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, parseCommand } from '../common/options.ts';
import { parseSimArgs, parseSimArgsAs, startSimulator } from '../simulator/cli.ts';
import { EXIT } from '../exit-codes.ts';
import { defaultGateBudgets, evaluate, parseBudgets, withoutLatencyBudgets, type Check } from '../gate/gate.ts';
import { planRun } from '../run/plan.ts';
import { checkCredentials, checkSignaling, preflight } from '../run/checks.ts';
import { projectRoot } from '../run/k6-binary.ts';
import { IncompleteSamplesError, SUMMARY_SCHEMA, aggregateSamples, endpointSummaries, type EndpointSummary, hpbLatencies, hpbOf, journeysOf, requireComplete, sortedLatencies, xml, type RunSummary } from '../run/results.ts';
import { compareHtml } from '../report/compare-html.ts';
import { compareSides, type Comparison, type Side } from './compare.ts';

/** Each round's workload where the flags do not say: a short smoke round. */
const WORKLOAD_DEFAULTS: Record<string, string> = {
  profile: 'smoke',
  guests: '10',
  'call-size': '5',
  duration: '6s',
  stay: '4s',
  'flags-every': '2s',
  'peers-every': '2s',
  seed: '42',
};

export const COMPARE_COMMAND = {
  about: `Usage: talkload compare --a TARGET --b TARGET [options]

Runs the same seeded workload against A and B in alternating rounds (A B B A A B ...), so that what
a busy machine does to one it does to the other, and judges B against A per endpoint: the shift of
the median and of the p95, the error rate, statuses B answers that A never did. Exit 0 when nothing
regressed and B keeps its budgets, 99 when something did (see the exit codes below).`,
  column: 30,
  footer: `
Results: DIR/ID/compare.html (a forest plot), compare.md, compare.json, compare-junit.xml, and each round's run under rounds/;
an interrupted compare writes them too, marked interrupted, from the pairs of rounds done so far.
`,
  options: {
    a: { type: 'string', flag: '--a TARGET, --b TARGET', help: 'a Nextcloud base URL, or "sim" for an embedded simulator of its own' },
    b: { type: 'string', shownWith: 'a' },
    'a-sim-fault': { type: 'string', multiple: true, flag: '--a-sim-fault F, --b-sim-fault F', help: "faults of that side's simulator (repeatable; see talkload sim)" },
    'b-sim-fault': { type: 'string', multiple: true, shownWith: 'a-sim-fault' },
    'sim-capacity': { type: 'string', arg: 'C', help: 'capacity model of both simulators (see talkload sim)' },
    'a-sim-capacity': { type: 'string', flag: '--a-sim-capacity C, --b-sim-capacity C', help: 'capacity model of one side\'s simulator' },
    'b-sim-capacity': { type: 'string', shownWith: 'a-sim-capacity' },
    'sim-compat': { type: 'string', arg: 'VERSION', help: 'both simulators answer as this Talk version (latest, talk19)' },
    'sim-signaling': { type: 'string', arg: 'MODE', help: ['external: both simulators with an HPB (the emulator), guests over WebSockets;', 'the HPB steps (hello, room join, propagation) are compared like endpoints'] },
    'a-sim-hpb-fault': { type: 'string', multiple: true, flag: '--a-sim-hpb-fault F, --b-sim-hpb-fault F', help: "faults of that side's HPB emulator (drop-pings, fanout-delay:MS, close:MS, no-welcome)" },
    'b-sim-hpb-fault': { type: 'string', multiple: true, shownWith: 'a-sim-hpb-fault' },
    user: { type: 'string', flag: '--user ID, --password-file F', help: 'moderator account on URL targets (the same on both)' },
    'password-file': { type: 'string', shownWith: 'user' },
    'ring-user': { type: 'string', arg: 'ID', help: ['user added to each conversation and rung, on URL targets (simulators:', 'participant1); without it the workload does not ring and nothing judges rings'] },
    'allow-target': { type: 'string', arg: 'HOST', multiple: true, help: 'load-test a non-loopback host (repeatable: one per side)' },
    rounds: { type: 'string', arg: 'N', default: '6', help: 'rounds per side (default {default}, at least 4)' },
    schedule: { type: 'string', arg: 'S', default: 'alternate', help: ['alternate: A and B one after another, ABBA (default); together: each', 'pair of rounds at the same time, both sides under the same load'] },
    'min-effect-pct': { type: 'string', arg: 'P', default: '5', help: "changes below P % of A's figure are no change (default {default})" },
    'min-effect-ms': { type: 'string', arg: 'M', default: '2', help: 'changes below M ms are no change (default {default})' },
    budgets: { type: 'string', arg: 'FILE', help: ["budgets B's figures must keep (default: src/shared/budgets.ts for a simulator;", 'for a URL target only statuses and errors, as fixed latency budgets fit no', "particular server: give that server's budgets here)"] },
    out: { type: 'string', default: 'results', flag: '--out DIR, --run-id ID', help: 'results in DIR/ID (default results/, a time-stamped id)' },
    'run-id': { type: 'string', shownWith: 'out' },
    profile: { type: 'string', arg: 'P', help: `workload of each round, as for talkload run (default ${WORKLOAD_DEFAULTS['profile']})` },
    guests: { type: 'string', arg: 'N', help: `guests of each round (default ${WORKLOAD_DEFAULTS['guests']})` },
    'call-size': { type: 'string', arg: 'N', help: `guests per call (default ${WORKLOAD_DEFAULTS['call-size']})` },
    duration: { type: 'string', arg: 'D', help: `length of each round (default ${WORKLOAD_DEFAULTS['duration']})` },
    stay: { type: 'string', arg: 'D', help: `each guest's stay (default ${WORKLOAD_DEFAULTS['stay']})` },
    'flags-every': { type: 'string', arg: 'D', help: `time between flag changes (default ${WORKLOAD_DEFAULTS['flags-every']})` },
    'peers-every': { type: 'string', arg: 'D', help: `time between GET /call polls (default ${WORKLOAD_DEFAULTS['peers-every']})` },
    seed: { type: 'string', arg: 'S', help: `seed of the guests' choices and the simulators' faults (default ${WORKLOAD_DEFAULTS['seed']})` },
    'no-moderator': { type: 'boolean', default: false, help: 'guests only' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;
interface SideSpec {
  readonly name: 'A' | 'B';
  /** URL, or null for an embedded simulator. */
  readonly url: string | null;
  readonly simArgs: string[];
}

export interface CompareReport {
  readonly schema: 'talkload.compare/v1';
  readonly runId: string;
  readonly a: string;
  readonly b: string;
  readonly rounds: number;
  readonly order: string;
  readonly workload: string[];
  readonly minEffectPct: number;
  readonly minEffectMs: number;
  readonly verdict: 'pass' | 'fail';
  readonly comparisons: Comparison[];
  readonly budgets: Check[];
  /** Stopped by a signal: the comparisons cover the pairs of rounds done before it. */
  readonly interrupted?: { readonly pairsDone: number };
}


function parseSide(name: 'A' | 'B', text: string | undefined, faults: string[], capacity: string | undefined, compat: string | undefined, signaling?: string, hpbFaults: string[] = [], sharedCapacity = false): SideSpec {
  if (text === undefined) throw new UsageError(`--${name.toLowerCase()} is missing: give a Nextcloud base URL or "sim"`);
  const simArgs: string[] = [];
  for (const f of faults) simArgs.push('--fault', f);
  if (capacity !== undefined) simArgs.push('--capacity', capacity);
  if (compat !== undefined) simArgs.push('--compat', compat);
  if (signaling !== undefined) simArgs.push('--signaling', signaling);
  for (const f of hpbFaults) simArgs.push('--hpb-fault', f);
  if (text === 'sim') {
    // Bad faults or capacities are usage errors before anything starts, naming the flag as typed.
    const x = name.toLowerCase();
    parseSimArgsAs(simArgs, { fault: `${x}-sim-fault`, capacity: sharedCapacity ? 'sim-capacity' : `${x}-sim-capacity`, compat: 'sim-compat', signaling: 'sim-signaling', 'hpb-fault': `${x}-sim-hpb-fault` });
    return { name, url: null, simArgs };
  }
  if (simArgs.length > 0) throw new UsageError(`--${name.toLowerCase()}-sim-* flags apply to an embedded simulator only (--${name.toLowerCase()} sim)`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--${name.toLowerCase()} "${text}" is not a URL or "sim"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--${name.toLowerCase()} must be http or https, got ${url.protocol}`);
  return { name, url: url.origin + url.pathname.replace(/\/+$/, ''), simArgs };
}

/** A B B A A B ...: each pair in the opposite order of the one before, so a linear drift cancels. */
export function roundOrder(rounds: number): ('A' | 'B')[] {
  const out: ('A' | 'B')[] = [];
  for (let i = 0; i < rounds; i++) out.push(...((i % 2 === 0 ? ['A', 'B'] : ['B', 'A']) as ('A' | 'B')[]));
  return out;
}

/** Rounds that are running, for a signal to reach each once (see Interrupts in run/command.ts). */
const running = new Set<ChildProcess>();
let interrupted = false;

function onSignal(sig: NodeJS.Signals): void {
  if (!interrupted) process.stderr.write(`\ntalkload compare: ${sig}: stopping the rounds that run (each cleans up); no verdict\n`);
  interrupted = true;
  for (const c of running) c.kill('SIGINT');
}

function runRound(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; tail: string }> {
  return new Promise((resolveRound, reject) => {
    const bin = join(projectRoot(), 'bin', 'talkload.mjs');
    // Its own process group: a terminal's Ctrl-C reaches compare, which passes it on once.
    const child = spawn(process.execPath, [bin, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    running.add(child);
    let tail = '';
    const keep = (d: Buffer): void => {
      tail = (tail + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      resolveRound({ code, tail });
    });
  });
}

async function sideOf(files: string[]): Promise<{ side: Side; summary: RunSummary }> {
  const agg = requireComplete(await aggregateSamples(files), 'compare');
  const endpoints = endpointSummaries(agg);
  const summary: RunSummary = {
    schema: SUMMARY_SCHEMA,
    runId: 'merged',
    scenario: 'guest-call',
    profile: 'smoke',
    target: '',
    targetKind: 'external',
    startedAt: new Date().toISOString(),
    durationSeconds: 0,
    load: {},
    k6: { version: '', exitCode: 0 },
    endpoints,
    journeys: journeysOf(agg),
    ...(hpbOf(agg) ? { hpb: hpbOf(agg)! } : {}),
    thresholds: [],
    verdict: 'pass',
  };
  // HPB steps (hpb_*) are compared like endpoints: their samples, paired by round.
  const latencies = sortedLatencies(agg);
  const sideEndpoints: Record<string, EndpointSummary> = { ...endpoints };
  for (const [id, s] of hpbLatencies(agg)) {
    latencies.set(id, s);
    sideEndpoints[id] = { requests: s.length, statuses: {}, unexpected: 0, unexpectedStatuses: {}, throttled: 0, tooManyRequests: 0, latencyMs: { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 } };
  }
  return { side: { latencies, endpoints: sideEndpoints }, summary };
}

function table(rows: readonly Comparison[]): string {
  const shown = [...rows.filter((c) => c.verdict !== 'no change'), ...rows.filter((c) => c.verdict === 'no change')];
  const cells = [['endpoint', 'measure', 'verdict', 'detail'], ...shown.map((c) => [c.endpoint, c.measure, c.verdict, c.detail])];
  const w = [0, 1, 2].map((i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]!) : c)).join('  ')).join('\n');
}

function markdown(r: CompareReport): string {
  const bad = r.comparisons.filter((c) => c.verdict === 'regressed');
  const badBudgets = r.budgets.filter((c) => !c.ok);
  const lines = [
    `### talkload compare: ${r.interrupted ? `INTERRUPTED after ${r.interrupted.pairsDone} of ${r.rounds} pairs of rounds (partial)` : r.verdict === 'pass' ? 'PASS' : `FAIL (${bad.length} regressed, ${badBudgets.length} budgets broken)`}`,
    '',
    `B \`${r.b}\` against A \`${r.a}\`, ${r.rounds} rounds each in the order ${r.order}; minimum effect ${r.minEffectPct} % and ${r.minEffectMs} ms.`,
    '',
    '| endpoint | measure | verdict | detail |',
    '|---|---|---|---|',
    ...r.comparisons.filter((c) => c.verdict !== 'no change').map((c) => `| ${c.endpoint} | ${c.measure} | **${c.verdict}** | ${c.detail} |`),
  ];
  if (badBudgets.length > 0) {
    lines.push('', 'Budgets B broke:', '', '| endpoint | check | detail |', '|---|---|---|', ...badBudgets.map((c) => `| ${c.endpoint} | ${c.check} | ${c.detail} |`));
  }
  lines.push('', '<details><summary>All comparisons</summary>', '', '| endpoint | measure | verdict | detail |', '|---|---|---|---|');
  for (const c of r.comparisons) lines.push(`| ${c.endpoint} | ${c.measure} | ${c.verdict} | ${c.detail} |`);
  lines.push('', '</details>', '');
  return lines.join('\n');
}

function junit(r: CompareReport): string {
  const cases = [
    ...r.comparisons.map((c) =>
      c.verdict === 'regressed'
        ? `  <testcase classname="talkload.compare.${xml(c.endpoint)}" name="${c.measure}"><failure message="${xml(`${c.endpoint} ${c.measure}: ${c.detail}`)}"/></testcase>`
        : `  <testcase classname="talkload.compare.${xml(c.endpoint)}" name="${c.measure}"/>`,
    ),
    ...r.budgets.map((c) =>
      c.ok
        ? `  <testcase classname="talkload.compare.budget.${xml(c.endpoint)}" name="${c.check}"/>`
        : `  <testcase classname="talkload.compare.budget.${xml(c.endpoint)}" name="${c.check}"><failure message="${xml(`${c.endpoint} ${c.check}: ${c.detail}`)}"/></testcase>`,
    ),
  ];
  if (r.interrupted) cases.push(`  <testcase classname="talkload.compare" name="complete"><failure message="interrupted after ${r.interrupted.pairsDone} of ${r.rounds} pairs of rounds"/></testcase>`);
  const failures = r.comparisons.filter((c) => c.verdict === 'regressed').length + r.budgets.filter((c) => !c.ok).length + (r.interrupted ? 1 : 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="talkload compare ${xml(r.runId)}" tests="${cases.length}" failures="${failures}">\n${cases.join('\n')}\n</testsuite>\n`;
}

/** compare.json, compare.md, compare.html and compare-junit.xml; returns the markdown. */
function writeReports(outDir: string, report: CompareReport): string {
  writeFileSync(join(outDir, 'compare.json'), JSON.stringify(report, null, 2) + '\n');
  const md = markdown(report);
  writeFileSync(join(outDir, 'compare.md'), md);
  writeFileSync(join(outDir, 'compare.html'), compareHtml(report));
  writeFileSync(join(outDir, 'compare-junit.xml'), junit(report));
  return md;
}

export async function compareCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, COMPARE_COMMAND);
  if (parsed === null) return 0;
  const { values } = parsed;

  const a = parseSide('A', values.a, values['a-sim-fault'] ?? [], values['a-sim-capacity'] ?? values['sim-capacity'], values['sim-compat'], values['sim-signaling'], values['a-sim-hpb-fault'], values['a-sim-capacity'] === undefined);
  const b = parseSide('B', values.b, values['b-sim-fault'] ?? [], values['b-sim-capacity'] ?? values['sim-capacity'], values['sim-compat'], values['sim-signaling'], values['b-sim-hpb-fault'], values['b-sim-capacity'] === undefined);
  if (a.url !== null && a.url === b.url) throw new UsageError(`--a and --b are the same target (${a.url}): compare two servers`);
  const rounds = parsePositiveNumber(values.rounds, '--rounds', { integer: true, min: 4, max: 100 });
  if (values.schedule !== 'alternate' && values.schedule !== 'together') throw new UsageError(`--schedule must be alternate or together, got "${values.schedule}"`);
  const minEffectPct = parsePositiveNumber(values['min-effect-pct'], '--min-effect-pct', { max: 1000 });
  const minEffectMs = parsePositiveNumber(values['min-effect-ms'], '--min-effect-ms');
  // Fixed latency budgets suit the simulator's workload, not a given server (issue 24 item 9: an A/A
  // compare of a real 2-core server broke them on identical builds): against a URL, B keeps its
  // statuses and errors; its latency budgets come from the user's file.
  const budgets = values.budgets === undefined ? (b.url === null ? defaultGateBudgets() : withoutLatencyBudgets(defaultGateBudgets())) : parseBudgets(readUserFile(values.budgets, 'budgets file'), values.budgets);
  const ringUser = values['ring-user'] ?? '';
  if (ringUser !== '' && !/^[A-Za-z0-9_.@-]{1,64}$/.test(ringUser)) throw new UsageError(`--ring-user "${ringUser}" is not a Nextcloud user id`);
  const root = projectRoot();

  const workload: string[] = [];
  for (const [flag, dflt] of Object.entries(WORKLOAD_DEFAULTS)) workload.push(`--${flag}`, (values as unknown as Record<string, string | undefined>)[flag] ?? dflt);
  if (values['no-moderator']) workload.push('--no-moderator');
  // The workload's flags are checked here, once, as talkload run checks them.
  const user = values.user ?? '';
  let password = '';
  if (values['password-file'] !== undefined) password = readUserFile(values['password-file'], '--password-file').replace(/\r?\n$/, '');
  if ((a.url !== null || b.url !== null) && (user === '' || password === '')) throw new UsageError('a URL target needs --user and --password-file (the moderator creates the conversations)');
  const allowFor = (url: string): string[] => {
    const host = new URL(url).hostname;
    return (values['allow-target'] ?? []).includes(host) ? ['--allow-target', host] : [];
  };
  for (const side of [a, b]) {
    if (side.url !== null) planRun([...workload, '--target', side.url, '--user', user, ...allowFor(side.url)], { TALKLOAD_PASSWORD: password || 'x' }, root);
  }
  planRun(workload, {}, root);

  const runId = values['run-id'] ?? `compare-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
  if (!/^[A-Za-z0-9._-]{1,80}$/.test(runId)) throw new UsageError(`--run-id "${runId}" may only use letters, digits, '.', '_' and '-'`);
  const outDir = resolve(values.out, runId);
  if (existsSync(outDir)) throw new UsageError(`results folder ${relative(process.cwd(), outDir)} exists already; choose another --run-id`);
  checkWritableDir(outDir, '--out');

  const stops: (() => Promise<void>)[] = [];
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const urls: Record<'A' | 'B', string> = { A: '', B: '' };
    const creds: Record<'A' | 'B', { user: string; password: string }> = { A: { user, password }, B: { user, password } };
    for (const side of [a, b]) {
      if (side.url === null) {
        const { sim, url } = await startSimulator(parseSimArgs(['--port', '0', ...side.simArgs], {}));
        stops.push(() => sim.close());
        urls[side.name] = url;
        creds[side.name] = { user: 'admin', password: 'admin' };
      } else {
        urls[side.name] = side.url;
      }
    }
    // Both targets and both sets of credentials before the first round (a refused password on B was
    // found after A's whole round): unreachable is 1, refused credentials 2, as for talkload run.
    for (const side of [a, b]) {
      const url = urls[side.name];
      try {
        await preflight(url);
        if (side.url !== null) await checkCredentials(url, creds[side.name].user, creds[side.name].password);
        await checkSignaling(url, 'auto');
      } catch (e) {
        if (e instanceof UsageError) throw new UsageError(`${side.name}: ${e.message}`);
        if (e instanceof RunError) throw new RunError(`${side.name}: ${e.message}`, e.exitCode);
        throw e;
      }
    }
    makeDirs(join(outDir, 'rounds'), '--out');
    const order = roundOrder(rounds);
    const files: Record<'A' | 'B', string[]> = { A: [], B: [] };
    const started = Date.now();
    const together = values.schedule === 'together';
    process.stdout.write(`talkload compare: ${rounds} rounds each of B (${values.b}) and A (${values.a}), ${together ? 'each pair at the same time' : `one after another, order ${order.join('')}`}\n`);
    let done = 0;
    const runOne = async (i: number, name: 'A' | 'B'): Promise<void> => {
      const id = `${String(i + 1).padStart(2, '0')}-${name}`;
      if (interrupted) throw new RunError(`interrupted before round ${id}; the rounds so far are in ${relative(process.cwd(), join(outDir, 'rounds'))}`, 105);
      const spec = name === 'A' ? a : b;
      const args = [...workload, '--target', urls[name], '--user', creds[name].user, '--out', join(outDir, 'rounds'), '--run-id', id];
      if (spec.url === null) args.push('--ring-user', 'participant1');
      else if (ringUser !== '') args.push('--ring-user', ringUser);
      if (spec.url !== null) args.push(...allowFor(spec.url));
      args.push('--', '--quiet');
      // The password goes by environment, never on a command line (process titles are public).
      const { code, tail } = await runRound(args, { ...process.env, TALKLOAD_PASSWORD: creds[name].password });
      if (interrupted) throw new RunError(`interrupted in round ${id}; the rounds so far are in ${relative(process.cwd(), join(outDir, 'rounds'))}`, 105);
      if (code !== 0 && code !== 99) throw new RunError(`round ${id} failed (exit ${code}): ${tail.trim().split('\n').pop() ?? ''}`);
      done++;
      process.stdout.write(`talkload compare: round ${id} done (${done}/${order.length}), ${Math.round((Date.now() - started) / 1000)} s\n`);
    };
    let stoppedBy: RunError | null = null;
    try {
      for (let p = 0; p < rounds; p++) {
        const pair = order.slice(2 * p, 2 * p + 2);
        const id = (name: 'A' | 'B'): number => 2 * p + pair.indexOf(name);
        if (together) {
          // Both rounds end (an interrupted one cleans up) before any error is thrown.
          const settled = await Promise.allSettled(pair.map((name) => runOne(id(name), name)));
          const failed = settled.find((r) => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
        if (!together) for (const name of pair) await runOne(id(name), name);
        for (const name of ['A', 'B'] as const) files[name].push(join(outDir, 'rounds', `${String(id(name) + 1).padStart(2, '0')}-${name}`, 'samples.csv.gz'));
      }
    } catch (e) {
      // Interrupted: the report is still written, from the pairs of rounds done, and says so.
      if (!(e instanceof RunError) || e.exitCode !== EXIT.interrupted) throw e;
      stoppedBy = e;
    }
    const pairsDone = files.A.length;
    if (stoppedBy !== null && pairsDone === 0) {
      const report: CompareReport = { schema: 'talkload.compare/v1', runId, a: values.a!, b: values.b!, rounds, order: order.join(''), workload, minEffectPct, minEffectMs, verdict: 'fail', comparisons: [], budgets: [], interrupted: { pairsDone } };
      writeReports(outDir, report);
      throw new RunError(`${stoppedBy.message}; no pair of rounds was complete, nothing compared (${relative(process.cwd(), join(outDir, 'compare.md'))})`, EXIT.interrupted);
    }

    let A, B;
    const pairs: [Side, Side][] = [];
    try {
      A = await sideOf(files.A);
      B = await sideOf(files.B);
      for (let i = 0; i < pairsDone; i++) pairs.push([(await sideOf([files.A[i]!])).side, (await sideOf([files.B[i]!])).side]);
    } catch (e) {
      if (e instanceof IncompleteSamplesError) throw new UsageError(e.message);
      throw e;
    }
    const comparisons = compareSides(A.side, B.side, { minEffectPct: minEffectPct / 100, minEffectMs }, pairs);
    // B's budgets know the workload: without the moderator there are no rings or participant lists,
    // without a ring user no rings.
    B.summary.load = { moderator: !workload.includes('--no-moderator'), ring: b.url === null || ringUser !== '' };
    const budgetChecks = evaluate(B.summary, {}, budgets, null, { tolerance: 0, tailTolerance: 0, minEffectMs });
    const regressed = comparisons.filter((c) => c.verdict === 'regressed');
    const broken = budgetChecks.filter((c) => !c.ok);
    const report: CompareReport = {
      schema: 'talkload.compare/v1',
      runId,
      a: values.a!,
      b: values.b!,
      rounds,
      order: together ? `${'(AB)'.repeat(rounds)}` : order.join(''),
      workload,
      minEffectPct,
      minEffectMs,
      verdict: stoppedBy === null && regressed.length === 0 && broken.length === 0 ? 'pass' : 'fail',
      comparisons,
      budgets: budgetChecks,
      ...(stoppedBy !== null ? { interrupted: { pairsDone } } : {}),
    };
    const md = writeReports(outDir, report);
    const stepSummary = process.env['GITHUB_STEP_SUMMARY'];
    if (stepSummary) appendFileSync(stepSummary, md);
    process.stdout.write(`\n${table(comparisons)}\n\n`);
    for (const c of regressed) process.stdout.write(`compare: FAIL ${c.endpoint} ${c.measure}: ${c.detail}\n`);
    for (const c of broken) process.stdout.write(`compare: FAIL ${c.endpoint} ${c.check} (budget of B): ${c.detail}\n`);
    const shown = relative(process.cwd(), outDir);
    if (stoppedBy !== null) {
      process.stdout.write(`talkload compare: INTERRUPTED after ${pairsDone} of ${rounds} pairs of rounds; partial reports: ${shown}/compare.md, compare.json, compare-junit.xml\n`);
      return EXIT.interrupted;
    }
    process.stdout.write(`talkload compare: ${report.verdict.toUpperCase()} (${regressed.length} regressed, ${broken.length} budgets broken) in ${Math.round((Date.now() - started) / 1000)} s. Reports: ${shown}/compare.html, compare.md, compare.json, compare-junit.xml\n`);
    return report.verdict === 'pass' ? EXIT.pass : EXIT.verdictFail;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const stop of stops) await stop();
  }
}
