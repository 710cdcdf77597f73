// rewind's JS entry: loads the wasm once, owns the page's single recorder
// and its courier (the delivery loop for recorded chunks), and keeps every
// failure of rewind away from the page: a call never throws into the page
// because of rewind, and if the wasm cannot load (a CSP without
// 'wasm-unsafe-eval', a 404) every call becomes a quiet no-op, except
// getSessionId(), which rejects with the reason.
import initWasm, { Courier, Recorder, guardApi } from '../pkg/rewind.js';

let wasmLoading = null;
let wasmExports = null;
let loadFailure = null;
let guards = null;
let courier = null;
let recorder = null;
let debug = false;

// Calls made before start() (while nothing records yet, or while start()
// loads the wasm) are kept and handed to the recording that starts, in
// call order: ['identify', userId, traits] names its user (and, with
// userIdAsDeviceId, its device) from the first chunk on; ['log', message,
// data] is recorded right after its first full snapshot. Bounded, so a page
// that never starts rewind keeps no more than this.
const EARLY_LOG_LIMIT = 100;
let earlyCalls = [];
let droppedEarlyLogs = 0;
// After stop(), nothing records until the next start(): calls then are
// dropped, not kept for a recording that may never come.
let stopped = false;

const USER_ID_MAX_CHARS = 256;

function earlyLogCount() {
  // At most one identify() is kept, so this is the list's length or one less.
  return earlyCalls.length - (earlyCalls.some((call) => call[0] === 'identify') ? 1 : 0);
}

function warn(message, detail) {
  if (!debug) return;
  try {
    console.warn(`[rewind] ${message}`, detail ?? '');
  } catch (error) {
    // No console: nothing to tell.
  }
}

function loadWasm() {
  // One fetch and compile however many calls arrive while it loads.
  wasmLoading ??= initWasm().then(
    (exports) => {
      wasmExports = exports;
      guards = guardApi();
      // The courier first delivers what earlier page loads left in the
      // outbox; that needs no start().
      courier ??= new Courier();
    },
    (error) => {
      loadFailure = new Error(
        `rewind could not load its WebAssembly module (${error?.message ?? error}); ` +
          "if the page has a Content-Security-Policy, its script-src must allow 'wasm-unsafe-eval'",
      );
      throw loadFailure;
    },
  );
  return wasmLoading;
}

/** Whether rewind can run: loaded, and not stopped by an internal error. */
async function ready() {
  try {
    await loadWasm();
  } catch (error) {
    warn('not recording:', loadFailure?.message);
    return false;
  }
  return !guards.isPoisoned();
}

/** Runs a call into the wasm; an internal failure stops rewind, not the page. */
function guarded(call, fallback) {
  try {
    return call();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError || guards?.isPoisoned()) {
      guards?.poison(error);
      recorder = null;
      return fallback;
    }
    throw error;
  }
}

// Drain the outbox of earlier page loads once the page has settled, even if
// this page never calls start().
if (typeof window !== 'undefined') {
  const drainLater = () => setTimeout(() => loadWasm().catch(() => {}), 0);
  if (document.readyState === 'complete') drainLater();
  else window.addEventListener('load', drainLater, { once: true });
}

/**
 * Starts recording the page. A second call while recording does nothing
 * (with `debug`, it says so). Rejects only for invalid options.
 * @param {import('./index').StartOptions} options
 */
export async function start(options) {
  debug = Boolean(options?.debug);
  if (!recorder) stopped = false;
  if (!(await ready())) return;
  if (recorder) {
    warn('start() called while recording: ignored');
    return;
  }
  const early = earlyCalls;
  // Invalid options throw a JsError naming the key: the caller's to catch;
  // the early calls then wait for a start() that succeeds.
  recorder = guarded(() => new Recorder(options, courier, early), null);
  earlyCalls = [];
  if (droppedEarlyLogs > 0) {
    warn(`${droppedEarlyLogs} log() calls made before start() were dropped: the first ${EARLY_LOG_LIMIT} are kept`);
    droppedEarlyLogs = 0;
  }
  // A large page's first snapshot is written in slices between the page's
  // own tasks: start() resolves once it is complete.
  const started = recorder;
  if (started) await guarded(() => started.snapshotTaken(), null);
}

/** Stops recording; resolves once the last chunk is stored for delivery. */
export async function stop() {
  stopped = true;
  earlyCalls = [];
  if (!recorder) return;
  const stopping = recorder;
  recorder = null;
  const storing = guarded(() => stopping.stop(), null);
  await storing;
  guarded(() => stopping.free());
}

/**
 * Attaches a user to the replay (a Custom event `identify`, and `user` in
 * the chunks' metadata). Rejects for an invalid user id.
 */
export async function identify(userId, traits) {
  if (!recorder) {
    const id = String(userId);
    const length = [...id].length;
    if (length === 0 || length > USER_ID_MAX_CHARS) {
      throw new Error(
        `rewind identify(userId): the user id must be a string of 1 to ${USER_ID_MAX_CHARS} characters, got ${length} characters`,
      );
    }
    // The latest identify() names the user; earlier ones before start() are
    // superseded, so the list stays bounded.
    if (!stopped) earlyCalls = earlyCalls.filter((call) => call[0] !== 'identify').concat([['identify', id, traits]]);
    else warn('identify() while not recording: ignored');
    return;
  }
  const current = recorder;
  guarded(() => current.identify(String(userId), traits));
}

/** Seals what was recorded so far into a chunk; resolves once it is stored. */
export async function flush() {
  if (!recorder) return;
  const current = recorder;
  await guarded(() => current.flush(), null);
}

/**
 * Takes a fresh Meta event and full snapshot now (a checkout); resolves
 * once it is complete (a large page's is written in slices).
 */
export async function takeFullSnapshot() {
  if (!recorder) return;
  const current = recorder;
  guarded(() => current.takeFullSnapshot());
  await guarded(() => current.snapshotTaken(), null);
}

/** Adds a `log` event (message and optional data) to the replay's timeline. */
export async function log(message, data) {
  if (!recorder) {
    if (stopped) warn('log() while not recording: dropped');
    else if (earlyLogCount() < EARLY_LOG_LIMIT) earlyCalls.push(['log', String(message), data]);
    else droppedEarlyLogs += 1;
    return;
  }
  const current = recorder;
  guarded(() => current.log(String(message), data));
}

/** `<deviceId>/<sessionId>` of the running recording, or null. */
export function getReplayId() {
  if (!recorder) return null;
  const current = recorder;
  return guarded(() => current.replayId() ?? null, null);
}

/**
 * The current session id (null when not recording); `callback`, if given,
 * is called with it. Rejects when rewind could not load, saying why.
 */
export async function getSessionId(callback) {
  await loadWasm();
  const current = recorder;
  const id = current ? guarded(() => current.sessionId() ?? null, null) : null;
  if (typeof callback === 'function') callback(id);
  return id;
}

/** Whether a recording runs. */
export function isRecording() {
  return recorder !== null;
}

/**
 * Resolves with true once every stored chunk has been delivered, or with
 * false after `timeoutMs`.
 */
export async function whenDelivered(timeoutMs = 30000) {
  if (!(await ready())) return false;
  return courier.whenEmpty(timeoutMs);
}

/**
 * What rewind has attached to the page now: `{ listeners, observers,
 * timers, hooks }` (all zero after stop(), apart from the courier's one
 * storage listener, and after an internal error).
 */
export async function attachedCounts() {
  if (!(await ready()) && !guards) return { listeners: 0, observers: 0, timers: 0, hooks: 0 };
  return guards.attachedCounts();
}

/**
 * Memory rewind holds outside the JS heap: `{ wasmBytes }`, the size of its
 * WebAssembly memory (0 before the module has loaded). Wasm memory only
 * grows, so this is the high-water mark of the page's recording.
 */
export function memoryUsage() {
  return { wasmBytes: wasmExports?.memory?.buffer?.byteLength ?? 0 };
}
