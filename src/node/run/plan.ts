// `talkload run`, its plan: the flags and environment checked and turned into one RunPlan before
// anything starts (a bad value is a one-line usage error, nothing written), and what of the plan
// the summary keeps as the run's load.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_PATTERN } from '../../shared/constants.ts';
import { LIMITS } from '../../shared/limits.ts';
import { PROFILE_NAMES as PROFILES, peakGuests, type ProfileName as Profile } from '../../shared/load.ts';
import { UsageError, parseDuration, parseLimited, parsePort, readUserFile } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, parseOptions } from '../common/options.ts';
import { parseSimArgsAs } from '../simulator/cli.ts';

export { PROFILE_NAMES as PROFILES } from '../../shared/load.ts';

const DEFAULT_DURATION: Record<Profile, string> = { smoke: '30s', load: '5m', stress: '10m', soak: '1h', spike: '5m', breakpoint: '10m' };

export const RUN_COMMAND = {
  about: `Usage: talkload run [options] [-- extra k6 arguments]

Runs a k6 load test of the Talk call flow. Without --target, against the embedded simulator.`,
  column: 26,
  options: {
    scenario: { type: 'string', arg: 'NAME', default: 'guest-call', help: 'scenario bundle in dist/k6 (default {default})' },
    profile: { type: 'string', arg: 'NAME', default: 'smoke', help: 'smoke | load | stress | soak | spike | breakpoint (default {default})' },
    target: { type: 'string', arg: 'URL', help: 'Nextcloud base URL (env TALKLOAD_TARGET); non-loopback needs --allow-target' },
    'allow-target': { type: 'string', arg: 'HOST', help: 'permit load on this non-loopback host (env TALKLOAD_ALLOW_TARGET)' },
    user: { type: 'string', arg: 'ID', help: 'moderator account that creates conversations (env TALKLOAD_USER)' },
    'password-file': { type: 'string', arg: 'FILE', help: 'its app password, read from a file (or env TALKLOAD_PASSWORD)' },
    rooms: { type: 'string', arg: 'TOKENS', help: 'use these conversations (comma-separated) instead of creating them' },
    guests: { type: 'string', arg: 'N', default: '4', help: 'concurrent guests (VU profiles; default {default})' },
    'call-size': { type: 'string', arg: 'N', default: '5', help: 'guests per call: many small calls or one large one (default {default})' },
    'join-rate': { type: 'string', arg: 'R', default: '5', help: 'joins per second at the peak (spike, breakpoint; default {default})' },
    duration: { type: 'string', arg: 'D', help: 'test length, e.g. 1m (default per profile)' },
    stay: { type: 'string', arg: 'D', default: '20s', help: 'how long each guest stays in the call (default {default})' },
    'flags-every': { type: 'string', arg: 'D', default: '8s', help: 'time between flag changes (default {default})' },
    'peers-every': { type: 'string', arg: 'D', default: '4s', help: 'time between GET /call polls (default {default})' },
    'ring-user': { type: 'string', arg: 'ID', help: 'user added to each conversation and rung (simulator: participant1)' },
    chat: { type: 'boolean', help: 'guests keep the chat long-poll open and post now and then (one more held PHP worker each)' },
    'chat-every': { type: 'string', arg: 'D', help: 'time between a guest\'s chat messages (default 60s; with --chat)' },
    chaos: { type: 'boolean', default: false, help: 'moderator toggles lobby and read-only (412/403 become expected)' },
    'no-moderator': { type: 'boolean', default: false, help: 'guests only' },
    out: { type: 'string', arg: 'DIR', default: 'results', help: 'results folder (default results/)' },
    'run-id': { type: 'string', arg: 'ID', help: 'run id and testid tag (default: time-based)' },
    'sim-fault': { type: 'string', arg: 'RULE', multiple: true, help: 'fault for the embedded simulator, repeatable (see talkload sim --help)' },
    'sim-capacity': { type: 'string', arg: 'SPEC', help: 'capacity model of the embedded simulator (off, nc29-2core, nc29-1core[-mariadb], ...)' },
    'sim-compat': { type: 'string', arg: 'VERSION', help: 'the embedded simulator answers as this Talk version (latest, talk19)' },
    signaling: { type: 'string', arg: 'MODE', default: 'auto', help: 'auto | internal | hpb: how guests signal (default {default}: as the server\'s settings say)' },
    'sim-signaling': { type: 'string', arg: 'MODE', help: 'internal | external: the embedded simulator without or with an HPB (the emulator)' },
    hpb: { type: 'string', arg: 'URL', help: 'your own HPB beside the embedded simulator (implies --sim-signaling external)' },
    'hpb-secret-file': { type: 'string', arg: 'FILE', help: 'the secret configured in that HPB' },
    'sim-port': { type: 'string', arg: 'N', help: 'port of the embedded simulator (default: any free one; an HPB\'s config needs it fixed)' },
    'sim-hpb-fault': { type: 'string', arg: 'RULE', multiple: true, help: 'fault of the embedded HPB emulator, repeatable (drop-pings, fanout-delay:MS, close:MS, no-welcome)' },
    'sim-access-log': { type: 'string', arg: 'FILE', help: 'the embedded simulator writes every Talk request to FILE (CSV, the real runs\' nginx columns)' },
    prometheus: { type: 'string', arg: 'URL', help: 'also send the run to this Prometheus (remote write, native histograms)' },
    'guests-per-vu': { type: 'string', arg: 'K', default: '1', help: 'one VU carries K guests at once (async): ~1 MB of k6 memory per VU, not per guest' },
    instances: { type: 'string', arg: 'N', default: '1', help: 'split the load over N k6 processes (execution segments), results merged' },
    seed: { type: 'string', arg: 'N', help: 'seed the guests\' choices and the simulator\'s faults (comparable CI runs)' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;

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
  const { values } = parseOptions(own, RUN_COMMAND);
  const scenario = values.scenario;
  const profile = (values.profile) as Profile;
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
  const signaling = values.signaling;
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
    guests: parseLimited(values.guests, '--guests', LIMITS.guests),
    callSize: parseLimited(values['call-size'], '--call-size', LIMITS.callSize),
    joinRate: parseLimited(values['join-rate'], '--join-rate', LIMITS.joinRate),
    durationSeconds: parseDuration(values.duration ?? DEFAULT_DURATION[profile]),
    staySeconds: parseDuration(values.stay, '--stay'),
    flagsEverySeconds: parseDuration(values['flags-every'], '--flags-every'),
    peersEverySeconds: parseDuration(values['peers-every'], '--peers-every'),
    chat: values.chat ?? false,
    chatEverySeconds: parseDuration(values['chat-every'] ?? '60s', '--chat-every'),
    ringUser,
    chaos: values.chaos,
    moderator: !values['no-moderator'],
    outDir: values.out,
    runId,
    simArgs,
    k6Args,
    signaling,
    seed,
    prometheus,
    instances: parseLimited(values.instances, '--instances', LIMITS.instances),
    guestsPerVu: parseLimited(values['guests-per-vu'], '--guests-per-vu', LIMITS.guestsPerVu),
  };
}
