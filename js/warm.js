// Warming the wasm off the main thread (issue 14).
//
// V8 compiles each wasm function on its first call, on the thread that
// calls it, and runs it in its baseline tier until it is hot: a page's
// first recording compiled 350 to 470 functions on its main thread (5 to
// 30 ms in a bench scenario's trace) and took its first snapshot in
// baseline code. Compiled code belongs to the module, not to the thread:
// a worker given the page's WebAssembly.Module that runs a function
// compiles it for the page too, optimized tier included. So once the
// module is compiled, the script-tag bundle loads itself into a worker
// (importScripts from a blob: URL, which also works when rewind.js comes
// from another origin) and there records a stand-in page once
// (js/warm-worker.js), and the first start() waits for it, at most
// WARM_UP_WAIT_MS. Recording wire.html in Chromium compiled 419 functions
// on the main thread without it and 39 with it (423 in the worker;
// tests/e2e/warm.test.mjs); in an A/B of the bench's text churn, 8 cold
// runs each, main-thread task time fell from 272 to 239 ms.
//
// In the script-tag bundle the same worker comes first to fetch, unpack
// and compile the packed module (unpackInWorker, js/unpack.js), and the
// warm-up then runs in it.
//
// The worker shares nothing with the page but the module: its recording
// writes to a courier that keeps nothing. Once done it stays as the page's
// compression worker (js/compressor.js adopts it), so a page starts one
// worker, not two: each start costs the main thread 1 to 10 ms. If it
// cannot start (a Content-Security-Policy without blob: workers, no
// Worker) or fails, the page records as it would have, only colder.

// The longest start() waits for the warm-up: a worker, the bundle from the
// HTTP cache, and the recording took 90 to 170 ms in Chromium. A warm-up
// done later still gives its worker to the compressor.
const WARM_UP_WAIT_MS = 400;

// The script-tag bundle's own URL and nonce (js/bundle.js gives them); a
// null URL in the npm build, which a page's bundler packs into its own
// files.
let bundle = { url: null, nonce: '' };

/**
 * Internal (js/bundle.js): the bundle's <script>, whose URL the worker
 * loads the bundle from (and js/parts-script.js the files beside it).
 */
export function setBundleScript(script) {
  const url = script?.src;
  bundle = { url: typeof url === 'string' && url ? url : null, nonce: script?.nonce || '' };
}

/** Internal: the bundle's URL (null in the npm build) and nonce. */
export const bundleScript = () => bundle;

/**
 * Internal: the script of a worker that loads the bundle (importScripts
 * from a blob: URL, which also works when rewind.js comes from another
 * origin); null without the bundle's URL.
 */
export const bundleWorkerScript = () => (bundle.url ? `importScripts(${JSON.stringify(bundle.url)});` : null);

/**
 * In the page: starts the warm-up of `module` in a worker that loads the
 * bundle, and resolves once it is done or has failed, or after
 * WARM_UP_WAIT_MS, with `{ failed }` saying why it was not done (null
 * when it was, or when there is nothing to warm: no bundle URL, in the npm
 * build that a page's own bundler packs). The worker, once done, goes to
 * `adopt` (the compressor, which compresses and sends in it), also when
 * it is done after the wait: the recording has started colder then, but
 * the page still starts no second worker. A worker that fails is ended.
 */
export function warmUp(module, adopt) {
  const scriptUrl = bundle.url;
  if (!scriptUrl || !canStartWorker()) {
    return Promise.resolve({ failed: scriptUrl ? 'this browser has no workers' : null });
  }
  return new Promise((resolve) => {
    // The worker that unpacked the module, when there is one.
    let worker = unpacker;
    unpacker = null;
    const finish = (failed) => {
      clearTimeout(timer);
      if (worker) worker.onmessage = worker.onerror = null;
      if (!failed && worker) adopt(worker);
      else {
        try {
          worker?.terminate();
        } catch (error) {
          // Already gone.
        }
      }
      resolve({ failed });
    };
    // The wait ends; the warm-up goes on.
    const timer = setTimeout(() => resolve({ failed: `not done after ${WARM_UP_WAIT_MS} ms (recording without waiting longer)` }), WARM_UP_WAIT_MS);
    try {
      worker ??= startWorker();
      worker.onmessage = ({ data }) => finish(data?.failed ?? null);
      worker.onerror = (event) => {
        event.preventDefault?.();
        finish(event.message || 'the worker could not start');
      };
      worker.postMessage({ module });
    } catch (error) {
      finish(String(error?.message ?? error));
    }
  });
}

const canStartWorker = () => typeof Worker === 'function' && typeof Blob === 'function' && typeof URL.createObjectURL === 'function';

/** A worker running the bundle (js/warm-worker.js's side); throws if it cannot start. */
function startWorker() {
  const url = URL.createObjectURL(new Blob([bundleWorkerScript()], { type: 'text/javascript' }));
  try {
    return new Worker(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

// The worker that unpacked the module, which warmUp() then warms it in:
// the page starts one worker for both.
let unpacker = null;

/**
 * In the page: a worker fetches the packed module at `url`
 * (dist/rewind_bg.wasm.packed), unpacks it (js/unpack.js) and compiles it,
 * all off the main thread. Resolves with `{ module }`, or with `{ failed }`
 * saying why not (no bundle URL or no workers: `failed` is null then, as
 * nothing was tried), after which the page compiles the plain module.
 * `onProgress` hears `{ fetching: true }` once the worker runs and fetches,
 * then `{ unpacked }`, the module's bytes, once its compile has started.
 */
export function unpackInWorker(url, onProgress = () => {}) {
  if (!bundle.url || !canStartWorker()) return Promise.resolve({ failed: null });
  return new Promise((resolve) => {
    let worker = null;
    const finish = (module, failed) => {
      if (worker) worker.onmessage = worker.onerror = null;
      if (module) unpacker = worker;
      else {
        try {
          worker?.terminate();
        } catch (error) {
          // Already gone.
        }
      }
      resolve({ module, failed });
    };
    try {
      worker = startWorker();
      worker.onmessage = ({ data }) => {
        if (data?.fetching) onProgress({ fetching: true });
        else if (data?.unpacked) onProgress({ unpacked: data.unpacked });
        else finish(data?.module ?? null, data?.failed ?? 'the worker answered without a module');
      };
      worker.onerror = (event) => {
        event.preventDefault?.();
        finish(null, event.message || 'the worker could not start');
      };
      worker.postMessage({ unpack: url });
    } catch (error) {
      finish(null, String(error?.message ?? error));
    }
  });
}
