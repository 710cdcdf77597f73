// rewind's JS entry: loads the wasm once, owns the page's single recorder
// and its courier (js/courier.js, the delivery loop for recorded chunks,
// which needs no wasm), and keeps every
// failure of rewind away from the page: a call never throws into the page
// because of rewind, and if the wasm cannot load (a CSP without
// 'wasm-unsafe-eval', a 404) every call becomes a quiet no-op, except
// getSessionId(), which rejects with the reason.
import { initSync, Recorder, guardApi } from '../pkg/rewind.js';
import { Compressor } from './compressor.js';
import { Courier, hasUndelivered, PARKED_KEY_PREFIX } from './courier.js';
import { checkCustomTag, checkOptions, checkReplayIds, checkUserId, dataJson, optionValues, traitsJson } from './options.js';
import { decideSampling, RUN, SampledOutRecording, TabStorage, TELL } from './sampling.js';
// start({ segment }) registers a plugin shell with Segment at once, and the
// plugin itself follows as a file of its own (segment-start.js says why
// both).
import { startWithSegmentShell } from './segment-start.js';
import { warmUp } from './warm.js';
import { compressionWorkerScript, loadSegmentModule, loadSentryModule, packedModule, wasmUrl } from './parts.js';

export { createSegmentPlugin } from './segment.js';
// Sentry's hooks and Segment's plugin are loaded when a page uses them: the
// script-tag bundle fetches them as scripts of their own beside rewind.js
// (js/parts-script.js).
export { sentryIntegration } from './sentry.js';
// If one cannot load (not deployed beside rewind.js), rewind records
// without that integration rather than not at all.
const integration = (name, loading) =>
  loading.catch((error) => {
    warn(`could not load its ${name} integration (${error?.message ?? error}): recording without it; deploy rewind-${name.toLowerCase()}.js beside rewind.js`);
    return null;
  });
const loadSentry = () => integration('Sentry', loadSentryModule());
const loadSegment = () => integration('Segment', loadSegmentModule());

let wasmLoading = null;
// The warm-up of the module in a worker (js/warm.js), which the first
// recording waits for.
let warming = null;
let wasmExports = null;
let loadFailure = null;
let guards = null;
let courier = null;
// Compresses chunks off the main thread once the module has loaded (the
// courier hands it the chunks a recording seals plain).
const compressor = new Compressor(compressionWorkerScript);
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
// The recording's userIdAsDeviceId: identify() then checks the user id as
// a device id too.
let userIdIsDevice = false;

/**
 * An early identify() was checked for its length only: whether its user
 * id can be a device id is known once start() has its options. One that
 * cannot is dropped (the wasm takes early calls as checked).
 */
function dropUndeviceableIdentify() {
  earlyCalls = earlyCalls.filter((call) => {
    if (call[0] !== 'identify') return true;
    try {
      checkUserId(call[1], userIdIsDevice);
      return true;
    } catch (error) {
      warn(`identify() before start() ignored: ${error.message}`);
      return false;
    }
  });
}

function earlyLogCount() {
  // At most one identify() is kept, so this is the list's length or one less.
  return earlyCalls.length - (earlyCalls.some((call) => call[0] === 'identify') ? 1 : 0);
}

/** Internal (sentry.js, segment.js): a console warning, with `debug` only. */
export function warn(message, detail) {
  if (!debug) return;
  try {
    console.warn(`[rewind] ${message}`, detail ?? '');
  } catch (error) {
    // No console: nothing to tell.
  }
}

// How long the compile may stay off the main thread before rewind compiles
// on it. WebKit (Safari) settles an asynchronous WebAssembly compile only
// when the main thread goes idle: on a page that runs timers back to back
// it never settled, and rewind never started. A synchronous compile took
// 6 ms there.
const ASYNC_COMPILE_WAIT_MS = 1000;
// How long the packed module's worker may take to say it runs (it has
// loaded rewind.js and asked for the file) before rewind fetches and
// compiles the plain module instead. Longer than a compile's wait: a
// worker that cannot start says so at once (its error event), and one
// that starts slowly is a busy machine, where a second download and a
// main-thread compile cost the most. At 1 s, Chromium's worker beside a
// busy fidelity suite missed it in 2 runs of 2 (December 6), and the page
// fetched both modules.
const WORKER_START_WAIT_MS = 3000;

/** The fetched bytes, compiled; the failure says what went wrong. */
async function fetchWasm() {
  const response = await fetch(wasmUrl());
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${response.url}`);
  return response;
}

/**
 * Compiles the module off the main thread: the script-tag bundle's packed
 * one in a worker (js/unpack.js), or else the plain one (streaming, when
 * the server says application/wasm); and, if that has not settled after
 * ASYNC_COMPILE_WAIT_MS, on the main thread: the bytes the worker unpacked,
 * counted from when its compile started; the plain module, counted from
 * when its fetch started (a streaming compile runs with the download), or
 * after WORKER_START_WAIT_MS from the start when the worker never says it
 * runs. The first to finish wins.
 */
function compileWasm() {
  return new Promise((resolve, reject) => {
    let done = false;
    let onMainThread = null;
    const settle = (finish, value) => {
      if (done) return;
      done = true;
      clearTimeout(onMainThread);
      finish(value);
    };
    // Compiles what `bytes()` gives on the main thread unless the compile
    // started off it settles within ASYNC_COMPILE_WAIT_MS from now. The
    // clock runs only while a compile is what is awaited, not a download:
    // on a slow network the page would fetch and compile a second copy.
    const compileHereAfterWait = (bytes, waitMs = ASYNC_COMPILE_WAIT_MS) => {
      clearTimeout(onMainThread);
      onMainThread = setTimeout(() => {
        bytes()
          .then((code) => {
            if (!done) settle(resolve, new WebAssembly.Module(code));
          })
          // A failure here leaves the answer to the asynchronous compile.
          .catch(() => {});
      }, waitMs);
    };
    const plainBytes = () => fetchWasm().then((response) => response.arrayBuffer());
    // Until the packed module's worker says it runs, it may never answer.
    compileHereAfterWait(plainBytes, WORKER_START_WAIT_MS);
    packedModule(({ fetching, unpacked }) => {
      if (fetching) clearTimeout(onMainThread);
      else compileHereAfterWait(() => Promise.resolve(unpacked));
    })
      .then(({ module, failed }) => {
        if (module) return module;
        if (failed) warn(`the packed module was not used (${failed}): loading rewind_bg.wasm`);
        compileHereAfterWait(plainBytes);
        return fetchWasm().then((response) => {
          const streams = typeof WebAssembly.compileStreaming === 'function' && response.headers.get('Content-Type') === 'application/wasm';
          return streams ? WebAssembly.compileStreaming(response) : response.arrayBuffer().then((bytes) => WebAssembly.compile(bytes));
        });
      })
      .then((module) => settle(resolve, module), (error) => settle(reject, error));
  });
}

function loadWasm() {
  // One fetch and compile however many calls arrive while it loads, and
  // one instance of the module.
  let compiled = null;
  wasmLoading ??= compileWasm().then((module) => initSync({ module: (compiled = module) })).then(
    (exports) => {
      wasmExports = exports;
      compressor.install(compiled, exports);
      guards = guardApi();
      // The warm-up's worker then compresses and sends chunks, so the page
      // starts one worker, not two.
      warming = warmUp(compiled, (worker) => compressor.adopt(worker)).then(({ failed }) => {
        if (failed) warn(`the wasm was not warmed in a worker: ${failed}`);
      });
    },
    (error) => {
      loadFailure = new Error(
        `rewind could not load its WebAssembly module (${error?.message ?? error}); ` +
          "if the page has a Content-Security-Policy, its script-src must allow 'wasm-unsafe-eval'; " +
          'the browser needs WebAssembly with bulk memory and non-trapping float-to-int (Safari 15, Chrome 85, Firefox 79 or later)',
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

/**
 * The page's courier, created on first need: it opens the outbox and
 * delivers what it holds, with or without a recording.
 */
function theCourier() {
  if (!courier) {
    courier = new Courier(compressor);
    courier.onDelivered(tellDelivered);
  }
  return courier;
}

// Drain the outbox of earlier page loads once the page has settled, even if
// this page never calls start(). The courier is JS: delivering them loads
// no wasm, and a page with nothing to deliver does not even open the
// outbox. A chunk another tab parks while this one is open (it closed with
// its delivery unfinished) is delivered from here too.
let watchingParkedChunks = false;
if (typeof window !== 'undefined') {
  const drainLater = () => setTimeout(() => hasUndelivered().then((waiting) => waiting && theCourier()), 0);
  if (document.readyState === 'complete') drainLater();
  else window.addEventListener('load', drainLater, { once: true });
  window.addEventListener('storage', watchParkedChunks);
  watchingParkedChunks = true;
}

/** A chunk another tab of the site parked as it closed: this tab delivers it. */
function watchParkedChunks(event) {
  // After an internal error rewind attaches nothing to the page.
  if (guards?.isPoisoned()) {
    unwatchParkedChunks();
    return;
  }
  if (event.newValue === null || !event.key?.startsWith(PARKED_KEY_PREFIX)) return;
  // A courier that exists imports it; a new one imports it as it opens.
  if (courier) courier.importParked();
  else theCourier();
}

function unwatchParkedChunks() {
  if (!watchingParkedChunks) return;
  watchingParkedChunks = false;
  window.removeEventListener('storage', watchParkedChunks);
}

/**
 * Starts recording the page. A second call while recording does nothing
 * (with `debug`, it says so). Rejects only for invalid options.
 * @param {import('./index').StartOptions} options
 */
export async function start(options) {
  debug = Boolean(options?.debug);
  // The `sentry` and `segment` keys are this file's (checkOptions rejects
  // keys it does not know): checked and taken out here.
  const sentryModule = options?.sentry !== undefined && options.sentry !== false ? await loadSentry() : null;
  const sentry = sentryModule ? sentryModule.readSentryOption(options) : null;
  if (options?.segment !== undefined) {
    const { segment, ...rest } = options;
    // Recording starts once Segment has loaded, under its user's ids (or,
    // if it does not load, on rewind's own), by a start() without the
    // `segment` key: segment.js says how.
    await startWithSegmentShell(segment, rest, loadSegment, start);
    return;
  }
  if (options?.sentry !== undefined) {
    options = { ...options };
    delete options.sentry;
  }
  // Checked before anything loads: a bad option costs no download, and
  // start() rejects with what was wrong and what is allowed. The early
  // calls then wait for a start() that succeeds.
  const checked = checkOptions(options);
  if (!recorder) {
    stopped = false;
    userIdIsDevice = checked.userIdAsDeviceId === true;
    dropUndeviceableIdentify();
    // A session outside its sampling rate never loads the wasm: the same
    // decision as the wasm's, made here (js/sampling.js).
    const early = earlyCalls.find((call) => call[0] === 'identify');
    const verdict = decideSampling(options, Date.now(), early ? early[1] : null);
    if (verdict && !verdict.sampled) {
      recorder = new SampledOutRecording(verdict, options);
      if (early) recorder.user = [early[1], early[2]];
      if (sentry) sentryModule.attachToPage(sentry);
      earlyCalls = [];
      droppedEarlyLogs = 0;
      warn(`replay ${recorder.currentReplay()} is outside sampleRate: nothing is recorded (the WebAssembly module is not loaded)`);
      return;
    }
  }
  if (!(await ready())) return;
  // The first snapshot runs in the code the warm-up compiled.
  await warming;
  if (recorder) {
    warn('start() called while recording: ignored');
    return;
  }
  // (Again: identify() may have been called while the wasm loaded.)
  dropUndeviceableIdentify();
  const early = earlyCalls.flat();
  recorder = guarded(() => new Recorder(optionValues(checked), theCourier(), new TabStorage(), early), null);
  if (recorder && sentry) sentryModule.attachToPage(sentry);
  earlyCalls = [];
  if (droppedEarlyLogs > 0) {
    warn(`${droppedEarlyLogs} log() calls made before start() were dropped: the first ${EARLY_LOG_LIMIT} are kept`);
    droppedEarlyLogs = 0;
  }
  // A large page's first snapshot is written in slices between the page's
  // own tasks: start() resolves once it is complete.
  const started = recorder;
  if (started) await guarded(() => started.run(RUN.snapshotTaken), null);
}

/** Stops recording; resolves once the last chunk is stored for delivery. */
export async function stop() {
  stopped = true;
  earlyCalls = [];
  if (!recorder) return;
  const stopping = recorder;
  recorder = null;
  const storing = guarded(() => stopping.run(RUN.stop), null);
  await storing;
  guarded(() => stopping.free());
}

/**
 * Attaches a user to the replay (a Custom event `identify`, and `user` in
 * the chunks' metadata). Rejects for an invalid user id.
 */
export async function identify(userId, traits) {
  const id = checkUserId(userId, recorder !== null && userIdIsDevice);
  // As JSON now, as the page passed them (the wasm takes JSON text).
  const traitsAsJson = traitsJson(traits);
  if (!recorder) {
    // The latest identify() names the user; earlier ones before start() are
    // superseded, so the list stays bounded.
    if (!stopped) earlyCalls = earlyCalls.filter((call) => call[0] !== 'identify').concat([['identify', id, traitsAsJson]]);
    else warn('identify() while not recording: ignored');
    return;
  }
  const current = recorder;
  guarded(() => current.tell(TELL.identify, id, traitsAsJson));
}

/**
 * Continues the recording as the replay `<deviceId>/<sessionId>` (either
 * may be undefined to keep the current one): what was recorded so far
 * ends the current replay, and the new one starts at seq 0 with a full
 * snapshot. A session named so is the page's, and does not end by
 * idleness. Rejects for an invalid id; ignored while not recording.
 */
export async function setSessionId(sessionId, deviceId) {
  if (!recorder) {
    warn('setSessionId() while not recording: ignored (start() takes sessionId and deviceId)');
    return;
  }
  return switchReplay(checkReplayIds(sessionId, deviceId));
}

/** Moves the recording to the ids `checkReplayIds` gave (see setSessionId). */
async function switchReplay(ids) {
  const current = recorder;
  if (current instanceof SampledOutRecording) {
    const next = current.switchTarget(ids.sessionId, ids.deviceId);
    if (!next.sampled) {
      current.session = next.sessionId;
      current.device = next.deviceId;
      return;
    }
    // The new session is inside the rate: the real recorder starts on it,
    // as the wasm's switch would begin recording (a session named so is
    // the page's, and its replay opens at seq 0).
    recorder = null;
    if (current.user) earlyCalls = [['identify', ...current.user]];
    return start({ ...current.options, sessionId: next.sessionId, deviceId: next.deviceId });
  }
  guarded(() => current.tell(TELL.switchReplay, ids.sessionId, ids.deviceId));
}

/** Continues the recording under another device id (see setSessionId). */
export async function setDeviceId(deviceId) {
  if (!recorder) {
    warn('setDeviceId() while not recording: ignored (start() takes deviceId)');
    return;
  }
  if (deviceId === undefined || deviceId === null) {
    throw new Error(`rewind setDeviceId(deviceId): deviceId must be a string, got ${deviceId}`);
  }
  return switchReplay(checkReplayIds(undefined, deviceId, 'setDeviceId(deviceId)'));
}

/**
 * Adds a Custom event (rrweb's `addCustomEvent`): `tag` names it in the
 * player's timeline, `payload` is recorded as its JSON. Rejects for an
 * empty or overlong tag; dropped while not recording.
 */
export async function addCustomEvent(tag, payload) {
  if (!recorder) return;
  const text = checkCustomTag(tag);
  const current = recorder;
  guarded(() => current.tell(TELL.customEvent, text, dataJson(payload) ?? 'null'));
}

// Who hears of delivered chunks (segment.js's "Replay Captured").
const deliveredListeners = new Set();
function tellDelivered(replayId, seq) {
  for (const listener of deliveredListeners) {
    try {
      listener(replayId, seq);
    } catch (error) {
      warn('a delivery listener threw:', error);
    }
  }
}

/**
 * Internal (segment.js): calls `listener(replayId, seq)` for each chunk
 * the endpoint accepts; returns a function that stops it.
 */
export function onChunkDelivered(listener) {
  deliveredListeners.add(listener);
  return () => deliveredListeners.delete(listener);
}

/**
 * Internal (segment.js): the recording's device and session ids, also when
 * its session is outside sampleRate (getReplayId() is null then); null
 * when nothing records.
 */
export function currentIds() {
  const replay = currentReplay();
  if (!replay) return null;
  // A device id holds no '/'.
  const slash = replay.indexOf('/');
  return { deviceId: replay.slice(0, slash), sessionId: replay.slice(slash + 1) };
}

/** `<deviceId>/<sessionId>` of the recording, recorded or not; or null. */
function currentReplay() {
  const current = recorder;
  return current ? guarded(() => current.currentReplay() ?? null, null) : null;
}

/**
 * The recording's state (the Recorder's `status()`, one crossing):
 * whether it records, whether buffer mode holds chunks and their bytes,
 * and the current replay's start (null when not recording).
 */
function recordingStatus() {
  const current = recorder;
  const [capturing, buffering, bufferedBytes = 0, start = NaN] = (current && guarded(() => current.status(), null)) ?? [];
  return { capturing: capturing === 1, buffering: buffering === 1, bufferedBytes, start: Number.isNaN(start) ? null : start };
}

/** Seals what was recorded so far into a chunk; resolves once it is stored. */
export async function flush() {
  if (!recorder) return;
  const current = recorder;
  await guarded(() => current.run(RUN.flush), null);
}

/**
 * Takes a fresh Meta event and full snapshot now (a checkout); resolves
 * once it is complete (a large page's is written in slices).
 */
export async function takeFullSnapshot() {
  if (!recorder) return;
  const current = recorder;
  await guarded(() => current.run(RUN.takeFullSnapshot), null);
}

/** Adds a `log` event (message and optional data) to the replay's timeline. */
export async function log(message, data) {
  if (!recorder) {
    if (stopped) warn('log() while not recording: dropped');
    else if (earlyLogCount() < EARLY_LOG_LIMIT) earlyCalls.push(['log', String(message), dataJson(data)]);
    else droppedEarlyLogs += 1;
    return;
  }
  const current = recorder;
  guarded(() => current.tell(TELL.log, String(message), dataJson(data)));
}

/** `<deviceId>/<sessionId>` of the running recording, or null. */
export function getReplayId() {
  return recordingStatus().capturing ? currentReplay() : null;
}

/**
 * The time (epoch ms) of the current replay's first event, where a player
 * starts it; null when not recording.
 */
export function getReplayStartTimestamp() {
  return recordingStatus().start;
}

/**
 * The current session id (null when not recording); `callback`, if given,
 * is called with it. Rejects when rewind could not load, saying why.
 */
export async function getSessionId(callback) {
  // A session outside sampleRate knows its id without the wasm.
  if (!(recorder instanceof SampledOutRecording)) await loadWasm();
  const id = currentIds()?.sessionId ?? null;
  if (typeof callback === 'function') callback(id);
  return id;
}

/** Whether a recording runs. */
export function isRecording() {
  return recorder !== null;
}

/**
 * Resolves with true once every stored chunk has been delivered, or with
 * false after `timeoutMs` (at once when the wasm could not load).
 */
export async function whenDelivered(timeoutMs = 30000) {
  // As the snippet's stub answers when rewind cannot load (js/api.js's
  // UNLOADED), though the courier, which needs no wasm, still delivers.
  if (loadFailure) return false;
  // Without a courier this page stored nothing; what earlier ones left
  // starts one.
  if (!courier && !(await hasUndelivered())) return true;
  return theCourier().whenEmpty(timeoutMs);
}

/**
 * What rewind has attached to the page now: `{ listeners, observers,
 * timers, hooks }` (all zero after stop(), apart from the courier's one
 * storage listener, and after an internal error).
 */
export async function attachedCounts() {
  const none = { listeners: 0, observers: 0, timers: 0, hooks: 0 };
  const counts = wasmLoading && ((await ready()) || guards) ? guards.attachedCounts() : none;
  if (guards?.isPoisoned()) unwatchParkedChunks();
  // The one listener for chunks other tabs park.
  return { ...counts, listeners: counts.listeners + (watchingParkedChunks ? 1 : 0) };
}

/**
 * Memory rewind holds outside the JS heap: `wasmBytes`, the size of its
 * WebAssembly memory (0 before the module has loaded; wasm memory only
 * grows, so this is the high-water mark of the page's recording), and in
 * buffer mode (`buffering` until a trigger) the compressed chunks it keeps,
 * `bufferedBytes`.
 */
export function memoryUsage() {
  const { buffering, bufferedBytes } = recordingStatus();
  return {
    wasmBytes: wasmExports?.memory?.buffer?.byteLength ?? 0,
    buffering,
    bufferedBytes: buffering ? bufferedBytes : 0,
  };
}
