// `talkload run`, the conversations talkload handles itself: those shared by several k6 processes
// (created before k6 starts), and those a run must not leave behind (deleted after teardown(), or
// found by name after an abort). Each request talkload makes is kept for the summary.

import { parseOcsBody } from '../../shared/ocs.ts';
import { classifyError } from '../../shared/outcome.ts';
import { RunError } from '../common/usage.ts';
import { HPB_NOTIFY_HINT, OCS_HEADERS, basic, once } from './checks.ts';
import type { RunPlan } from './plan.ts';

/** Belt and braces for teardown(): conversations the run created must be gone from the target. */
export async function ensureDeleted(target: string, user: string, password: string, tokens: readonly string[], ownedByRunner = 0, log?: SideRequest[]): Promise<void> {
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
export async function sweepRunRooms(target: string, plan: RunPlan, alreadyDeleted: readonly string[]): Promise<void> {
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
export async function createRooms(target: string, plan: RunPlan, count: number, log: SideRequest[], signalingMode: 'internal' | 'external'): Promise<string[]> {
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
