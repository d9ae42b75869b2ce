// `talkload hpb`: the HPB emulator as a process, and the flags both it and `talkload sim
// --signaling external` share (the shared secret, URLs).

import { OCS_HEADERS, once } from '../run/checks.ts';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { HpbEmulator, HpbFaultError, parseHpbFaults } from './emulator.ts';
import { UsageError, parsePositiveNumber, printedHelp, readUserFile } from '../common/usage.ts';

export const HPB_HELP = `Usage: talkload hpb --backend URL --secret-file FILE [options]

Runs an HPB emulator (the subset of nextcloud-spreed-signaling a Talk call uses) until SIGINT/SIGTERM.
Point a Talk server (or \`talkload sim --signaling external --hpb URL\`) at it with the same secret.

  --backend URL             Nextcloud base URL, e.g. http://127.0.0.1:8080 (required)
  --secret-file FILE        file holding the secret shared with Talk, at least 16 characters (required)
  --listen HOST:PORT        address to bind (default 127.0.0.1:0)
  --no-hello-v2             do not offer hello v2 (clients then use the v1 ticket)
  --ping-interval S         seconds between ping rounds to Talk (default 10)
  --fault RULE              drop-pings | fanout-delay:MS | close:MS, repeatable (for tests and gates)
`;

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
  if (printedHelp(argv, HPB_HELP)) return 0;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      backend: { type: 'string' },
      'secret-file': { type: 'string' },
      listen: { type: 'string', default: '127.0.0.1:0' },
      'no-hello-v2': { type: 'boolean', default: false },
      'ping-interval': { type: 'string', default: '10' },
      fault: { type: 'string', multiple: true },
    },
  });
  if (values.backend === undefined) throw new UsageError('--backend URL is required (the Nextcloud base URL)');
  if (values['secret-file'] === undefined) throw new UsageError('--secret-file FILE is required (the secret shared with Talk)');
  const backend = parseBaseUrl(values.backend, '--backend');
  const secret = readSecretFile(values['secret-file'], '--secret-file');
  const { host, port } = parseListen(values.listen ?? '127.0.0.1:0');
  const pingS = parsePositiveNumber(values['ping-interval'] ?? '10', '--ping-interval', { min: 0.05, max: 3600 });
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
