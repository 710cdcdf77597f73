// When js/compressor.js starts its worker: small chunks are compressed on
// the main thread until they add up to the price of a worker's start, and a
// large chunk starts it at once (the file says why). In Node, with a
// stand-in Worker that answers each job, and the main thread's deflate
// counted rather than run.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { Compressor, sourceWorkerScript } from '../../js/compressor.js';

const KiB = 1024;
let workers;
let savedWorker;

/**
 * A Worker that records what it is sent and answers each job with a
 * one-byte body, each send with a 200 (none while `holdSends`).
 */
class StandInWorker {
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.holdSends = false;
    workers.push(this);
  }
  postMessage(message) {
    this.sent.push(message);
    if (message.module) setImmediate(() => this.onmessage({ data: { ready: true } }));
    else if (message.send) {
      if (!this.holdSends) setImmediate(() => this.onmessage({ data: { id: message.id, attempt: { status: 200, retryAfter: null } } }));
    } else setImmediate(() => this.onmessage({ data: { id: message.id, body: new Uint8Array([1]) } }));
  }
  terminate() {}
}

beforeEach(() => {
  workers = [];
  savedWorker = globalThis.Worker;
  globalThis.Worker = StandInWorker;
});
afterEach(() => {
  if (savedWorker === undefined) delete globalThis.Worker;
  else globalThis.Worker = savedWorker;
});

/** A compressor with a module installed whose main-thread compressions are listed (by size). */
function countingCompressor() {
  const compressor = new Compressor(sourceWorkerScript);
  compressor.install({ stand: 'in module' }, {});
  compressor.here = [];
  compressor.compressNow = (json) => {
    compressor.here.push(json.length);
    return new Uint8Array([0]);
  };
  return compressor;
}

const json = (bytes) => new Uint8Array(bytes);
/** Where each job was compressed: 0 for this thread, 1 for the worker (the stand-ins' bodies). */
const where = async (jobs) => (await Promise.all(jobs)).map((body) => body[0]);

test('small chunks are compressed on the main thread until they add up to 256 KiB; then the worker starts and takes the next', async () => {
  const compressor = countingCompressor();
  const first = [];
  for (let i = 0; i < 4; i++) first.push(compressor.compress(json(60 * KiB)));
  assert.deepEqual(await where(first), [0, 0, 0, 0], '240 KiB: not yet worth a worker');
  assert.equal(workers.length, 0);
  // 240 + 20 KiB reaches 256 KiB: this one goes to a worker, and so do later small ones.
  const later = [compressor.compress(json(20 * KiB)), compressor.compress(json(KiB))];
  assert.deepEqual(await where(later), [1, 1]);
  assert.equal(workers.length, 1);
  assert.deepEqual(compressor.here, [60 * KiB, 60 * KiB, 60 * KiB, 60 * KiB]);
  assert.ok(workers[0].sent[0].module, 'the worker gets the page\'s module first');
  assert.deepEqual(workers[0].sent.slice(1).map((message) => message.json.length), [20 * KiB, KiB]);
});

test('a chunk of 64 KiB or more starts the worker at once', async () => {
  const compressor = countingCompressor();
  assert.deepEqual(await where([compressor.compress(json(100)), compressor.compress(json(64 * KiB)), compressor.compress(json(100))]), [0, 1, 1]);
  assert.equal(workers.length, 1);
  assert.deepEqual(compressor.here, [100]);
});

test('where no worker can run, every chunk is compressed on the main thread, large ones too', async () => {
  delete globalThis.Worker;
  const compressor = countingCompressor();
  assert.deepEqual(await where([compressor.compress(json(300 * KiB)), compressor.compress(json(10))]), [0, 0]);
  assert.deepEqual(compressor.here, [300 * KiB, 10]);
});

test('a send goes to the worker only once one runs, and is made again here when the worker is given up', async () => {
  const compressor = countingCompressor();
  const sentHere = [];
  compressor.send = (record, timeoutMs, keepalive) => {
    sentHere.push({ seq: record.seq, timeoutMs, keepalive });
    return Promise.resolve({ status: 202, retryAfter: null });
  };
  const record = (seq) => ({ replayId: 'dev/1', seq, endpoint: 'http://127.0.0.1:9/ingest', apiKey: 'k', body: new Uint8Array(70 * KiB), createdAt: 1 });
  assert.equal(compressor.sendOffThread(record(0), 500), null, 'no worker: the caller sends');
  assert.equal(workers.length, 0, 'a send starts no worker');
  await compressor.compress(json(64 * KiB));
  assert.deepEqual(await compressor.sendOffThread(record(1), 500), { status: 200, retryAfter: null });
  const message = workers[0].sent.at(-1);
  assert.deepEqual(message.send, { endpoint: 'http://127.0.0.1:9/ingest', apiKey: 'k', body: record(1).body });
  assert.equal(message.timeoutMs, 500);
  assert.deepEqual(sentHere, []);
  // The worker fails with a send in it: its fate is unknown, so it is sent here.
  workers[0].holdSends = true;
  const pending = compressor.sendOffThread(record(2), 700);
  compressor.stopWorker('gone');
  assert.deepEqual(await pending, { status: 202, retryAfter: null });
  assert.deepEqual(sentHere, [{ seq: 2, timeoutMs: 700, keepalive: false }]);
  assert.equal(compressor.sendOffThread(record(3), 500), null, 'a given-up worker takes no more sends');
});

test('an adopted worker (the warm-up\'s) takes every chunk, small ones too, and no second worker starts', async () => {
  const compressor = countingCompressor();
  const reports = [];
  compressor.report = (message) => reports.push(message);
  const adopted = new StandInWorker('warm-up');
  compressor.adopt(adopted);
  assert.deepEqual(await where([compressor.compress(json(100)), compressor.compress(json(64 * KiB))]), [1, 1]);
  assert.equal(workers.length, 1, 'no worker started beside it');
  assert.deepEqual(compressor.here, []);
  assert.deepEqual(adopted.sent.map((message) => message.json.length), [100, 64 * KiB], 'jobs only: it has the module already');
  assert.deepEqual(reports, ['compressing chunks in a worker']);
  // A second one is ended, not used.
  let ended = false;
  const second = new StandInWorker('another');
  second.terminate = () => {
    ended = true;
  };
  compressor.adopt(second);
  assert.equal(ended, true);
  assert.deepEqual(await where([compressor.compress(json(100))]), [1]);
  assert.equal(second.sent.length, 0);
});
