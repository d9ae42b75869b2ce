// `talkload hpb`: the HPB emulator as a process, and the flags both it and `talkload sim
// --signaling external` share (the shared secret, URLs).

import { OCS_HEADERS, once } from '../run/checks.ts';
import { randomBytes } from 'node:crypto';
import { HpbEmulator } from './emulator.ts';
import { HpbFaultError, parseHpbFaults } from './faults.ts';
import { UsageError, parsePositiveNumber, readUserFile } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, parseCommand } from '../common/options.ts';

export const HPB_COMMAND = {
  about: `Usage: talkload hpb --backend URL --secret-file FILE [options]

Runs an HPB emulator (the subset of nextcloud-spreed-signaling a Talk call uses) until SIGINT/SIGTERM.
Point a Talk server (or \`talkload sim --signaling external --hpb URL\`) at it with the same secret.`,
  column: 28,
  options: {
    backend: { type: 'string', arg: 'URL', required: 'the Nextcloud base URL', help: 'Nextcloud base URL, e.g. http://127.0.0.1:8080 (required)' },
    'secret-file': { type: 'string', arg: 'FILE', required: 'the secret shared with Talk', help: 'file holding the secret shared with Talk, at least 16 characters (required)' },
    listen: { type: 'string', arg: 'HOST:PORT', default: '127.0.0.1:0', help: 'address to bind (default {default})' },
    'no-hello-v2': { type: 'boolean', default: false, help: 'do not offer hello v2 (clients then use the v1 ticket)' },
    'ping-interval': { type: 'string', arg: 'S', default: '10', help: 'seconds between ping rounds to Talk (default {default})' },
    fault: { type: 'string', arg: 'RULE', multiple: true, help: 'drop-pings | fanout-delay:MS | close:MS | no-welcome, repeatable (for tests and gates)' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;

/** Minimum length of the shared secret; Talk's settings generate much longer ones. */
export const MIN_SECRET_LENGTH = 16;

/** Reads a secret file: one line, whitespace trimmed; never echoes the content. */
export function readSecretFile(path: string, flag: string): string {
  const secret = readUserFile(path, `${flag}`).trim();
  if (secret.length < MIN_SECRET_LENGTH) throw new UsageError(`${flag} ${path}: the secret must be at least ${MIN_SECRET_LENGTH} characters`);
  if (/[\r\n]/.test(secret)) throw new UsageError(`${flag} ${path}: the secret must be one line`);
  return secret;
}

export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/** An http(s) base URL without query; names the flag when it is not one. */
export function parseBaseUrl(text: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`${flag} "${text}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag} must be an http(s) URL, got "${u.protocol}"`);
  if (u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') throw new UsageError(`${flag} must be a plain base URL (no query, fragment or credentials)`);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

export function parseListen(text: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${flag} must be HOST:PORT, got "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export async function hpbCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HPB_COMMAND);
  if (parsed === null) return 0;
  const { values } = parsed;
  const backend = parseBaseUrl(values.backend, '--backend');
  const secret = readSecretFile(values['secret-file'], '--secret-file');
  const { host, port } = parseListen(values.listen);
  const pingS = parsePositiveNumber(values['ping-interval'], '--ping-interval', { min: 0.05, max: 3600 });
  let faults;
  try {
    faults = parseHpbFaults(values.fault ?? []);
  } catch (e) {
    if (e instanceof HpbFaultError) throw new UsageError(`--fault: ${e.message}`);
    throw e;
  }
  const hpb = new HpbEmulator({ backend, secret, helloV2: !values['no-hello-v2'], pingIntervalMs: pingS * 1000, faults });
  let url: string;
  try {
    url = await hpb.listen(port, host);
  } catch (e) {
    await hpb.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--listen ${host}:${port} is already in use`);
    throw new UsageError(`cannot bind --listen ${host}:${port} (${code ?? 'error'})`);
  }
  process.stdout.write(`talkload hpb listening on ${url} (clients: ${url.replace(/^http/, 'ws')}/spreed, backend ${backend})\n`);
  // The backend is asked once: an HPB may start before its Talk, so this warns and keeps serving.
  const problem = await backendProblem(backend);
  if (problem !== null) process.stderr.write(`talkload hpb: warning: backend ${backend} ${problem}; every hello will fail until it answers\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await hpb.close();
  return 0;
}

/** Whether Talk at `backend` answers its capabilities from here; null when it does. */
async function backendProblem(backend: string): Promise<string | null> {
  try {
    const res = await once('GET', `${backend}/ocs/v2.php/cloud/capabilities`, OCS_HEADERS, 5_000);
    return res.status === 200 ? null : `answered HTTP ${res.status} for its capabilities (not a Nextcloud there?)`;
  } catch (e) {
    const err = e as { code?: string; name?: string };
    return err.name === 'TimeoutError' ? 'gave no answer within 5 s' : `is unreachable (${err.code ?? err.name ?? 'network error'})`;
  }
}
