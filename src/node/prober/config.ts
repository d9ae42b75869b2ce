// Prober configuration: flags win over the config file, the file over defaults. Unknown keys are
// rejected by name (like blackbox_exporter's strict YAML); `--check` validates and exits.

import { TOKEN_PATTERN } from '../../shared/constants.ts';
import { UsageError, parseDuration, parseUserJson, readUserFile } from '../common/usage.ts';

export interface ProbeTarget {
  /** The `target` label: bounded, chosen by the operator (default host:port). */
  readonly name: string;
  readonly url: string;
  readonly user: string | null;
  readonly password: string | null;
  /** A public conversation to use; else one is created with the user's credentials. */
  readonly room: string | null;
}

export interface ProbeConfig {
  readonly targets: readonly ProbeTarget[];
  /** Seconds between journeys. @default 15 */
  readonly intervalSeconds: number;
  readonly listenHost: string;
  readonly listenPort: number;
  /** Milliseconds. */
  readonly timeouts: { readonly connect: number; readonly headers: number; readonly body: number; readonly total: number };
  /** With an HPB: every Nth journey stays this long before checking that GET /call still lists it (0 = never). */
  readonly hpb?: { readonly stayEvery: number; readonly staySeconds: number };
}

const TOP_KEYS = ['interval', 'listen', 'timeouts', 'targets', 'hpb'] as const;
const HPB_KEYS = ['stayEvery', 'stay'] as const;
const TARGET_KEYS = ['name', 'url', 'user', 'passwordFile', 'passwordEnv', 'room'] as const;
const TIMEOUT_KEYS = ['connect', 'headers', 'body', 'step'] as const;

function rejectUnknown(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new UsageError(`config ${where}: unknown key "${k}" (known: ${allowed.join(', ')})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new UsageError(`config ${where} must be a non-empty string`);
  return v;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--listen must be HOST:PORT like 127.0.0.1:9464, got "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export function parseTargetUrl(text: string, where: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${where}: "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${where}: "${text}" must be http or https`);
  if (url.username || url.password) throw new UsageError(`${where}: put credentials in user and passwordFile, not in the URL`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function readPassword(file: string | undefined, envName: string | undefined, env: NodeJS.ProcessEnv, where: string): string | null {
  if (file !== undefined) {
    const pw = readUserFile(file, `${where}: password file`).replace(/\r?\n$/, '');
    if (pw === '') throw new UsageError(`${where}: password file ${file} is empty`);
    return pw;
  }
  if (envName !== undefined) {
    const pw = env[envName];
    if (!pw) throw new UsageError(`${where}: environment variable ${envName} is not set`);
    return pw;
  }
  return null;
}

export interface ProbeFlags {
  targets: string[];
  config?: string;
  interval?: string;
  listen?: string;
  user?: string;
  passwordFile?: string;
  room?: string;
}

const nameOf = (url: string): string => new URL(url).host;

export function loadProbeConfig(flags: ProbeFlags, env: NodeJS.ProcessEnv): ProbeConfig {
  let file: Record<string, unknown> = {};
  if (flags.config !== undefined) {
    const text = readUserFile(flags.config, 'config file');
    const parsed = parseUserJson(text, `config file ${flags.config} is not valid JSON`);
    if (!isObject(parsed)) throw new UsageError(`config file ${flags.config} must hold a JSON object`);
    rejectUnknown(parsed, TOP_KEYS, 'file');
    file = parsed;
  }
  const targets: ProbeTarget[] = [];
  if (file['targets'] !== undefined) {
    if (!Array.isArray(file['targets'])) throw new UsageError('config targets must be a list');
    file['targets'].forEach((t: unknown, i: number) => {
      const where = `targets[${i}]`;
      if (!isObject(t)) throw new UsageError(`config ${where} must be an object`);
      rejectUnknown(t, TARGET_KEYS, where);
      const url = parseTargetUrl(str(t['url'], `${where}.url`), `config ${where}.url`);
      const room = t['room'] === undefined ? null : str(t['room'], `${where}.room`);
      if (room !== null && !TOKEN_PATTERN.test(room)) throw new UsageError(`config ${where}.room "${room}" is not a conversation token`);
      targets.push({
        name: t['name'] === undefined ? nameOf(url) : str(t['name'], `${where}.name`),
        url,
        user: t['user'] === undefined ? null : str(t['user'], `${where}.user`),
        // Checked as strings: readFileSync(0) would read standard input for "passwordFile": 0.
        password: readPassword(
          t['passwordFile'] === undefined ? undefined : str(t['passwordFile'], `${where}.passwordFile`),
          t['passwordEnv'] === undefined ? undefined : str(t['passwordEnv'], `${where}.passwordEnv`),
          env,
          `config ${where}`,
        ),
        room,
      });
    });
  }
  const cliPassword = flags.passwordFile !== undefined ? readPassword(flags.passwordFile, undefined, env, '--password-file') : null;
  if (flags.room !== undefined && !TOKEN_PATTERN.test(flags.room)) throw new UsageError(`--room "${flags.room}" is not a conversation token`);
  for (const t of flags.targets) {
    const url = parseTargetUrl(t, '--target');
    targets.push({ name: nameOf(url), url, user: flags.user ?? null, password: cliPassword, room: flags.room ?? null });
  }
  if (targets.length === 0) throw new UsageError('no target: give --target URL or targets in --config');
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name)) throw new UsageError(`two targets are named "${t.name}"; give them distinct names in the config`);
    names.add(t.name);
    if (t.user !== null && t.password === null) throw new UsageError(`target ${t.name}: user ${t.user} needs a password file`);
    if (t.room === null && t.user === null) {
      throw new UsageError(`target ${t.name}: a guest needs a public conversation: give --room TOKEN, or --user and --password-file to create one`);
    }
  }
  const timeouts = isObject(file['timeouts']) ? file['timeouts'] : {};
  if (file['timeouts'] !== undefined && !isObject(file['timeouts'])) throw new UsageError('config timeouts must be an object');
  rejectUnknown(timeouts, TIMEOUT_KEYS, 'timeouts');
  const ms = (key: (typeof TIMEOUT_KEYS)[number], dflt: string): number =>
    parseDuration(timeouts[key] === undefined ? dflt : str(timeouts[key], `timeouts.${key}`), `config timeouts.${key}`) * 1000;
  const intervalText = flags.interval ?? (file['interval'] === undefined ? '15s' : str(file['interval'], 'interval'));
  const listen = parseListen(flags.listen ?? (file['listen'] === undefined ? '127.0.0.1:9464' : str(file['listen'], 'listen')));
  const hpb = isObject(file['hpb']) ? file['hpb'] : {};
  if (file['hpb'] !== undefined && !isObject(file['hpb'])) throw new UsageError('config hpb must be an object');
  rejectUnknown(hpb, HPB_KEYS, 'hpb');
  const stayEvery = hpb['stayEvery'] === undefined ? 10 : hpb['stayEvery'];
  if (typeof stayEvery !== 'number' || !Number.isInteger(stayEvery) || stayEvery < 0 || stayEvery > 10_000) throw new UsageError(`config hpb.stayEvery must be a whole number 0-10000, got ${JSON.stringify(stayEvery)}`);
  const staySeconds = parseDuration(hpb['stay'] === undefined ? '35s' : str(hpb['stay'], 'hpb.stay'), 'config hpb.stay');
  return {
    targets,
    hpb: { stayEvery, staySeconds },
    intervalSeconds: parseDuration(intervalText, '--interval'),
    listenHost: listen.host,
    listenPort: listen.port,
    timeouts: { connect: ms('connect', '3s'), headers: ms('headers', '10s'), body: ms('body', '10s'), total: ms('step', '15s') },
  };
}
