// Checks before any load (issue 24 items 1, 6, 7): the target is a Nextcloud with Talk, the
// credentials are taken, the signaling the user asked for is the one the server offers, its HPB
// answers from here, and a --prometheus takes remote write. Each is one request with explicit
// timeouts and no retry; each failure is one line with the exit code of the contract.

import { request } from 'undici';
import { parseOcsBody } from '../../shared/ocs.ts';
import { RunError, UsageError } from '../exit-codes.ts';

export const OCS_HEADERS = { 'OCS-APIRequest': 'true', Accept: 'application/json' } as const;

/** One request with explicit timeouts (undici: no fetch port blocklist, no retries). */
export async function once(method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string>, timeoutMs: number, form?: Record<string, string>): Promise<{ status: number; type: string; text: string }> {
  const body = form === undefined ? undefined : new URLSearchParams(form).toString();
  const res = await request(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
    ...(body !== undefined ? { body } : {}),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.body.text();
  const type = res.headers['content-type'];
  return { status: res.statusCode, type: Array.isArray(type) ? (type[0] ?? '') : (type ?? ''), text };
}

/** Fails fast, in one line, when the target is down or is not a Nextcloud with Talk. */
export async function preflight(target: string): Promise<void> {
  let res: { status: number; type: string; text: string };
  try {
    res = await once('GET', `${target}/ocs/v2.php/cloud/capabilities`, OCS_HEADERS, 10_000);
  } catch (e) {
    const err = e as { name?: string; code?: string };
    if (err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT') throw new RunError(`target ${target} did not answer within 10 s`);
    throw new RunError(`target ${target} is unreachable (${err.code ?? err.name ?? 'network error'})`);
  }
  const body = parseOcsBody(res.text, res.type);
  if (body.kind !== 'ocs') {
    const what = body.kind === 'html' ? 'an HTML page' : body.kind === 'empty' ? 'an empty body' : body.kind === 'garbage' ? 'something that is not JSON' : `${body.kind} instead of an OCS envelope`;
    throw new RunError(`target ${target} answered ${what} (HTTP ${res.status}) for the capabilities: is it a Nextcloud?`);
  }
  const spreed = (body.data as { capabilities?: { spreed?: { features?: string[] } } } | undefined)?.capabilities?.spreed;
  if (!spreed?.features?.includes('conversation-v4')) throw new RunError(`target ${target} answers OCS but has no Talk (spreed) with conversation-v4`);
}

/**
 * Before the run, so that a dead --prometheus is not a PASS with a k6 error every 2 s: the
 * remote-write receiver answers. A POST without a proper body gets 400 or 415 from a receiver and
 * 404 from a Prometheus started without --web.enable-remote-write-receiver.
 */
export async function checkRemoteWrite(prom: string): Promise<void> {
  let status: number;
  try {
    status = (await once('POST', `${prom}/api/v1/write`, {}, 5_000, {})).status;
  } catch (e) {
    const err = e as { name?: string; code?: string };
    throw new RunError(`--prometheus ${prom} is unreachable (${err.name === 'TimeoutError' ? 'no answer within 5 s' : (err.code ?? err.name ?? 'network error')}); start it with "talkload stack" or leave out --prometheus`);
  }
  if (status === 404) throw new RunError(`--prometheus ${prom} does not accept remote write (404): start Prometheus with --web.enable-remote-write-receiver, as talkload stack does`);
}

/** After the run: did Prometheus get its samples? The verdict does not depend on it; the user is told. */
export async function remoteWriteNote(prom: string, runId: string): Promise<string | null> {
  const q = `count(k6_http_reqs_total{testid="${runId}"})`;
  try {
    const res = await once('GET', `${prom}/api/v1/query?query=${encodeURIComponent(q)}`, {}, 5_000);
    const body = JSON.parse(res.text) as { status?: string; data?: { result?: unknown[] } };
    if (res.status === 200 && body.status === 'success' && (body.data?.result?.length ?? 0) > 0) return null;
    return `Prometheus ${prom} has no samples of this run (k6_http_reqs_total{testid="${runId}"}): remote write failed; see k6's errors above`;
  } catch {
    return `Prometheus ${prom} could not be asked whether it got this run's samples (it stopped answering during the run?)`;
  }
}

export const basic = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

export async function checkCredentials(target: string, user: string, password: string): Promise<void> {
  const res = await once('GET', `${target}/ocs/v2.php/cloud/capabilities`, { ...OCS_HEADERS, Authorization: basic(user, password) }, 15_000).catch(() => null);
  if (res && res.status === 401) throw new UsageError(`the target rejected the credentials of user ${user}`);
}

export type SignalingWanted = 'auto' | 'internal' | 'hpb';

export interface TargetSignaling {
  /** What the server's settings say: internal, or external (an HPB). */
  readonly mode: 'internal' | 'external';
  /** The HPB's URL as the server hands it to clients (external only). */
  readonly hpbUrl: string | null;
}

/**
 * The target's signaling settings, read once before any load (`GET /v3/signaling/settings` without
 * a token: public, the same for everyone): a `--signaling` that the server contradicts is a usage
 * error naming what the server says (a forced HPB mode against internal signaling made each guest
 * re-join at once, a storm: issue 24 item 1); with an HPB, its welcome endpoint must answer from here.
 */
export async function checkSignaling(target: string, wanted: SignalingWanted, flag = '--signaling'): Promise<TargetSignaling> {
  let res: { status: number; type: string; text: string };
  try {
    res = await once('GET', `${target}/ocs/v2.php/apps/spreed/api/v3/signaling/settings`, OCS_HEADERS, 10_000);
  } catch (e) {
    throw new RunError(`target ${target}: its signaling settings did not answer (${(e as { code?: string; name?: string }).code ?? (e as Error).name})`);
  }
  const body = parseOcsBody(res.text, res.type);
  const data = body.kind === 'ocs' ? (body.data as { signalingMode?: unknown; server?: unknown } | null) : null;
  if (res.status !== 200 || data === null || typeof data.signalingMode !== 'string') {
    throw new RunError(`target ${target}: its signaling settings answered HTTP ${res.status} without a signalingMode; cannot tell internal signaling from an HPB`);
  }
  const mode = data.signalingMode === 'internal' ? 'internal' : 'external';
  const server = typeof data.server === 'string' && data.server !== '' ? data.server : null;
  if (wanted === 'hpb' && mode === 'internal') {
    throw new UsageError(`${flag} hpb: target ${target} has no HPB (its signaling settings say signalingMode "internal"); leave out ${flag} or use ${flag} internal`);
  }
  if (wanted === 'internal' && mode === 'external') {
    throw new UsageError(`${flag} internal: target ${target} signals through an HPB (signalingMode "${data.signalingMode}", ${server ?? 'no server'}) and answers 400 to internal signaling; leave out ${flag} or use ${flag} hpb`);
  }
  if (mode === 'external') {
    if (server === null) throw new RunError(`target ${target} says signalingMode "${data.signalingMode}" but names no HPB server: guests could not connect`);
    await checkHpbWelcome(server);
  }
  return { mode, hpbUrl: server };
}

/** The HPB's `/api/v1/welcome` (its version) answers from this machine, as it must for the guests. */
export async function checkHpbWelcome(server: string): Promise<void> {
  let base: URL;
  try {
    base = new URL(server.replace(/^ws(s?):/, 'http$1:').replace(/\/spreed\/?$/, '').replace(/\/+$/, ''));
  } catch {
    throw new RunError(`the HPB URL in the target's settings, "${server}", is not a URL`);
  }
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}/api/v1/welcome`;
  let status: number;
  try {
    status = (await once('GET', url, {}, 5_000)).status;
  } catch (e) {
    const err = e as { code?: string; name?: string };
    throw new RunError(`the target's HPB does not answer from here: ${url} ${err.name === 'TimeoutError' ? 'gave no answer within 5 s' : `failed (${err.code ?? err.name ?? 'network error'})`}; guests could not connect to it`);
  }
  if (status !== 200) throw new RunError(`the target's HPB does not answer from here: ${url} gave HTTP ${status} (expected 200 with its version)`);
}

/**
 * Talk with an HPB answers 500 to a room creation or list when its notification to the HPB failed
 * (issue 24 item 7: the HPB refused Talk's backend URL or secret, then throttled it). From outside,
 * only the 500 shows; this names the likely cause and what to check.
 */
export const HPB_NOTIFY_HINT =
  "with an HPB, a 500 here is usually Talk's request to the HPB failing: check Talk's own URL as the HPB sees it (overwritehost / overwrite.cli.url; a web server that passes HTTP_HOST without the port), the HPB's [backend] URL and secret, and the HPB's throttling of failed backend requests (its log)";
