// Requests between Talk and the HPB, both ways: a random of at least 32 characters and the hex
// HMAC-SHA256 of random + raw body with the shared secret (protocol docs, "Backend requests").
// One attempt, a deadline, an outcome; never throws.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Agent, request } from 'undici';
import { Hpb } from '../../shared/constants.ts';
import { classifyError, type ErrorClass } from '../../shared/outcome.ts';

export const RANDOM_HEADER = 'spreed-signaling-random';
export const CHECKSUM_HEADER = 'spreed-signaling-checksum';
export const BACKEND_HEADER = 'spreed-signaling-backend';

export function checksum(secret: string, random: string, body: string): string {
  return createHmac('sha256', secret).update(random).update(body).digest('hex');
}

/** Constant time; a random shorter than the protocol's minimum fails like a bad checksum. */
export function checksumValid(secret: string, random: string | undefined, given: string | undefined, body: string): boolean {
  if (secret === '' || random === undefined || given === undefined || random.length < Hpb.minRandomLength) return false;
  const want = Buffer.from(checksum(secret, random, body), 'utf8');
  const got = Buffer.from(given.toLowerCase(), 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}

export function newRandom(): string {
  return randomBytes(32).toString('hex');
}

export interface SignedOutcome {
  readonly status: number | null;
  readonly error: ErrorClass | null;
  /** Seconds. */
  readonly duration: number;
  readonly text: string;
}

export interface SignedOptions {
  readonly agent: Agent;
  readonly secret: string;
  readonly timeoutMs: number;
  /** `Spreed-Signaling-Backend`: the Nextcloud base URL, sent by Talk. */
  readonly backend?: string;
  /** Talk's backend endpoint is an OCS route. */
  readonly ocs?: boolean;
}

export async function postSigned(url: string, body: string, o: SignedOptions): Promise<SignedOutcome> {
  const started = performance.now();
  const random = newRandom();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    [RANDOM_HEADER]: random,
    [CHECKSUM_HEADER]: checksum(o.secret, random, body),
  };
  if (o.backend !== undefined) headers[BACKEND_HEADER] = o.backend;
  if (o.ocs) headers['ocs-apirequest'] = 'true';
  try {
    const res = await request(url, {
      method: 'POST',
      body,
      headers,
      dispatcher: o.agent,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const text = await res.body.text();
    return { status: res.statusCode, error: null, duration: (performance.now() - started) / 1000, text };
  } catch (e) {
    return { status: null, error: classifyError(e), duration: (performance.now() - started) / 1000, text: '' };
  }
}

/** The `data` of an OCS envelope, or the body itself when it has none (the HPB accepts both). */
export function unwrapOcs(text: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v === 'object' && v !== null && 'ocs' in v) {
    const ocs = (v as { ocs?: { data?: unknown } }).ocs;
    return ocs?.data;
  }
  return v;
}
