// The script-tag bundle's js/parts.js: its wasm and its integrations are
// files beside rewind.js, found from the URL rewind.js was loaded from, and
// its compression worker runs rewind.js itself.
//
// rewind-sentry.js and rewind-segment.js are scripts of their own
// (webpack.config.js builds them), not webpack chunks: each registers, in
// self.__rewindChunks, a function that makes its module from what it needs
// of this bundle (`host`, below). So rewind.js carries no chunk-loading
// runtime, and its modules are concatenated into one scope: 1.0 KB of gzip
// less than with webpack's chunks, on every page, for a few hundred bytes
// more on the pages that load an integration.
import {
  addCustomEvent,
  currentIds,
  flush,
  getReplayId,
  getReplayStartTimestamp,
  identify,
  isRecording,
  onChunkDelivered,
  setSessionId,
  start,
  warn,
} from './index.js';
import { isSegment, registerPlugin, PLUGIN_IDENTITY } from './segment-start.js';
import { bundleScript, bundleWorkerScript, unpackInWorker } from './warm.js';

/** The global where an integration's script registers itself. */
const REGISTRY = '__rewindChunks';

/**
 * What an integration imports from './index.js' and './segment-start.js'.
 * scripts/bundle.mjs fails the build when an integration imports a name
 * that is not here.
 */
export const host = () => ({
  addCustomEvent,
  currentIds,
  flush,
  getReplayId,
  getReplayStartTimestamp,
  identify,
  isRecording,
  onChunkDelivered,
  setSessionId,
  start,
  warn,
  isSegment,
  registerPlugin,
  PLUGIN_IDENTITY,
});

/**
 * The file `name`, beside rewind.js (or at the page's base URL, where
 * rewind.js ran without a <script> of its own to say where it is).
 */
const besideBundle = (name) => new URL(name, bundleScript().url || document.baseURI);

export const wasmUrl = () => besideBundle('rewind_bg.wasm');

/**
 * The module from dist/rewind_bg.wasm.packed, unpacked and compiled in a
 * worker (js/unpack.js says why): `{ module }`, or `{ failed }` saying why
 * the page should compile rewind_bg.wasm instead; `onProgress` as
 * js/warm.js's unpackInWorker gives it.
 */
export const packedModule = (onProgress) => unpackInWorker(besideBundle('rewind_bg.wasm.packed').href, onProgress);

/**
 * Loads rewind-`name`.js beside rewind.js and makes its module; rejects,
 * saying why, when the file does not load or is not that integration.
 */
function loadIntegration(name) {
  return new Promise((resolve, reject) => {
    const src = besideBundle(`rewind-${name}.js`).href;
    const script = document.createElement('script');
    // A page whose Content-Security-Policy allows rewind.js by its nonce
    // allows the integration by the same one.
    const { nonce } = bundleScript();
    if (nonce) script.nonce = nonce;
    const registry = (self[REGISTRY] = self[REGISTRY] || []);
    const done = (error) => {
      script.onload = script.onerror = null;
      script.remove();
      // A script's load event follows its run at once, so what it
      // registered is the last entry of its name.
      let make = null;
      for (let at = registry.length - 1; at >= 0 && !make; at -= 1) {
        if (registry[at][0] === name) make = registry.splice(at, 1)[0][1];
      }
      if (error || !make) reject(new Error(error || `${src} is not rewind's ${name} integration`));
      else resolve(make(host()));
    };
    script.onload = () => done(null);
    script.onerror = () => done(`${src} did not load`);
    script.src = src;
    (document.head || document.documentElement).appendChild(script);
  });
}

export const loadSentryModule = () => loadIntegration('sentry');
export const loadSegmentModule = () => loadIntegration('segment');

/**
 * What the compression worker runs (js/compressor.js): the bundle itself,
 * which in a worker serves the page (js/warm-worker.js), as the warm-up's
 * worker does; null without the bundle's URL.
 */
export const compressionWorkerScript = () => bundleWorkerScript();
