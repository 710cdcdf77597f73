// Where the parts rewind loads after its JS come from: the wasm, the
// Sentry and Segment integrations, which only pages that use them load,
// and the compression worker's script.
// This is the npm package's version: the page's bundler resolves the URL
// and the imports (and may split the integrations into chunks of its own).
// The script-tag bundle replaces this file with js/parts-script.js
// (webpack.config.js).

import { sourceWorkerScript } from './compressor.js';

/** The module, beside this file (scripts/package-npm.mjs keeps it so). */
export const wasmUrl = () => new URL('../pkg/rewind_bg.wasm', import.meta.url);

/**
 * The script-tag bundle's packed module (js/parts-script.js); the npm
 * package has none: the page's bundler and server deliver the module.
 */
export const packedModule = () => Promise.resolve({ failed: null });

/** sentry.js's module. */
export const loadSentryModule = () => import('./sentry.js');

/** segment.js's module. */
export const loadSegmentModule = () => import('./segment.js');

/** What the compression worker runs (js/compressor.js). */
export const compressionWorkerScript = sourceWorkerScript;
