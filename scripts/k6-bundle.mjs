// How a k6 script is bundled, for the build (scripts/build.mjs) and for the tests and benches that
// bundle a fixture or a rung of their own: one set of esbuild options, so a fixture runs in k6 as
// the scenarios do.
export const k6BundleOptions = {
  bundle: true,
  platform: 'browser', // no Node built-ins: a node: import fails the build
  format: 'esm', // k6 loads ES modules
  target: 'es2020',
  external: ['k6', 'k6/*'], // provided by the k6 runtime
  // No source map: k6 keeps a parsed map in every VU, which costs memory and GC time per request
  // (see bench:overhead); the bundle is not minified and esbuild marks each source file in it.
  sourcemap: false,
  minify: false,
};
