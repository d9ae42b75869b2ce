// Keeps the three runtimes apart (the k6 tsconfig and esbuild's browser platform catch most of it;
// this catches the rest, e.g. shared code importing k6):
//   src/shared  imports only other src/shared files (no node:, no k6, no packages)
//   src/k6      imports k6, k6/*, and relative files under src/k6 or src/shared
//   src/node    never imports k6 or src/k6
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const problems = [];
for (const area of ['shared', 'k6', 'node']) {
  const base = join(root, 'src', area);
  for (const file of files(base)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      const rel = relative(root, file);
      const isRelative = spec.startsWith('.');
      const targetArea = isRelative ? relative(join(root, 'src'), resolve(dirname(file), spec)).split('/')[0] : null;
      const isTest = file.endsWith('.test.ts');
      if (area === 'shared') {
        if (!isRelative || targetArea !== 'shared') {
          if (!(isTest && spec.startsWith('node:'))) problems.push(`${rel}: shared code may not import "${spec}"`);
        }
      } else if (area === 'k6') {
        const ok = spec === 'k6' || spec.startsWith('k6/') || (isRelative && (targetArea === 'k6' || targetArea === 'shared'));
        if (!ok) problems.push(`${rel}: k6 code may only import k6 modules and src/k6 or src/shared files, not "${spec}"`);
      } else if (spec === 'k6' || spec.startsWith('k6/') || targetArea === 'k6') {
        problems.push(`${rel}: Node code may not import k6 code "${spec}"`);
      }
    }
  }
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log('check-imports: src/shared, src/k6 and src/node keep to their runtimes');
