import type { BuildOptions } from 'esbuild';

export declare const k6BundleOptions: BuildOptions;
