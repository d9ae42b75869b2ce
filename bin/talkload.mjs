#!/usr/bin/env node
// Entry point: the CLI is bundled by `npm run build` into dist/node/talkload.mjs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/node/talkload.mjs', import.meta.url));
if (!existsSync(built)) {
  process.stderr.write('talkload: not built yet; run "npm run build" (or "npm ci", which builds)\n');
  process.exit(2);
}
process.title = 'talkload';
await import(built);
