// `talkload run`: validates everything up front, starts the embedded simulator when no target is
// given, runs k6 on the bundled scenario, and writes results/<run-id>/.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseOcsBody } from '../../shared/ocs.ts';
import { TOKEN_PATTERN } from '../../shared/constants.ts';
import { basic, checkCredentials, checkRemoteWrite, checkSignaling, HPB_NOTIFY_HINT, OCS_HEADERS, once, preflight, remoteWriteNote } from './checks.ts';
import { EXIT, K6_EXIT_CODES, exitForK6 } from '../exit-codes.ts';
import { RunError, UsageError, checkWritableDir, formatDuration, makeDirs, parseDuration, parseLimited, parsePort, printedHelp, readUserFile } from '../common/usage.ts';
import { LIMITS } from '../../shared/limits.ts';
import { parseSimArgs, parseSimArgsAs, simulatorProvenance, startSimulator } from '../simulator/cli.ts';
import { talkloadVersion } from '../version.ts';
import { writeRunReport } from '../report/command.ts';
import { findK6, projectRoot } from './k6-binary.ts';
import { segment, segmentSequence } from '../../shared/segments.ts';
import { thresholdSpec } from '../../shared/thresholds.ts';
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

export { PROFILE_NAMES as PROFILES } from '../../shared/load.ts';
import { PROFILE_NAMES as PROFILES, isArrivalRate, peakGuests, type ProfileName as Profile } from '../../shared/load.ts';
import { classifyError } from '../../shared/outcome.ts';

const DEFAULT_DURATION: Record<Profile, string> = { smoke: '30s', load: '5m', stress: '10m', soak: '1h', spike: '5m', breakpoint: '10m' };

export const RUN_HELP = `Usage: talkload run [options] [-- extra k6 arguments]

Runs a k6 load test of the Talk call flow. Without --target, against the embedded simulator.

  --scenario NAME         scenario bundle in dist/k6 (default guest-call)
  --profile NAME          smoke | load | stress | soak | spike | breakpoint (default smoke)
  --target URL            Nextcloud base URL (env TALKLOAD_TARGET); non-loopback needs --allow-target
  --allow-target HOST     permit load on this non-loopback host (env TALKLOAD_ALLOW_TARGET)
  --user ID               moderator account that creates conversations (env TALKLOAD_USER)
  --password-file FILE    its app password, read from a file (or env TALKLOAD_PASSWORD)
  --rooms TOKENS          use these conversations (comma-separated) instead of creating them
  --guests N              concurrent guests (VU profiles; default 4)
  --call-size N           guests per call: many small calls or one large one (default 5)
  --join-rate R           joins per second at the peak (spike, breakpoint; default 5)
  --duration D            test length, e.g. 1m (default per profile)
  --stay D                how long each guest stays in the call (default 20s)
  --flags-every D         time between flag changes (default 8s)
  --peers-every D         time between GET /call polls (default 4s)
  --ring-user ID          user added to each conversation and rung (simulator: participant1)
  --chat                  guests keep the chat long-poll open and post now and then (one more held PHP worker each)
  --chat-every D          time between a guest's chat messages (default 60s; with --chat)
  --chaos                 moderator toggles lobby and read-only (412/403 become expected)
  --no-moderator          guests only
  --out DIR               results folder (default results/)
  --run-id ID             run id and testid tag (default: time-based)
  --sim-fault RULE        fault for the embedded simulator, repeatable (see talkload sim --help)
  --sim-capacity SPEC     capacity model of the embedded simulator (off, nc29-2core, nc29-1core[-mariadb], ...)
  --sim-compat VERSION    the embedded simulator answers as this Talk version (latest, talk19)
  --signaling MODE        auto | internal | hpb: how guests signal (default auto: as the server's settings say)
  --sim-signaling MODE    internal | external: the embedded simulator without or with an HPB (the emulator)
  --hpb URL               your own HPB beside the embedded simulator (implies --sim-signaling external)
  --hpb-secret-file FILE  the secret configured in that HPB
  --sim-port N            port of the embedded simulator (default: any free one; an HPB's config needs it fixed)
  --sim-hpb-fault RULE    fault of the embedded HPB emulator, repeatable (drop-pings, fanout-delay:MS, close:MS)
  --sim-access-log FILE   the embedded simulator writes every Talk request to FILE (CSV, the real runs' nginx columns)
  --prometheus URL        also send the run to this Prometheus (remote write, native histograms)
  --guests-per-vu K       one VU carries K guests at once (async): ~1 MB of k6 memory per VU, not per guest
  --instances N           split the load over N k6 processes (execution segments), results merged
  --seed N                seed the guests' choices and the simulator's faults (comparable CI runs)
`;

export interface RunPlan {
  scenario: string;
  profile: Profile;
  target: string | null;
  user: string;
  password: string;
  rooms: string[];
  guests: number;
  callSize: number;
  joinRate: number;
  durationSeconds: number;
  staySeconds: number;
  flagsEverySeconds: number;
  peersEverySeconds: number;
  /** Guests keep the chat long-poll open and post every chatEverySeconds. */
  chat: boolean;
  chatEverySeconds: number;
  ringUser: string;
  chaos: boolean;
  moderator: boolean;
  outDir: string;
  runId: string;
  simArgs: string[];
  k6Args: string[];
  signaling: 'auto' | 'internal' | 'hpb';
  /** 0 = not seeded. */
  seed: number;
  /** Prometheus base URL for k6's remote write, or null. */
  prometheus: string | null;
  /** k6 processes sharing the load by execution segments. */
  instances: number;
  /** Guests one VU carries at once. */
  guestsPerVu: number;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function parseTarget(text: string, allow: string | undefined): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--target "${text}" is not a URL (like https://cloud.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target must be http or https, got ${url.protocol}`);
  if (url.username || url.password) throw new UsageError('--target must not carry credentials; use --user and --password-file');
  if (!isLoopbackHost(url.hostname) && url.hostname !== allow) {
    throw new UsageError(`--target ${url.hostname} is not loopback: load-testing another host needs --allow-target ${url.hostname}`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/**
 * The workload as a run's summary (and a baseline taken from it) records it: what a baseline must
 * share with a run to be compared with it.
 */
export function summaryLoad(plan: RunPlan, signaling: 'internal' | 'hpb'): Record<string, string | number | boolean> {
  const peak = peakGuests(plan.profile, { guests: plan.guests, joinRate: plan.joinRate, duration: plan.durationSeconds, stay: plan.staySeconds });
  return {
    guests: plan.guests,
    callSize: plan.callSize,
    joinRate: plan.joinRate,
    durationSeconds: plan.durationSeconds,
    staySeconds: plan.staySeconds,
    flagsEverySeconds: plan.flagsEverySeconds,
    peersEverySeconds: plan.peersEverySeconds,
    ...(plan.chat ? { chat: true, chatEverySeconds: plan.chatEverySeconds } : {}),
    chaos: plan.chaos,
    moderator: plan.moderator,
    ring: plan.moderator && plan.ringUser !== '',
    signaling,
    ...(peak !== plan.guests ? { peakGuests: peak } : {}),
  };
}

/** The simulator's own flags under the names `run` takes them. */
const RUN_SIM_FLAGS = { fault: 'sim-fault', capacity: 'sim-capacity', compat: 'sim-compat', signaling: 'sim-signaling', hpb: 'hpb', 'hpb-secret-file': 'hpb-secret-file', 'hpb-fault': 'sim-hpb-fault', port: 'sim-port', seed: 'seed', 'access-log': 'sim-access-log' } as const;

export function planRun(argv: string[], env: NodeJS.ProcessEnv, root: string): RunPlan {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const k6Args = dash < 0 ? [] : argv.slice(dash + 1);
  const { values } = parseArgs({
    args: own,
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string', default: 'guest-call' },
      profile: { type: 'string', default: 'smoke' },
      target: { type: 'string' },
      'allow-target': { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      rooms: { type: 'string' },
      guests: { type: 'string', default: '4' },
      'call-size': { type: 'string', default: '5' },
      'join-rate': { type: 'string', default: '5' },
      duration: { type: 'string' },
      stay: { type: 'string', default: '20s' },
      'flags-every': { type: 'string', default: '8s' },
      chat: { type: 'boolean' },
      'chat-every': { type: 'string' },
      'peers-every': { type: 'string', default: '4s' },
      'ring-user': { type: 'string' },
      chaos: { type: 'boolean', default: false },
      'no-moderator': { type: 'boolean', default: false },
      out: { type: 'string', default: 'results' },
      'run-id': { type: 'string' },
      'sim-fault': { type: 'string', multiple: true },
      'sim-capacity': { type: 'string' },
      'sim-compat': { type: 'string' },
      signaling: { type: 'string', default: 'auto' },
      'sim-signaling': { type: 'string' },
      hpb: { type: 'string' },
      'hpb-secret-file': { type: 'string' },
      'sim-hpb-fault': { type: 'string', multiple: true },
      'sim-port': { type: 'string' },
      'sim-access-log': { type: 'string' },
      seed: { type: 'string' },
      prometheus: { type: 'string' },
      instances: { type: 'string', default: '1' },
      'guests-per-vu': { type: 'string', default: '1' },
    },
  });
  const scenario = values.scenario ?? 'guest-call';
  const profile = (values.profile ?? 'smoke') as Profile;
  if (!PROFILES.includes(profile)) throw new UsageError(`unknown profile "${values.profile}" (${PROFILES.join(', ')})`);
  const bundles = existsSync(join(root, 'dist', 'k6')) ? readdirSync(join(root, 'dist', 'k6')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)) : [];
  if (bundles.length === 0) throw new UsageError('no k6 bundles in dist/k6: run "npm run build" first');
  if (!bundles.includes(scenario)) throw new UsageError(`unknown scenario "${scenario}" (${bundles.join(', ')})`);

  const targetText = values.target ?? env['TALKLOAD_TARGET'];
  const target = targetText === undefined ? null : parseTarget(targetText, values['allow-target'] ?? env['TALKLOAD_ALLOW_TARGET']);
  if (target === null && (values['allow-target'] || values.user || values['password-file'])) {
    throw new UsageError('--allow-target, --user and --password-file need --target (the simulator has its own users)');
  }
  let user = values.user ?? env['TALKLOAD_USER'] ?? '';
  let password = env['TALKLOAD_PASSWORD'] ?? '';
  if (values['password-file'] !== undefined) {
    password = readUserFile(values['password-file'], '--password-file').replace(/\r?\n$/, '');
    if (password === '') throw new UsageError(`--password-file ${values['password-file']} is empty`);
  }
  const rooms = (values.rooms ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of rooms) if (!TOKEN_PATTERN.test(t)) throw new UsageError(`--rooms: "${t}" is not a conversation token ([a-z0-9]{4,30})`);
  let ringUser = values['ring-user'] ?? '';
  if (target === null) {
    user = 'admin';
    password = 'admin';
    if (values['ring-user'] === undefined) ringUser = 'participant1';
  } else if (rooms.length === 0 && (user === '' || password === '')) {
    throw new UsageError('a --target needs --user and --password-file (or TALKLOAD_USER/TALKLOAD_PASSWORD) to create conversations, or --rooms');
  }
  if (!values['no-moderator'] && target !== null && (user === '' || password === '')) {
    throw new UsageError('the moderator journey needs --user and --password-file; or pass --no-moderator');
  }
  const runId = values['run-id'] ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${profile}-${Math.random().toString(36).slice(2, 6)}`;
  if (!/^[A-Za-z0-9._-]{1,80}$/.test(runId)) throw new UsageError(`--run-id "${runId}" may only use letters, digits, '.', '_' and '-'`);
  const simArgs: string[] = [];
  for (const f of values['sim-fault'] ?? []) simArgs.push('--fault', f);
  if (values['sim-capacity'] !== undefined) simArgs.push('--capacity', values['sim-capacity']);
  if (values['sim-compat'] !== undefined) {
    if (values['sim-compat'] !== 'latest' && values['sim-compat'] !== 'talk19') throw new UsageError(`--sim-compat must be latest or talk19, got "${values['sim-compat']}"`);
    simArgs.push('--compat', values['sim-compat']);
  }
  const signaling = values.signaling ?? 'auto';
  if (signaling !== 'auto' && signaling !== 'internal' && signaling !== 'hpb') throw new UsageError(`--signaling must be auto, internal or hpb, got "${signaling}"`);
  const simSignaling = values['sim-signaling'] ?? (values.hpb !== undefined ? 'external' : undefined);
  if (simSignaling !== undefined && simSignaling !== 'internal' && simSignaling !== 'external') throw new UsageError(`--sim-signaling must be internal or external, got "${simSignaling}"`);
  if (simSignaling === 'internal' && (values.hpb !== undefined || values['hpb-secret-file'] !== undefined)) throw new UsageError('--hpb needs --sim-signaling external (or leave --sim-signaling out)');
  if (simSignaling !== undefined) simArgs.push('--signaling', simSignaling);
  if (values.hpb !== undefined) simArgs.push('--hpb', values.hpb);
  for (const f of values['sim-hpb-fault'] ?? []) simArgs.push('--hpb-fault', f);
  if (values['sim-port'] !== undefined) simArgs.push('--port', String(parsePort(values['sim-port'], '--sim-port')));
  if (values['sim-access-log'] !== undefined) simArgs.push('--access-log', values['sim-access-log']);
  if (values['hpb-secret-file'] !== undefined) {
    if (values.hpb === undefined) throw new UsageError('--hpb-secret-file goes with --hpb URL');
    simArgs.push('--hpb-secret-file', values['hpb-secret-file']);
  }
  const promText = values.prometheus ?? env['TALKLOAD_PROMETHEUS'];
  let prometheus: string | null = null;
  if (promText !== undefined) {
    try {
      const u = new URL(promText);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
      prometheus = u.origin + u.pathname.replace(/\/+$/, '');
    } catch {
      throw new UsageError(`--prometheus "${promText}" is not an http(s) URL of a Prometheus`);
    }
  }
  const seed = values.seed === undefined ? 0 : parseLimited(values.seed, '--seed', LIMITS.seed, 1);
  if (seed > 0) simArgs.push('--seed', String(seed));
  if (target !== null && (values['sim-fault'] !== undefined || values['sim-capacity'] !== undefined || values['sim-compat'] !== undefined || values['sim-signaling'] !== undefined || values.hpb !== undefined || values['sim-hpb-fault'] !== undefined || values['sim-port'] !== undefined || values['sim-access-log'] !== undefined)) {
    throw new UsageError('--sim-fault, --sim-capacity, --sim-compat, --sim-signaling, --sim-access-log and --hpb apply to the embedded simulator only, not to --target (its HPB is in its own settings)');
  }
  if (values['chat-every'] !== undefined && !values.chat) throw new UsageError('--chat-every needs --chat');
  // The simulator's own checks run now, not after k6 was started.
  if (target === null) parseSimArgsAs(['--port', '0', ...simArgs], RUN_SIM_FLAGS);
  return {
    scenario,
    profile,
    target,
    user,
    password,
    rooms,
    guests: parseLimited(values.guests ?? '4', '--guests', LIMITS.guests),
    callSize: parseLimited(values['call-size'] ?? '5', '--call-size', LIMITS.callSize),
    joinRate: parseLimited(values['join-rate'] ?? '5', '--join-rate', LIMITS.joinRate),
    durationSeconds: parseDuration(values.duration ?? DEFAULT_DURATION[profile]),
    staySeconds: parseDuration(values.stay ?? '20s', '--stay'),
    flagsEverySeconds: parseDuration(values['flags-every'] ?? '8s', '--flags-every'),
    peersEverySeconds: parseDuration(values['peers-every'] ?? '4s', '--peers-every'),
    chat: values.chat ?? false,
    chatEverySeconds: parseDuration(values['chat-every'] ?? '60s', '--chat-every'),
    ringUser,
    chaos: values.chaos ?? false,
    moderator: !values['no-moderator'],
    outDir: values.out ?? 'results',
    runId,
    simArgs,
    k6Args,
    signaling,
    seed,
    prometheus,
    instances: parseLimited(values.instances ?? '1', '--instances', LIMITS.instances),
    guestsPerVu: parseLimited(values['guests-per-vu'] ?? '1', '--guests-per-vu', LIMITS.guestsPerVu),
  };
}

/** k6's exit code for a run stopped from outside (a signal); talkload exits with it too. */
export const EXIT_INTERRUPTED = EXIT.interrupted;

/**
 * Signals during a run. k6 runs in its own process group, so that a terminal's Ctrl-C (or a CI
 * runner's SIGTERM to the group) reaches talkload alone and k6 gets exactly one SIGINT from it:
 * the first signal stops k6 gracefully (VUs stop, teardown() deletes the conversations, the summary
 * is written); a second aborts k6 at once, and talkload deletes the run's conversations itself.
 */
class Interrupts {
  count = 0;
  private readonly children = new Set<ChildProcess>();
  private readonly handler = (sig: NodeJS.Signals): void => {
    this.count++;
    if (this.count === 1) {
      process.stderr.write(`\ntalkload: ${sig}: stopping k6 (teardown runs, partial results are kept); ${sig} again aborts it\n`);
      for (const c of this.children) c.kill('SIGINT');
    } else if (this.count === 2) {
      process.stderr.write(`talkload: ${sig} again: aborting k6; talkload deletes the run's conversations itself\n`);
      for (const c of this.children) c.kill('SIGKILL');
    }
  };
  private readonly killAll = (): void => {
    for (const c of this.children) c.kill('SIGKILL');
  };

  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    process.on('SIGHUP', this.handler);
    // k6 is in its own group: it must not outlive talkload.
    process.on('exit', this.killAll);
  }

  get interrupted(): boolean {
    return this.count > 0;
  }

  runK6(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
    return new Promise((resolveExit, reject) => {
      const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'], env, detached: true });
      this.children.add(child);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        this.children.delete(child);
        resolveExit(code ?? (signal ? EXIT_INTERRUPTED : 1));
      });
    });
  }

  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    process.off('SIGHUP', this.handler);
    process.off('exit', this.killAll);
  }
}

export async function runCommand(argv: string[]): Promise<number> {
  if (printedHelp(argv, RUN_HELP)) return 0;
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

/** Belt and braces for teardown(): conversations the run created must be gone from the target. */
async function ensureDeleted(target: string, user: string, password: string, tokens: readonly string[], ownedByRunner = 0, log?: SideRequest[]): Promise<void> {
  for (const [i, token] of tokens.entries()) {
    // Those talkload created itself are its own requests, in the summary; the rest are checks.
    const res = await timed(i < ownedByRunner ? log : undefined, 'room_delete', () => once('DELETE', `${target}/ocs/v2.php/apps/spreed/api/v4/room/${token}`, { ...OCS_HEADERS, Authorization: basic(user, password) }, 10_000)).catch(() => null);
    if (res && res.status === 200 && i >= ownedByRunner) process.stdout.write(`talkload: deleted conversation ${token} that teardown() left behind\n`);
  }
}

/**
 * After an abort: the conversations of this run (named "talkload <run id> #N" by setup() and by
 * createRooms) that are still on the target, found in the user's list and deleted.
 */
async function sweepRunRooms(target: string, plan: RunPlan, alreadyDeleted: readonly string[]): Promise<void> {
  const res = await once('GET', `${target}/ocs/v2.php/apps/spreed/api/v4/room`, { ...OCS_HEADERS, Authorization: basic(plan.user, plan.password) }, 15_000).catch(() => null);
  const body = res ? parseOcsBody(res.text, res.type) : null;
  if (!body || body.kind !== 'ocs' || !Array.isArray(body.data)) {
    process.stderr.write(`talkload: could not list ${plan.user}'s conversations to delete this run's; look for "talkload ${plan.runId} #" on the target\n`);
    return;
  }
  const prefix = `talkload ${plan.runId} #`;
  const left = (body.data as { token?: unknown; name?: unknown }[])
    .filter((r) => typeof r.token === 'string' && typeof r.name === 'string' && r.name.startsWith(prefix) && !alreadyDeleted.includes(r.token))
    .map((r) => r.token as string);
  if (left.length > 0) await ensureDeleted(target, plan.user, plan.password, left);
}

/**
 * For runs over several k6 processes: the conversations all of them share, created here. Each
 * request is kept in `log`, so that the merged summary has its rows as a one-process run has.
 */
async function createRooms(target: string, plan: RunPlan, count: number, log: SideRequest[], signalingMode: 'internal' | 'external'): Promise<string[]> {
  const tokens: string[] = [];
  const headers = { ...OCS_HEADERS, Authorization: basic(plan.user, plan.password) };
  for (let i = 0; i < count; i++) {
    const res = await timed(log, 'room_create', () => once('POST', `${target}/ocs/v2.php/apps/spreed/api/v4/room`, headers, 15_000, { roomType: '3', roomName: `talkload ${plan.runId} #${i + 1}` }));
    const body = parseOcsBody(res.text, res.type);
    const token = body.kind === 'ocs' ? (body.data as { token?: unknown } | null)?.token : undefined;
    if (res.status !== 201 || typeof token !== 'string') {
      await ensureDeleted(target, plan.user, plan.password, tokens, tokens.length, log);
      throw new RunError(`creating conversation ${i + 1} of ${count} as ${plan.user} gave status ${res.status}${res.status === 500 && signalingMode === 'external' ? `: ${HPB_NOTIFY_HINT}` : ''}`);
    }
    tokens.push(token);
    if (plan.ringUser !== '') await timed(log, 'room_add_participant', () => once('POST', `${target}/ocs/v2.php/apps/spreed/api/v4/room/${token}/participants`, headers, 15_000, { newParticipant: plan.ringUser, source: 'users' }));
  }
  return tokens;
}

/** A request talkload made itself, for the summary. */
export interface SideRequest {
  readonly id: string;
  readonly status: string;
  readonly ms: number;
}

async function timed<T extends { status: number }>(log: SideRequest[] | undefined, id: string, send: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    const res = await send();
    log?.push({ id, status: String(res.status), ms: performance.now() - t0 });
    return res;
  } catch (e) {
    log?.push({ id, status: classifyError(e), ms: performance.now() - t0 });
    throw e;
  }
}
