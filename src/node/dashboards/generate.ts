// Generates dashboards/*.json from the dashboards as code; `--check` fails when the committed JSON
// differs from what the sources generate.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadTestDashboard } from './load-test.ts';
import { proberDashboard } from './prober.ts';

export const DASHBOARDS = {
  'talk-load-test.json': loadTestDashboard,
  'talk-prober.json': proberDashboard,
} as const;

export function render(build: () => unknown): string {
  return JSON.stringify(build(), null, 2) + '\n';
}

const dir = fileURLToPath(new URL('../../../dashboards/', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, build] of Object.entries(DASHBOARDS)) {
    const text = render(build);
    if (check) {
      let current = '';
      try {
        current = readFileSync(dir + file, 'utf8');
      } catch {
        // missing counts as stale
      }
      if (current !== text) {
        console.error(`dashboards/${file} is not what src/node/dashboards generates; run npm run dashboards`);
        stale++;
      }
    } else {
      writeFileSync(dir + file, text);
      console.log(`wrote dashboards/${file}`);
    }
  }
  process.exit(stale > 0 ? 1 : 0);
}
