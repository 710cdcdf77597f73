// rewind's JS entry: loads the wasm once and owns the single recorder of the
// page. Every export is async because the wasm loads asynchronously.
import initWasm, { Recorder } from '../pkg/rewind.js';

let wasmLoading = null;
let recorder = null;

function loadWasm() {
  // One fetch and compile however many calls arrive while it loads.
  wasmLoading ??= initWasm();
  return wasmLoading;
}

/**
 * Starts recording the page. A second call while recording does nothing.
 * @param {import('./index').StartOptions} [options]
 */
export async function start(options) {
  await loadWasm();
  if (recorder) return;
  recorder = new Recorder(options);
}

/** Stops recording and removes everything rewind added to the page. */
export async function stop() {
  if (!recorder) return;
  const stopping = recorder;
  recorder = null;
  stopping.stop();
  stopping.free();
}

/** Takes a fresh Meta event and full snapshot now (a checkout). */
export async function takeFullSnapshot() {
  if (!recorder) throw new Error('rewind is not recording: call start() first');
  recorder.takeFullSnapshot();
}

/** Whether a recording is running. */
export function isRecording() {
  return recorder !== null;
}
