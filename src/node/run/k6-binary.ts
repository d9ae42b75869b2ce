// Finds the k6 to run: K6_BIN, else a k6 of the pinned version on PATH, else the one
// `npm run build:k6bin` builds from source into .tools/bin.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunError } from '../common/usage.ts';

/** The package root (the bundle lives in dist/node/, the sources in src/node/run/). */
export function projectRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tools', 'k6', 'go.mod'))) return dir;
    dir = join(dir, '..');
  }
  throw new RunError('cannot find the talkload package root');
}

export function pinnedK6Version(root = projectRoot()): string {
  const mod = readFileSync(join(root, 'tools', 'k6', 'go.mod'), 'utf8');
  const m = /^require go\.k6\.io\/k6\/v2 (v[\d.]+)$/m.exec(mod);
  if (!m?.[1]) throw new RunError('tools/k6/go.mod does not pin go.k6.io/k6/v2');
  return m[1];
}

function versionOf(bin: string): string | null {
  try {
    const out = execFileSync(bin, ['version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return /k6 (v[\d.]+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

export interface K6Binary {
  readonly path: string;
  readonly version: string;
}

export function findK6(env: NodeJS.ProcessEnv = process.env): K6Binary {
  const root = projectRoot();
  const pinned = pinnedK6Version(root);
  const explicit = env['K6_BIN'];
  if (explicit) {
    const v = versionOf(explicit);
    if (!v) throw new RunError(`K6_BIN=${explicit} is not a runnable k6`, 2);
    return { path: explicit, version: v };
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'k6');
    if (dir && existsSync(candidate) && versionOf(candidate) === pinned) return { path: candidate, version: pinned };
  }
  const local = join(root, '.tools', 'bin', 'k6');
  const v = existsSync(local) ? versionOf(local) : null;
  if (v) return { path: local, version: v };
  throw new RunError(`k6 ${pinned} not found: run "npm run build:k6bin" (builds it from source with Go) or set K6_BIN`);
}
