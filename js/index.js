// rewind's JS entry: loads the wasm once, owns the page's single recorder
// and its courier (the delivery loop for recorded chunks).
import initWasm, { Courier, Recorder } from '../pkg/rewind.js';

let wasmLoading = null;
let courier = null;
let recorder = null;

function loadWasm() {
  // One fetch and compile however many calls arrive while it loads.
  wasmLoading ??= initWasm().then(() => {
    // The courier first delivers what earlier page loads left in the
    // outbox; that needs no start().
    courier ??= new Courier();
  });
  return wasmLoading;
}

// Drain the outbox of earlier page loads once the page has settled, even if
// this page never calls start().
if (typeof window !== 'undefined') {
  const drainLater = () => setTimeout(() => loadWasm().catch(() => {}), 0);
  if (document.readyState === 'complete') drainLater();
  else window.addEventListener('load', drainLater, { once: true });
}

/**
 * Starts recording the page. A second call while recording does nothing.
 * @param {import('./index').StartOptions} options
 */
export async function start(options) {
  await loadWasm();
  if (recorder) return;
  recorder = new Recorder(options, courier);
}

/** Stops recording; resolves once the last chunk is stored for delivery. */
export async function stop() {
  if (!recorder) return;
  const stopping = recorder;
  recorder = null;
  await stopping.stop();
  stopping.free();
}

/** Takes a fresh Meta event and full snapshot now (a checkout). */
export async function takeFullSnapshot() {
  if (!recorder) throw new Error('rewind is not recording: call start() first');
  recorder.takeFullSnapshot();
}

/** Adds a `log` event (message and optional data) to the replay's timeline. */
export async function log(message, data) {
  recorder?.log(String(message), data);
}

/** `<deviceId>/<sessionId>` of the running recording, or null. */
export function getReplayId() {
  return recorder?.replayId() ?? null;
}

/** The current session id, or null when not recording. */
export function getSessionId() {
  return recorder?.sessionId() ?? null;
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
  await loadWasm();
  return courier.whenEmpty(timeoutMs);
}
