// Compression of sealed chunks off the page's main thread.
//
// Deflating is a fifth of what recording costs the page (31.6 ms per MiB
// of JSON on the bench machine), and it need not run on the main thread:
// a recording seals its chunks plain (src/core/chunk.rs) when the courier
// says it compresses off the thread, and this compressor hands each one to
// a dedicated worker that runs the same wasm module (the page's compiled
// `WebAssembly.Module`, so nothing is fetched or compiled twice from the
// network) through three plain exports, `gzip_in`, `gzip_run`, `gzip_out`
// (src/web/courier.rs).
//
// Where no worker can run (a Content-Security-Policy without `blob:` in
// worker-src, or no Worker at all) or the worker fails, chunks are
// compressed with the page's own instance instead: the same output, on the
// main thread, as before. Nothing is lost either way: the courier keeps
// each chunk's JSON until its gzip comes back, and a page that hides with
// chunks in the worker has the courier compress them at once with
// `compressNow` and park them (js/courier.js, compressAndParkNow).
//
// The worker also sends the chunks too large for a keepalive request
// (`sendOffThread`), with the courier's own `send`: fetch copies its body
// on the calling thread, which in Chromium costs the main thread about 10
// ms per MiB (1 to 2 ms for a 90 KiB chunk). A send the worker cannot
// finish (it failed or was given up) is made again from the main thread.

/** `json` (a Uint8Array) as gzip, by the module instance `exports`. */
export function gzipWith(exports, json) {
  const input = exports.gzip_in(json.length) >>> 0;
  new Uint8Array(exports.memory.buffer, input, json.length).set(json);
  const length = exports.gzip_run() >>> 0;
  const body = new Uint8Array(exports.memory.buffer, exports.gzip_out() >>> 0, length).slice();
  // Frees both buffers: a large snapshot's JSON is megabytes.
  exports.gzip_in(0);
  return body;
}

// The npm build's worker script, run from a blob: URL. It gets `gzipWith`'s
// source as an argument, so it shares no name with this module (which a
// minifier renames), and the courier's `send` the same way (null before the
// courier gave it). Every import of the module gets a stand-in that throws:
// the three exports call none of them. (The script-tag bundle's worker
// loads the bundle itself instead, js/parts-script.js: where nothing uses
// `sourceWorkerScript`, the minifier leaves this out of rewind.js.)
function workerMain(gzipWith, send) {
  // Jobs that arrive while the module instantiates wait for it, in order.
  let instantiated = null;
  const reason = (error) => String((error && error.message) || error);
  self.onmessage = ({ data }) => {
    if (data.module) {
      const imports = {};
      const absent = () => {
        throw new Error("not available in rewind's compression worker");
      };
      for (const { module, name } of WebAssembly.Module.imports(data.module)) {
        imports[module] = imports[module] || {};
        imports[module][name] = absent;
      }
      instantiated = WebAssembly.instantiate(data.module, imports).then(
        (instance) => {
          self.postMessage({ ready: true });
          return instance.exports;
        },
        (error) => {
          self.postMessage({ failed: reason(error) });
          return null;
        },
      );
      return;
    }
    if (data.send) {
      // Needs no module: not queued behind its instantiation.
      send(data.send, data.timeoutMs, false).then((attempt) => self.postMessage({ id: data.id, attempt }));
      return;
    }
    instantiated.then((exports) => {
      try {
        const body = gzipWith(exports, data.json);
        self.postMessage({ id: data.id, body }, [body.buffer]);
      } catch (error) {
        self.postMessage({ id: data.id, failed: reason(error) });
      }
    });
  };
}

/**
 * The npm build's compression worker script (js/parts.js): workerMain with
 * `gzipWith` and `send`, the courier's, from their source text.
 */
export const sourceWorkerScript = (send) => `(${workerMain})(${gzipWith}, ${send});`;

// A worker is not worth starting for a few small chunks: its start costs
// the main thread about 9 ms (the bench's typing profile: startWorker's
// own time), as much as deflating some 280 KiB of JSON here (about 32 ms
// per MiB). So small chunks are compressed here until they add up to
// WORKER_AFTER_BYTES (the rent paid reaches the price of the worker), and
// the first chunk of WORKER_CHUNK_BYTES or more (a snapshot, a burst of
// mutations) starts the worker at once. A short or quiet session then
// never starts one, and a busy one starts it within its first seconds.
// The script-tag bundle's page has one from the start instead: the worker
// that warmed the module (js/warm.js), which `adopt` takes, and which then
// takes every chunk, since its start is paid already.
const WORKER_CHUNK_BYTES = 64 * 1024;
const WORKER_AFTER_BYTES = 256 * 1024;

export class Compressor {
  /**
   * `workerScript(send)` gives the script a compression worker runs, the
   * courier's `send` given (js/parts.js's `compressionWorkerScript`), or
   * null where there is none to run.
   */
  constructor(workerScript) {
    this.workerScript = workerScript;
    // Bytes of JSON compressed on this thread while no worker ran.
    this.compressedHere = 0;
    this.module = null;
    this.exports = null;
    this.worker = null;
    // Why the worker is not used, once it cannot be.
    this.workerFailure = null;
    // Jobs in the worker by id: { json, resolve } to compress, or
    // { record, timeoutMs, resolve } to send.
    this.jobs = new Map();
    // The courier's `send(record, timeoutMs, keepalive)`, once it gives it.
    this.send = null;
    this.nextId = 1;
    // Told where chunks are compressed (the courier logs it with `debug`).
    this.report = () => {};
  }

  /** The page's compiled module and its instance's raw exports, once loaded. */
  install(module, exports) {
    this.module = module;
    this.exports = exports;
  }

  /** Whether chunks can be compressed in a worker (as far as is known before one starts). */
  offThread() {
    return (
      Boolean(this.module) &&
      !this.workerFailure &&
      typeof Worker === 'function' &&
      typeof Blob === 'function' &&
      typeof URL.createObjectURL === 'function'
    );
  }

  /** `json` as gzip on this thread. */
  compressNow(json) {
    return gzipWith(this.exports, json);
  }

  /**
   * Resolves with `json` as gzip, compressed in the worker if it can be;
   * rejects only if the page's own instance fails too (a broken module).
   */
  compress(json) {
    return new Promise((resolve, reject) => {
      if (!this.worker && json.length < WORKER_CHUNK_BYTES && this.compressedHere + json.length < WORKER_AFTER_BYTES) {
        this.compressedHere += json.length;
        this.settleHere({ json, resolve, reject });
        return;
      }
      const worker = this.offThread() ? this.startWorker() : null;
      if (!worker) {
        this.settleHere({ json, resolve, reject });
        return;
      }
      if (this.adoptedUnsaid) {
        this.adoptedUnsaid = false;
        this.report('compressing chunks in a worker');
      }
      const id = this.nextId++;
      this.jobs.set(id, { json, resolve, reject });
      // Copied, not transferred: the job keeps its JSON until the gzip
      // comes back (see finishNow).
      worker.postMessage({ id, json });
    });
  }

  /**
   * Sends `record` (as the courier's `send` does, without keepalive) from
   * the worker, resolving with the attempt; null when no worker runs, and
   * the caller sends it itself. Starts no worker: a page with few chunks
   * has none.
   */
  sendOffThread(record, timeoutMs) {
    const worker = this.worker;
    if (!worker || !this.send) return null;
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.jobs.set(id, { record, timeoutMs, resolve });
      const { endpoint, apiKey, body } = record;
      // The body is copied, not transferred: the record keeps it for a retry.
      worker.postMessage({ id, send: { endpoint, apiKey, body }, timeoutMs });
    });
  }

  /** Every job still in the worker, compressed or sent here and now (the worker is given up). */
  finishNow() {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const job of jobs) this.settleHere(job);
  }

  settleHere(job) {
    // A send: whether the worker's request got through is not known, so
    // it is made again.
    if (job.record) return job.resolve(this.send(job.record, job.timeoutMs, false));
    try {
      job.resolve(this.compressNow(job.json));
    } catch (error) {
      job.reject(error);
    }
  }

  /**
   * Takes `worker` as this compressor's worker: one that already has the
   * module and answers jobs as workerMain does (the warm-up worker,
   * js/warm.js), so no second worker starts. Refused, and ended, when a
   * worker runs already or none can be used.
   */
  adopt(worker) {
    if (this.worker || this.workerFailure) {
      worker.terminate();
      return;
    }
    this.listen(worker);
    this.worker = worker;
    // Said with its first chunk: the courier that logs it (with `debug`)
    // is set up after the warm-up.
    this.adoptedUnsaid = true;
  }

  listen(worker) {
    worker.onmessage = ({ data }) => this.onWorkerMessage(data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.stopWorker(event.message || 'the worker could not start (a Content-Security-Policy may forbid blob: workers)');
    };
    worker.onmessageerror = () => this.stopWorker('a message from the worker could not be read');
  }

  startWorker() {
    if (this.worker) return this.worker;
    let url = null;
    try {
      const script = this.workerScript(this.send);
      if (!script) throw new Error('no script for a worker (rewind.js was not loaded by a <script> of its own)');
      url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
      const worker = new Worker(url);
      this.listen(worker);
      // `serve`: a worker of the bundle's own (js/warm-worker.js) serves
      // without warming up first.
      worker.postMessage({ module: this.module, serve: true });
      this.worker = worker;
    } catch (error) {
      this.stopWorker(error?.message ?? String(error));
    } finally {
      // The worker has its script once constructed.
      if (url) URL.revokeObjectURL(url);
    }
    return this.worker;
  }

  onWorkerMessage(data) {
    if (data.id === undefined) {
      if (data.ready) this.report('compressing chunks in a worker');
      else this.stopWorker(`the worker could not instantiate the module: ${data.failed}`);
      return;
    }
    const job = this.jobs.get(data.id);
    if (!job) return;
    this.jobs.delete(data.id);
    // A send's attempt, or a chunk's gzip.
    if (data.attempt || data.body instanceof Uint8Array) {
      job.resolve(data.attempt || data.body);
      return;
    }
    // A trap leaves the worker's instance unsound: it is not used again.
    this.settleHere(job);
    this.stopWorker(`the worker failed to compress a chunk: ${data.failed}`);
  }

  /** The worker is given up for this page: what it held is compressed or sent here. */
  stopWorker(reason) {
    if (!this.workerFailure) this.report(`compressing chunks on the main thread: ${reason}`);
    this.workerFailure = reason;
    try {
      this.worker?.terminate();
    } catch (error) {
      // Already gone.
    }
    this.worker = null;
    this.finishNow();
  }
}
