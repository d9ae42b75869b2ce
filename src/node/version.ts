// talkload's own version (package.json), for build_info, summaries and baselines.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './run/k6-binary.ts';

let cached: string | null = null;

export function talkloadVersion(): string {
  if (cached !== null) return cached;
  try {
    cached = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    cached = 'unknown';
  }
  return cached;
}
