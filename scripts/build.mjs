// Builds the Node CLI and the k6 scenario bundles with esbuild.
//
// k6 runs TypeScript itself, but we bundle anyway: one self-contained artefact per scenario (what the
// k6-operator ConfigMap carries), shared modules resolved at build time, and a hard stop on Node
// imports: with platform "browser" a `node:` import cannot resolve, so it fails the build here
// rather than at run time inside k6.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { k6BundleOptions } from './k6-bundle.mjs';

const root = new URL('..', import.meta.url).pathname;
const scenarios = readdirSync(join(root, 'src/k6/scenarios'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => join(root, 'src/k6/scenarios', f));

const started = Date.now();
try {
  await Promise.all([
    build({
      entryPoints: [join(root, 'src/node/cli/main.ts')],
      outfile: join(root, 'dist/node/talkload.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external', // node_modules stay resolvable at run time, not copied in
      sourcemap: 'linked',
      logLevel: 'warning',
    }),
    build({ ...k6BundleOptions, entryPoints: scenarios, outdir: join(root, 'dist/k6'), logLevel: 'warning' }),
  ]);
} catch {
  // esbuild has already printed the errors with file and line.
  process.stderr.write('build: failed\n');
  process.exit(1);
}
console.log(`build: dist/node/talkload.mjs and ${scenarios.length} k6 bundle(s) in dist/k6/ (${Date.now() - started} ms)`);
