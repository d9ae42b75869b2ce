// Fault injection: by flag/env (per endpoint) and by request header (per request), in one grammar.
//   RULE  := TARGETS "=" FAULT              e.g. call_join=delay:200   *=error:503@5
//   FAULT := KIND [":" ARG] ["@" PERCENT]   delay:200 | delay:50-150 | error:500 | reset | hang | html[:502] | badjson | vanish
// `vanish` removes the caller's attendee (and its sessions) in the request's conversation before the
// controller runs, as Talk 19's cleanGuestParticipants does to a guest that joins while a moderator
// lists the participants: the controller then answers what Talk answers (404).
// The header `X-Talksim-Fault: FAULT` applies one fault to that request.

import { ENDPOINT_IDS, type EndpointId, isEndpointId } from '../../shared/endpoints.ts';

export type Fault =
  | { readonly kind: 'delay'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'error'; readonly status: number }
  | { readonly kind: 'html'; readonly status: number }
  | { readonly kind: 'badjson'; readonly status: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'vanish' };

export interface FaultRule {
  readonly endpoints: readonly EndpointId[] | '*';
  readonly fault: Fault;
  /** Share of matching requests hit, 0..100. */
  readonly percent: number;
}

export class FaultSpecError extends Error {}

function num(text: string, what: string, min: number, max: number): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new FaultSpecError(`${what} must be a number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new FaultSpecError(`${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseFault(text: string): { fault: Fault; percent: number } {
  const [body = '', pct] = text.trim().split('@');
  const percent = pct === undefined ? 100 : num(pct.replace(/%$/, ''), 'fault percent', 0, 100);
  const [kind = '', arg] = body.split(':', 2);
  switch (kind) {
    case 'delay': {
      if (arg === undefined) throw new FaultSpecError('delay needs milliseconds, e.g. delay:200 or delay:50-150');
      const clean = arg.replace(/ms$/, '');
      const [lo = '', hi] = clean.split('-');
      const minMs = num(lo, 'delay', 0, 600_000);
      const maxMs = hi === undefined ? minMs : num(hi, 'delay', minMs, 600_000);
      return { fault: { kind: 'delay', minMs, maxMs }, percent };
    }
    case 'error':
    case 'html':
    case 'badjson': {
      const status = arg === undefined ? (kind === 'error' ? 500 : kind === 'html' ? 500 : 200) : num(arg, `${kind} status`, 100, 599);
      return { fault: { kind, status }, percent };
    }
    case 'reset':
    case 'hang':
    case 'vanish':
      return { fault: { kind }, percent };
    default:
      throw new FaultSpecError(`unknown fault "${kind}" (delay, error, html, badjson, reset, hang, vanish)`);
  }
}

/** Parses `RULE[;RULE...]` (also newline-separated). */
export function parseFaultRules(spec: string): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const part of spec.split(/[;\n]/)) {
    const text = part.trim();
    if (text === '') continue;
    const eq = text.indexOf('=');
    if (eq < 0) throw new FaultSpecError(`fault rule "${text}" needs ENDPOINT=FAULT`);
    const targets = text.slice(0, eq).trim();
    let endpoints: readonly EndpointId[] | '*';
    if (targets === '*') endpoints = '*';
    else {
      const ids = targets.split(',').map((t) => t.trim());
      for (const id of ids) {
        if (!isEndpointId(id)) throw new FaultSpecError(`unknown endpoint "${id}" in fault rule (known: ${ENDPOINT_IDS.join(', ')})`);
      }
      endpoints = ids as EndpointId[];
    }
    const { fault, percent } = parseFault(text.slice(eq + 1));
    rules.push({ endpoints, fault, percent });
  }
  return rules;
}

export interface FaultDecision {
  /** Added latency before the answer. */
  readonly delayMs: number;
  /** Replaces the answer, when set. */
  readonly replace: Exclude<Fault, { kind: 'delay' }> | null;
}

const NONE: FaultDecision = { delayMs: 0, replace: null };

export class FaultInjector {
  rules: FaultRule[];
  private readonly random: () => number;
  constructor(rules: FaultRule[], random: () => number) {
    this.rules = rules;
    this.random = random;
  }

  decide(endpoint: EndpointId | null, header: string | undefined): FaultDecision {
    if (this.rules.length === 0 && header === undefined) return NONE;
    let delayMs = 0;
    let replace: FaultDecision['replace'] = null;
    const apply = (fault: Fault, percent: number): void => {
      if (percent < 100 && this.random() * 100 >= percent) return;
      if (fault.kind === 'delay') delayMs += fault.minMs + (fault.maxMs - fault.minMs) * this.random();
      else if (replace === null) replace = fault;
    };
    for (const rule of this.rules) {
      if (rule.endpoints === '*' || (endpoint !== null && rule.endpoints.includes(endpoint))) apply(rule.fault, rule.percent);
    }
    if (header !== undefined) {
      try {
        const { fault, percent } = parseFault(header);
        apply(fault, percent);
      } catch {
        // A malformed test header is ignored rather than turned into a fault of its own.
      }
    }
    return { delayMs, replace };
  }
}
