// `talkload sim`: the embedded Talk simulator as a process.

import { closeSync, openSync } from 'node:fs';
import { parseCapacity, CapacityError } from './capacity.ts';
import { FaultSpecError, parseFaultRules } from './faults.ts';
import { TalkSimulator, DEFAULT_USERS } from './server.ts';
import type { ServerSettings, User } from './state.ts';
import { UsageError, parsePort, parsePositiveNumber, printedHelp } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, parseOptions, helpOf } from '../common/options.ts';
import { Hpb, type StartCallsValue } from '../../shared/constants.ts';
import { HpbEmulator } from '../hpb/emulator.ts';
import { HpbFaultError, type HpbFaults, parseHpbFaults } from '../hpb/faults.ts';
import { newSecret, parseBaseUrl, readSecretFile } from '../hpb/cli.ts';

export const SIM_COMMAND = {
  about: `Usage: talkload sim [options]

Runs the embedded Nextcloud Talk simulator until SIGINT/SIGTERM.`,
  column: 28,
  options: {
    host: { type: 'string', arg: 'HOST', default: '127.0.0.1', help: 'address to bind (default {default})' },
    port: { type: 'string', arg: 'N', default: '0', help: 'port, 0 = any free one (default {default})' },
    users: { type: 'string', arg: 'id:pw,...', help: 'users, replacing admin,participant1..4 (password = id)' },
    capacity: { type: 'string', arg: 'SPEC', help: ['off | nc29-2core | nc29-1core | nc29-2core-mariadb | nc29-1core-mariadb |', 'workers=N,cores=C[,scale=X][,db=sqlite|mariadb] (default off; env TALKSIM_CAPACITY)', 'nc29-1core: the real server of the 2026-12-06 saturated runs (one core busy elsewhere);', 'the nc29 presets are SQLite ("database is locked" 500s on polls under contention)', 'unless -mariadb'] },
    fault: { type: 'string', arg: 'RULE', multiple: true, help: ['ENDPOINT[,ENDPOINT]=FAULT[@PERCENT], repeatable (env TALKSIM_FAULTS, \';\'-separated)', 'FAULT: delay:MS | delay:MIN-MAX | error:STATUS | html[:STATUS] | badjson | reset | hang'] },
    bruteforce: { type: 'string', arg: 'MODE', default: 'on', help: 'on | testing | off (default {default})' },
    'signaling-timeout': { type: 'string', arg: 'S', default: '30', help: 'internal signaling long-poll hold in seconds (default {default})' },
    'start-calls': { type: 'string', arg: 'N', default: '0', help: 'admin start_calls: 0 everyone, 1 users, 2 moderators, 3 no one (default {default})' },
    compat: { type: 'string', arg: 'VERSION', default: 'latest', help: 'latest | talk19 (default {default})' },
    seed: { type: 'string', arg: 'N', help: 'seed for fault percentages (default: time)' },
    signaling: { type: 'string', arg: 'MODE', default: 'internal', help: ['internal | external (default {default}). external: Talk with an HPB, internal', 'signaling answers 400; without --hpb an HPB emulator starts beside it'] },
    hpb: { type: 'string', arg: 'URL', help: 'a real HPB\'s base URL (with --signaling external; needs --hpb-secret-file)' },
    'hpb-secret-file': { type: 'string', arg: 'FILE', help: 'secret shared with the HPB (default for the emulator: a new random one)' },
    'session-ping-limit': { type: 'string', arg: 'N', default: String(Hpb.sessionPingLimit), help: 'capability session-ping-limit: sessions per HPB ping request (default {default})' },
    'hpb-fault': { type: 'string', arg: 'RULE', multiple: true, help: 'fault of the embedded HPB emulator, repeatable: drop-pings | fanout-delay:MS | close:MS | no-welcome' },
    'access-log': { type: 'string', arg: 'FILE', help: ['write every Talk request to FILE as CSV, in the columns of the real runs\' nginx log', '(shared/reference/realtalk-2026-12-06); `npm run access-stats -- FILE` reads it'] },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;

export function parseUsers(text: string): User[] {
  const users: User[] = [];
  const seen = new Set<string>();
  for (const item of text.split(',')) {
    const colon = item.indexOf(':');
    const id = colon < 0 ? '' : item.slice(0, colon).trim();
    const password = colon < 0 ? '' : item.slice(colon + 1);
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(id) || password === '') {
      throw new UsageError(`--users takes id:password pairs separated by commas; "${item.split(':')[0] ?? ''}" is not one`);
    }
    if (seen.has(id)) throw new UsageError(`--users names "${id}" twice`);
    seen.add(id);
    users.push({ id, password, displayName: id });
  }
  return users;
}

export interface SimCliOptions {
  host: string;
  port: number;
  /** External signaling without a given HPB: start the emulator beside the simulator. */
  embeddedHpb?: boolean;
  hpbFaults?: HpbFaults;
  sim: ConstructorParameters<typeof TalkSimulator>[0];
}

/**
 * parseSimArgs for a command that takes the simulator's options under its own names (run's
 * `--sim-fault`, compare's `--b-sim-fault`): a usage error names the flag the user typed, not the
 * inner one (issue 24 item 6). `names` maps inner flag to outer, e.g. { fault: 'sim-fault' }.
 */
export function parseSimArgsAs(argv: string[], names: Readonly<Record<string, string>>): SimCliOptions {
  try {
    return parseSimArgs(argv, {});
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    // Longest names first, whole flags only: --hpb-fault before --hpb.
    const inner = Object.keys(names).sort((a, b) => b.length - a.length);
    const re = new RegExp(`(?<![\\w-])--(${inner.map((n) => n.replace(/[-]/g, '\\-')).join('|')})(?![\\w-])`, 'g');
    throw new UsageError(e.message.replace(re, (_, n: string) => `--${names[n]}`));
  }
}

/**
 * What of the simulator decides its latencies, for a run's summary and the baseline taken from it:
 * a baseline of another capacity model or service-time table measures another server (issue 24
 * item 8: a baseline accepted before the service times changed failed healthy builds).
 */
export function simulatorProvenance(o: SimCliOptions): Record<string, unknown> {
  const sim: Partial<NonNullable<SimCliOptions['sim']>> = o.sim ?? {};
  const c = sim.capacity;
  const service = c ? Object.fromEntries(Object.entries(c.serviceMs).sort(([x], [y]) => x.localeCompare(y))) : null;
  return {
    // SQLite's lock errors change what a run measures; MariaDB (the default) is left out, so that
    // baselines taken before the database was modelled still fit.
    capacity: c ? { workers: c.workers, cores: c.cores, spread: c.spread, defaultServiceMs: c.defaultServiceMs, serviceMs: service, ...(c.db === 'sqlite' ? { db: 'sqlite' } : {}) } : 'off',
    compat: sim.settings?.compat ?? 'latest',
    signaling: sim.external ? 'external' : 'internal',
    // Faults are left out: injected faults stand for the build under test being worse (the gate's
    // self-test), which is what a baseline comparison is there to catch.
  };
}

export function parseSimArgs(argv: string[], env: NodeJS.ProcessEnv): SimCliOptions {
  const { values } = parseOptions(argv, SIM_COMMAND);
  const signaling = values.signaling;
  if (signaling !== 'internal' && signaling !== 'external') throw new UsageError(`--signaling must be internal or external, got "${signaling}"`);
  if (signaling === 'internal' && (values.hpb !== undefined || values['hpb-secret-file'] !== undefined)) {
    throw new UsageError('--hpb and --hpb-secret-file need --signaling external');
  }
  const hpbUrl = values.hpb !== undefined ? parseBaseUrl(values.hpb, '--hpb') : null;
  if (hpbUrl !== null && values['hpb-secret-file'] === undefined) throw new UsageError('--hpb needs --hpb-secret-file (the secret configured in that HPB)');
  const hpbSecret = values['hpb-secret-file'] !== undefined ? readSecretFile(values['hpb-secret-file'], '--hpb-secret-file') : newSecret();
  let hpbFaults;
  try {
    hpbFaults = parseHpbFaults(values['hpb-fault'] ?? []);
  } catch (e) {
    if (e instanceof HpbFaultError) throw new UsageError(`--hpb-fault: ${e.message}`);
    throw e;
  }
  if (values['hpb-fault'] !== undefined && (signaling !== 'external' || hpbUrl !== null)) throw new UsageError('--hpb-fault applies to the embedded HPB emulator (--signaling external without --hpb)');
  const sessionPingLimit = parsePositiveNumber(values['session-ping-limit'], '--session-ping-limit', { integer: true, min: 1, max: 100_000 });
  const port = parsePort(values.port);
  const users = values.users !== undefined ? parseUsers(values.users) : DEFAULT_USERS;
  let capacity;
  try {
    capacity = parseCapacity(values.capacity ?? env['TALKSIM_CAPACITY'] ?? 'off');
  } catch (e) {
    if (e instanceof CapacityError) throw new UsageError(`--capacity: ${e.message}`);
    throw e;
  }
  let faults;
  try {
    faults = parseFaultRules([env['TALKSIM_FAULTS'] ?? '', ...(values.fault ?? [])].join(';'));
  } catch (e) {
    if (e instanceof FaultSpecError) throw new UsageError(`--fault: ${e.message}`);
    throw e;
  }
  const bruteForce = values.bruteforce;
  if (bruteForce !== 'on' && bruteForce !== 'testing' && bruteForce !== 'off') {
    throw new UsageError(`--bruteforce must be on, testing or off, got "${bruteForce}"`);
  }
  const compat = values.compat;
  if (compat !== 'latest' && compat !== 'talk19') throw new UsageError(`--compat must be latest or talk19, got "${compat}"`);
  const startCalls = parsePositiveNumber(values['start-calls'], '--start-calls', { integer: true });
  if (startCalls > 3) throw new UsageError(`--start-calls must be 0, 1, 2 or 3, got "${startCalls}"`);
  const settings: Partial<ServerSettings> = {
    bruteForce,
    compat,
    startCalls: startCalls as StartCallsValue,
    signalingPullSeconds: parsePositiveNumber(values['signaling-timeout'], '--signaling-timeout', { integer: true }),
    sessionPingLimit,
  };
  const external = signaling === 'external' ? { hpbUrl: hpbUrl ?? '', secret: hpbSecret } : null;
  const seed = values.seed !== undefined ? parsePositiveNumber(values.seed, '--seed', { integer: true }) : undefined;
  const accessLog = values['access-log'];
  if (accessLog !== undefined) {
    // Opened for appending only, to find a bad path before any load; the simulator truncates it.
    try {
      closeSync(openSync(accessLog, 'a'));
    } catch (e) {
      throw new UsageError(`--access-log: cannot write ${accessLog} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return {
    host: values.host,
    port,
    embeddedHpb: external !== null && hpbUrl === null,
    hpbFaults,
    sim: { users, settings, faults, capacity, external, ...(seed !== undefined ? { seed } : {}), ...(accessLog !== undefined ? { accessLog } : {}) },
  };
}

/** Starts a simulator and translates listen errors into one-line usage errors. */
export async function startSimulator(opts: SimCliOptions): Promise<{ sim: TalkSimulator; url: string }> {
  const sim = new TalkSimulator(opts.sim);
  try {
    const url = await sim.listen(opts.port, opts.host);
    if (opts.embeddedHpb && sim.external) {
      // The emulator needs the simulator's URL and the simulator the emulator's: listen, then tell.
      const hpb = new HpbEmulator({ backend: url, secret: sim.external.config.secret, ...(opts.hpbFaults ? { faults: opts.hpbFaults } : {}) });
      sim.attach(hpb);
      sim.external.config.hpbUrl = await hpb.listen(0, opts.host);
    }
    return { sim, url };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${opts.port} on ${opts.host} is already in use`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new UsageError(`cannot bind --host ${opts.host}: no such local address`);
    if (code === 'EACCES') throw new UsageError(`no permission to bind ${opts.host}:${opts.port}`);
    throw e;
  }
}

export async function simCommand(argv: string[]): Promise<number> {
  if (printedHelp(argv, helpOf(SIM_COMMAND))) return 0;
  const opts = parseSimArgs(argv, process.env);
  const { sim, url } = await startSimulator(opts);
  process.stdout.write(`talkload sim listening on ${url}\n`);
  if (sim.external) process.stdout.write(`talkload sim: external signaling, HPB ${sim.external.config.hpbUrl}${opts.embeddedHpb ? ' (emulator)' : ''}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.close();
  return 0;
}
