// `talkload run`: validates everything up front (plan.ts), starts the embedded simulator when no
// target is given, checks the target (checks.ts), runs k6 on the bundled scenario (interrupts.ts),
// cleans up the conversations (conversations.ts) and writes results/<run-id>/ (results.ts).

import { existsSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { checkCredentials, checkRemoteWrite, checkSignaling, HPB_NOTIFY_HINT, preflight, remoteWriteNote } from './checks.ts';
import { EXIT, K6_EXIT_CODES, exitForK6 } from '../exit-codes.ts';
import { RunError, UsageError, checkWritableDir, formatDuration, makeDirs, printedHelp } from '../common/usage.ts';
import { helpOf } from '../common/options.ts';
import { parseSimArgs, simulatorProvenance, startSimulator } from '../simulator/cli.ts';
import { talkloadVersion } from '../version.ts';
import { writeRunReport } from '../report/command.ts';
import { findK6, projectRoot } from './k6-binary.ts';
import { segment, segmentSequence } from '../../shared/segments.ts';
import { thresholdSpec } from '../../shared/thresholds.ts';
import { isArrivalRate, peakGuests } from '../../shared/load.ts';
import { RUN_COMMAND, planRun, summaryLoad } from './plan.ts';
import { Interrupts } from './interrupts.ts';
import { type SideRequest, createRooms, ensureDeleted, sweepRunRooms } from './conversations.ts';
import {
  SUMMARY_SCHEMA,
  addRequest,
  aggregateSamples,
  findingLines,
  incompleteText,
  endpointSummaries,
  journeysOf,
  hpbOf,
  junit,
  markdown,
  evaluateThresholds,
  readThresholds,
  setupData,
  statusText,
  textTable,
  throttlingWarning,
  type RunSummary,
} from './results.ts';

export async function runCommand(argv: string[]): Promise<number> {
  if (printedHelp(argv, helpOf(RUN_COMMAND))) return 0;
  const root = projectRoot();
  const plan = planRun(argv, process.env, root);
  const outDir = resolve(plan.outDir, plan.runId);
  if (existsSync(outDir)) throw new UsageError(`results folder ${relative(process.cwd(), outDir)} exists already; choose another --run-id`);
  checkWritableDir(outDir, '--out');

  const interrupts = new Interrupts();
  let stopSim: (() => Promise<void>) | null = null;
  let target = plan.target;
  let simulator: Record<string, unknown> | undefined;
  if (target === null) {
    const simOpts = parseSimArgs(['--port', '0', ...plan.simArgs], {});
    simulator = simulatorProvenance(simOpts);
    const { sim, url } = await startSimulator(simOpts);
    stopSim = () => sim.close();
    target = url;
    process.stdout.write(`talkload: embedded Talk simulator on ${url}${sim.external ? `, external signaling (HPB ${sim.external.config.hpbUrl}${simOpts.embeddedHpb ? ', emulator' : ''})` : ''}\n`);
  }
  try {
    await preflight(target);
    if (plan.target !== null && plan.user !== '') await checkCredentials(target, plan.user, plan.password);
    // What the server says decides the guests' signaling, before any load (auto resolves here, so
    // that k6 judges only the thresholds of the mode the run uses).
    const targetSignaling = await checkSignaling(target, plan.signaling);
    const signaling = plan.signaling === 'auto' ? (targetSignaling.mode === 'external' ? 'hpb' : 'internal') : plan.signaling;
    if (plan.prometheus !== null) await checkRemoteWrite(plan.prometheus);
    const k6 = findK6();
    makeDirs(outDir, '--out');
    const files = {
      summaryJson: join(outDir, 'summary.json'),
      summaryMd: join(outDir, 'summary.md'),
      report: join(outDir, 'report.html'),
      junit: join(outDir, 'junit.xml'),
      k6Summary: join(outDir, 'k6-summary.json'),
      samples: join(outDir, 'samples.csv.gz'),
    };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TALK_TARGET: target,
      TALK_USER: plan.user,
      TALK_PASSWORD: plan.password,
      TALK_RUN_ID: plan.runId,
      TALK_PROFILE: plan.profile,
      TALK_GUESTS: String(plan.guests),
      TALK_CALL_SIZE: String(plan.callSize),
      TALK_JOIN_RATE: String(plan.joinRate),
      TALK_DURATION: `${plan.durationSeconds}s`,
      TALK_STAY: `${plan.staySeconds}s`,
      TALK_FLAGS_EVERY: `${plan.flagsEverySeconds}s`,
      TALK_PEERS_EVERY: `${plan.peersEverySeconds}s`,
      TALK_CHAT: String(plan.chat),
      TALK_CHAT_EVERY: `${plan.chatEverySeconds}s`,
      TALK_RING_USER: plan.ringUser,
      TALK_CHAOS: String(plan.chaos),
      TALK_MODERATOR: String(plan.moderator),
      TALK_ROOMS: plan.rooms.join(','),
      TALK_SEED: String(plan.seed),
      TALK_GUESTS_PER_VU: String(plan.guestsPerVu),
      TALK_SIGNALING: signaling,
      // talkload writes its own report.html (src/node/report/): k6's web dashboard plotted the held
      // long-polls with every request (a p95 of seconds beside a PASS), so it stays off.
      K6_WEB_DASHBOARD: 'false',
      K6_NO_USAGE_REPORT: 'true',
      ...(plan.prometheus !== null
        ? {
            K6_PROMETHEUS_RW_SERVER_URL: `${plan.prometheus}/api/v1/write`,
            // Native histograms: percentiles can be aggregated across runs and endpoints.
            K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: 'true',
            K6_PROMETHEUS_RW_PUSH_INTERVAL: '2s',
          }
        : {}),
    };
    delete env['TALKLOAD_PASSWORD'];
    const n = plan.instances;
    // Several processes share one set of conversations, created here, so calls keep their size.
    let shared: string[] = [];
    /** Requests talkload made itself (shared conversations), merged into the summary's rows. */
    const sideRequests: SideRequest[] = [];
    const peak = peakGuests(plan.profile, { guests: plan.guests, joinRate: plan.joinRate, duration: plan.durationSeconds, stay: plan.staySeconds });
    if (n > 1 && plan.rooms.length === 0) {
      const count = Math.max(1, Math.ceil(peak / plan.callSize));
      shared = await createRooms(target, plan, count, sideRequests, targetSignaling.mode);
      env['TALK_ROOMS'] = shared.join(',');
    }
    const instanceFile = (base: string, i: number): string => (n === 1 ? base : base.replace(/(\.[a-z]+(\.gz)?)$/, `-${i}$1`));
    const argsFor = (i: number): string[] => [
      'run',
      '--tag', `testid=${plan.runId}`,
      '--out', `csv=${instanceFile(files.samples, i)}`,
      '--summary-export', instanceFile(files.k6Summary, i),
      ...(n > 1 ? ['--execution-segment', segment(i, n), '--execution-segment-sequence', segmentSequence(n)] : []),
      // One progress display is enough.
      ...(i > 0 ? ['--quiet'] : []),
      ...(plan.prometheus !== null ? ['--out', 'experimental-prometheus-rw'] : []),
      ...plan.k6Args,
      join(root, 'dist', 'k6', `${plan.scenario}.js`),
    ];
    if (interrupts.interrupted) {
      if (shared.length > 0) await ensureDeleted(target, plan.user, plan.password, shared, shared.length);
      throw new RunError('interrupted before k6 started; nothing was run', EXIT.interrupted);
    }
    const startedAt = new Date();
    const guestsText = isArrivalRate(plan.profile) ? `up to ${peak} guests at once (${plan.joinRate} joins/s at the peak)` : `${plan.guests} guests`;
    process.stdout.write(`talkload: run ${plan.runId}: ${plan.scenario}/${plan.profile}, ${guestsText}, calls of ${plan.callSize}, ${signaling} signaling, ${formatDuration(plan.durationSeconds)}; k6 ${k6.version}${n > 1 ? `, ${n} k6 processes (execution segments)` : ''}\n`);
    const codes = await Promise.all(Array.from({ length: n }, (_, i) => interrupts.runK6(k6.path, argsFor(i), env)));
    const interrupted = interrupts.interrupted;
    const failedCode = interrupted ? EXIT.interrupted : codes.map(exitForK6).find((c) => c !== 0 && c !== 99);

    const created = [...shared, ...codes.flatMap((_, i) => setupData(instanceFile(files.k6Summary, i))?.created ?? [])];
    if (created.length > 0) await ensureDeleted(target, plan.user, plan.password, created, shared.length, sideRequests);
    // An aborted k6 wrote no setup data: find the run's conversations by their names.
    if (plan.target !== null && plan.user !== '' && (interrupted || failedCode !== undefined)) await sweepRunRooms(target, plan, created);

    const k6Judged = n === 1 && existsSync(files.k6Summary);
    if (!interrupted && !existsSync(instanceFile(files.k6Summary, 0))) {
      const code = failedCode ?? EXIT.failure;
      const why = K6_EXIT_CODES[code] ? ` (${K6_EXIT_CODES[code]})` : '';
      // Talk with an HPB answers 500 to a room creation when its notification to the HPB fails.
      const hint = targetSignaling.mode === 'external' ? `. If k6 says a conversation creation gave status 500: ${HPB_NOTIFY_HINT}` : '';
      throw new RunError(`k6 stopped before the test ran (exit ${codes[0]}${why}); see its output above${hint}. Partial results: ${relative(process.cwd(), outDir)}`, code);
    }
    const agg = await aggregateSamples(codes.map((_, i) => instanceFile(files.samples, i)));
    for (const r of sideRequests) addRequest(agg, r);
    // One process: k6's own verdict. Several, or an aborted k6: judge the merged samples.
    const thresholds = k6Judged ? readThresholds(files.k6Summary) : evaluateThresholds(thresholdSpec({ profile: plan.profile, moderator: plan.moderator, signaling }), agg);
    // Samples cut short without an interrupt (a full disk, a k6 that died): the run says so and fails.
    const incomplete = agg.incomplete;
    const exitCode = failedCode ?? (incomplete.length > 0 ? EXIT.failure : n === 1 ? exitForK6(codes[0] ?? 1) : thresholds.every((t) => t.ok) ? 0 : 99);
    const summary: RunSummary = {
      schema: SUMMARY_SCHEMA,
      runId: plan.runId,
      scenario: plan.scenario,
      profile: plan.profile,
      target: plan.target ?? 'simulator',
      targetKind: plan.target === null ? 'simulator' : 'external',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      load: summaryLoad(plan, signaling),
      k6: { version: k6.version, exitCode },
      talkload: talkloadVersion(),
      ...(simulator ? { simulator } : {}),
      endpoints: endpointSummaries(agg),
      journeys: journeysOf(agg),
      ...(hpbOf(agg) ? { hpb: hpbOf(agg)! } : {}),
      thresholds,
      ...(interrupted ? { interrupted: true } : {}),
      ...(incomplete.length > 0 ? { incompleteSamples: incomplete.map((f) => `${relative(outDir, f.file)}: ${f.why}`) } : {}),
      verdict: exitCode === 0 && thresholds.every((t) => t.ok) ? 'pass' : 'fail',
    };
    const shown: Record<string, string> = {};
    for (const [k, v] of Object.entries(files)) if (existsSync(v) || k === 'summaryJson' || k === 'summaryMd' || k === 'junit') shown[k] = relative(process.cwd(), v);
    shown['report'] = relative(process.cwd(), files.report);
    writeFileSync(files.summaryJson, JSON.stringify(summary, null, 2) + '\n');
    writeFileSync(files.summaryMd, markdown(summary, shown));
    writeFileSync(files.junit, junit(summary));
    // The report comes last: whatever happens to it, the summary is written already.
    let reportNote = shown['report'];
    try {
      await writeRunReport(outDir, summary, codes.map((_, i) => instanceFile(files.samples, i)), agg);
    } catch (e) {
      reportNote = `no report.html (${e instanceof Error ? e.message : String(e)}); rebuild it with: talkload report ${relative(process.cwd(), outDir)}`;
    }

    process.stdout.write(`\n${textTable(summary)}\n\n`);
    const warning = throttlingWarning(summary);
    if (warning) process.stdout.write(`!!! ${warning}\n\n`);
    if (plan.prometheus !== null) {
      const note = await remoteWriteNote(plan.prometheus, plan.runId);
      if (note) process.stdout.write(`!!! ${note}\n\n`);
    }
    const broken = thresholds.filter((t) => !t.ok);
    for (const t of broken) process.stdout.write(`threshold broken: ${t.endpoint ? `[${t.endpoint}] ` : ''}${t.metric} ${t.expression}\n`);
    for (const [id, e] of Object.entries(summary.endpoints)) {
      if (e.unexpected > 0) process.stdout.write(`unexpected statuses on ${id}: ${statusText(e.unexpectedStatuses)}\n`);
    }
    for (const line of findingLines(summary)) process.stdout.write(`${line}\n`);
    if (targetSignaling.mode === 'external') {
      for (const id of ['room_create', 'room_list']) if ((summary.endpoints[id]?.statuses['500'] ?? 0) > 0) process.stdout.write(`${id} answered 500: ${HPB_NOTIFY_HINT}\n`);
    }
    const verdictWord = interrupted ? 'INTERRUPTED (partial results)' : incomplete.length > 0 ? 'FAIL (samples incomplete: the figures cover part of the run)' : summary.verdict.toUpperCase();
    process.stdout.write(`talkload: ${verdictWord}. Results in ${relative(process.cwd(), outDir)}/ (open ${reportNote}; text: ${shown['summaryMd']})\n`);
    if (exitCode === 0 || exitCode === 99 || interrupted) return exitCode;
    if (incomplete.length > 0 && failedCode === undefined) throw new RunError(`samples incomplete, the results cover part of the run: ${incompleteText(incomplete)}`, exitCode);
    throw new RunError(`k6 exited with ${codes.find((c) => c !== 0 && c !== 99) ?? exitCode}${K6_EXIT_CODES[exitCode] ? ` (${K6_EXIT_CODES[exitCode]})` : ''}; see its output above`, exitCode);
  } finally {
    await stopSim?.();
    interrupts.dispose();
  }
}
