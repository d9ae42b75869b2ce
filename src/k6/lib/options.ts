// k6 options for a run: the guest shape from profiles.ts, the moderator beside it, and thresholds
// per endpoint built from the shared budgets.

import type { Options } from 'k6/options';
import { thresholdSpec } from '../../shared/thresholds.ts';
import { guestScenario } from '../profiles.ts';
import type { Config } from './env.ts';

export function buildOptions(cfg: Config): Options {
  const thresholds: Record<string, string[] | { threshold: string; abortOnFail: boolean }[]> = thresholdSpec(cfg);
  // The breakpoint profile stops at the first dropped join: that is the point it looks for.
  if (cfg.profile === 'breakpoint') thresholds['dropped_iterations'] = [{ threshold: 'count<1', abortOnFail: true }];
  const scenarios: NonNullable<Options['scenarios']> = {
    // A VU carries guestsPerVu guests: fewer VUs (and joins per VU iteration) for the same load.
    guests: { ...guestScenario(cfg.profile, { ...cfg, guests: Math.ceil(cfg.guests / cfg.guestsPerVu), joinRate: cfg.joinRate / cfg.guestsPerVu }), exec: 'guest' },
  };
  if (cfg.moderator) {
    scenarios['moderator'] = {
      executor: 'constant-vus',
      vus: 1,
      duration: `${Math.max(1, Math.round(cfg.duration))}s`,
      startTime: '2s',
      gracefulStop: '30s',
      exec: 'moderator',
    };
  }
  return {
    scenarios,
    thresholds,
    setupTimeout: '300s',
    teardownTimeout: '300s',
    // The client asks for a body only where a step reads it (keepBody): less memory and CPU at scale.
    discardResponseBodies: true,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(95)', 'p(99)', 'count'],
    // Not a Talk mobile/desktop user agent: those are version-checked (426).
    userAgent: 'talkload/0.1 (k6)',
    // Tokens appear in URLs; the name tag (endpoint id) is what groups requests.
    systemTags: ['status', 'method', 'name', 'group', 'check', 'error', 'error_code', 'scenario', 'expected_response'],
  };
}
