// `npm run access-stats -- FILE...`: the saturated-shape figures (stalls, flag changes, call joins,
// GET /call p50, polls within 5 s) of access logs: the real runs' nginx CSVs in
// shared/reference/realtalk-2026-12-06 or the simulator's --access-log / run --sim-access-log.

import { readFile } from 'node:fs/promises';
import { AccessLogError, figuresLine, parseAccessLog, saturationFigures } from '../src/node/simulator/access-stats.ts';

const files = process.argv.slice(2);
if (files.length === 0 || files.includes('--help')) {
  process.stdout.write('Usage: npm run access-stats -- FILE... (access logs: CSV with the real runs\' nginx columns)\n');
  process.exit(files.length === 0 ? 2 : 0);
}
let code = 0;
for (const file of files) {
  try {
    process.stdout.write(`${figuresLine(file, saturationFigures(parseAccessLog(await readFile(file, 'utf8'), file)))}\n`);
  } catch (e) {
    const why = e instanceof AccessLogError ? e.message : `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
    process.stderr.write(`access-stats: ${why}\n`);
    code = 2;
  }
}
process.exit(code);
