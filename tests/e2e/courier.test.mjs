// The courier's decisions (js/courier.js), in node: which answers are
// retried and after how long, which chunks the outbox's caps drop, the
// text a closing tab parks in localStorage, and what a hiding page does
// with chunks still being compressed. Its IndexedDB, fetch and pagehide
// behaviour is tested in three browsers by wire.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';

import {
  backoffDelay,
  chunksToEvict,
  Courier,
  PARKED_KEY_PREFIX,
  judge,
  MAX_RETRY_AFTER_MS,
  parkedText,
  parseRetryAfter,
  readParked,
} from '../../js/courier.js';

const answered = (status, retryAfter = null) => ({ status, retryAfter });

test('success statuses deliver', () => {
  for (const status of [200, 201, 202, 204]) assert.deepEqual(judge(answered(status), 1, 0.5, 0), { delivered: true });
});

test('network errors, timeouts and server errors are retried', () => {
  for (const attempt of [{ failed: 'network error' }, { failed: 'timed out' }, answered(500), answered(502), answered(429), answered(408)]) {
    assert.ok(judge(attempt, 1, 0.5, 0).retryMs > 0, JSON.stringify(attempt));
  }
});

test('other client errors are rejected for good', () => {
  for (const status of [400, 401, 403, 404, 413, 422]) assert.deepEqual(judge(answered(status), 1, 0.5, 0), { rejected: status });
});

test('backoff doubles up to a minute, with its jitter in the upper half', () => {
  assert.equal(backoffDelay(1, 0), 500);
  assert.equal(backoffDelay(1, 1), 1000);
  assert.equal(backoffDelay(2, 0), 1000);
  assert.equal(backoffDelay(3, 0.5), 3000);
  assert.equal(backoffDelay(10, 1), 60000);
  assert.equal(backoffDelay(2 ** 32 - 1, 1), 60000);
  assert.equal(backoffDelay(1, 7), 1000, 'the random unit is clamped');
});

test('Retry-After in seconds and as a date is followed', () => {
  assert.deepEqual(judge(answered(429, '7'), 1, 0, 0), { retryMs: 7000 });
  assert.deepEqual(judge(answered(503, ' +7 '), 1, 0, 0), { retryMs: 7000 });
  // 2015-10-21T07:28:00Z is 1445412480 s after the epoch.
  const now = 1_445_412_470_000;
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now), 10000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now + 60000), 0);
  assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', 0), 0);
  assert.equal(parseRetryAfter('Tue, 29 Feb 2000 00:00:01 GMT', 951782400000), 1000, 'a leap day');
  assert.equal(parseRetryAfter('Sun, 31 Dec 2000 23:59:60 GMT', 978307200000), 0, 'a leap second');
  assert.equal(parseRetryAfter('Mon, 01 Jan 2001 00:00:10 GMT', 978307200000), 10000, 'January');
  for (const bad of ['soon', '', '-5', '7s', 'Wed, 21 Oct 2015 07:28:00 UTC', 'Wed, 21 Okt 2015 07:28:00 GMT', 'Wed, 32 Oct 2015 07:28:00 GMT', 'Wed, 21 Oct 2015 24:28:00 GMT', 'Wed 21 Oct 2015 07:28:00 GMT', 'Wed, 21 oct 2015 07:28:00 GMT', 'Wed, 00 Oct 2015 07:28:00 GMT', 'Wed, 21 Oct 2015 07:60:00 GMT', 'Wed, 1 Oct 2015 07:28:00 GMT']) {
    assert.equal(parseRetryAfter(bad, now), null, bad);
  }
  assert.equal(parseRetryAfter(null, now), null, 'no header, or one CORS hides');
});

test('an unreadable Retry-After falls back to backoff, and a huge one is capped', () => {
  assert.deepEqual(judge(answered(503, 'later'), 2, 0, 0), { retryMs: 1000 });
  assert.deepEqual(judge(answered(429, '86400'), 1, 0, 0), { retryMs: MAX_RETRY_AFTER_MS });
  assert.deepEqual(judge(answered(500, '7'), 1, 0, 0), { retryMs: 500 }, 'only 408, 429 and 503 carry a Retry-After to follow');
});

const entry = (bytes, createdAt) => ({ bytes, createdAt });

test('nothing is dropped within the caps', () => {
  assert.deepEqual(chunksToEvict([entry(10, 0), entry(10, 1)], 2, { maxBytes: 20, maxAgeMs: 10 }), []);
});

test('the oldest are dropped until the rest fits', () => {
  const entries = [entry(10, 5), entry(10, 1), entry(10, 3), entry(10, 4)];
  assert.deepEqual(chunksToEvict(entries, 6, { maxBytes: 25, maxAgeMs: 100 }), [1, 2]);
});

test('chunks past the age cap are dropped whatever the size', () => {
  const entries = [entry(1, 0), entry(1, 50), entry(1, 95)];
  assert.deepEqual(chunksToEvict(entries, 100, { maxBytes: 1000, maxAgeMs: 10 }), [0, 1]);
});

test('chunks of the same age are dropped in the order they were stored', () => {
  const entries = [entry(10, 7), entry(10, 7), entry(10, 7)];
  assert.deepEqual(chunksToEvict(entries, 8, { maxBytes: 15, maxAgeMs: 100 }), [0, 1]);
});

test("a parked chunk's text round-trips, and anything else is refused", () => {
  const parked = { replayId: 'd/1', seq: 4, endpoint: 'https://ingest.example/v1', body: new Uint8Array([31, 139, 8, 0, 255]), createdAt: 1_700_000_000_000 };
  assert.deepEqual(readParked(parkedText(parked)), parked);
  const keyed = { ...parked, apiKey: 'rk_live_1' };
  assert.deepEqual(readParked(parkedText(keyed)), keyed);
  // Every byte value survives base64, across the 32 KiB steps it is encoded in.
  const large = { ...parked, body: Uint8Array.from({ length: 70000 }, (_, index) => (index * 7) % 256) };
  assert.deepEqual(readParked(parkedText(large)), large);
  // The format written since the wasm parked chunks: a page updated to this
  // version still delivers what the previous version parked.
  assert.equal(parkedText(parked), 'rewind-parked-1\nd/1\n4\nhttps://ingest.example/v1\n\n1700000000000\nH4sIAP8=');
  const text = parkedText(parked);
  for (const bad of [text.replace('rewind-parked-1', 'other'), `${text}\nextra`, text.replace('\n4\n', '\nfour\n'), text.replace('H4sIAP8=', 'H4sIAP8'), text.replace('H4sIAP8=', 'H4s!AP8='), text.replace('d/1', ''), '']) {
    assert.equal(readParked(bad), null, JSON.stringify(bad));
  }
});

/** A localStorage of this process, and fetch answering 200 to each chunk, recorded. */
function fakePage() {
  const items = new Map();
  const posted = [];
  const saved = { localStorage: globalThis.localStorage, fetch: globalThis.fetch };
  globalThis.localStorage = {
    get length() {
      return items.size;
    },
    key: (index) => [...items.keys()][index] ?? null,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
  globalThis.fetch = async (url, init) => {
    posted.push(JSON.parse(zlib.gunzipSync(init.body)));
    return { status: 200, headers: { get: () => null } };
  };
  return {
    items,
    posted,
    restore() {
      globalThis.localStorage = saved.localStorage;
      globalThis.fetch = saved.fetch;
    },
  };
}

/** A compressor whose worker answers only when told (`answer()`); `compressedNow` counts the main thread's compressions. */
function heldCompressor() {
  const jobs = [];
  return {
    jobs,
    compressedNow: 0,
    offThread: () => true,
    compress: (json) => new Promise((resolve) => jobs.push({ json, resolve })),
    compressNow(json) {
      this.compressedNow += 1;
      return new Uint8Array(zlib.gzipSync(json));
    },
    answer() {
      for (const job of jobs.splice(0)) job.resolve(new Uint8Array(zlib.gzipSync(job.json)));
    },
  };
}

const chunkJson = (seq) => new TextEncoder().encode(JSON.stringify({ replayId: 'dev/1', seq, events: [{ type: 5, timestamp: seq }] }));
const ENDPOINT = 'http://127.0.0.1:9/ingest';

test('chunks sealed plain are stored, and delivered, in the order they were handed over', async (t) => {
  const page = fakePage();
  t.after(() => page.restore());
  const compressor = heldCompressor();
  const courier = new Courier(compressor);
  assert.equal(courier.compressesOffThread(), true);
  const stored = [
    courier.store('dev/1', 0, ENDPOINT, undefined, chunkJson(0), Date.now(), false),
    courier.store('dev/1', 1, ENDPOINT, undefined, chunkJson(1), Date.now(), false),
    // Compressed by the wasm (a closing tab's, buffer mode's): it waits for the two before it.
    courier.store('dev/1', 2, ENDPOINT, undefined, zlib.gzipSync(chunkJson(2)), Date.now(), true),
  ];
  assert.equal(courier.pendingChunks(), 3);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(page.posted, [], 'nothing is sent before its compression');
  compressor.answer();
  await Promise.all(stored);
  assert.equal(await courier.whenEmpty(2000), true);
  assert.deepEqual(page.posted.map((chunk) => chunk.seq), [0, 1, 2]);
});

test('a page that hides with chunks in the worker compresses and parks them at once, and keeps their order', async (t) => {
  const page = fakePage();
  t.after(() => page.restore());
  const compressor = heldCompressor();
  const courier = new Courier(compressor);
  const stored = [0, 1].map((seq) => courier.store('dev/1', seq, ENDPOINT, undefined, chunkJson(seq), Date.now(), false));
  // The closing tab's last chunk: not sent ahead of the two still compressing.
  const last = zlib.gzipSync(chunkJson(2));
  assert.equal(courier.sendBeforeUnload('dev/1', 2, ENDPOINT, undefined, last, Date.now()), false);
  // The worker is not waited for: each chunk in it is compressed here, once.
  assert.equal(compressor.compressedNow, 2);
  assert.equal(compressor.jobs.length, 2);
  const parked = [...page.items.keys()].filter((key) => key.startsWith(PARKED_KEY_PREFIX)).sort();
  assert.deepEqual(parked, [0, 1, 2].map((seq) => `${PARKED_KEY_PREFIX}dev/1#${seq}`));
  for (const [index, key] of parked.entries()) {
    const record = readParked(page.items.get(key));
    assert.deepEqual(JSON.parse(zlib.gunzipSync(record.body)), JSON.parse(new TextDecoder().decode(chunkJson(index))));
  }
  // The page lived on (a bfcache'd page): the worker answers late (its
  // gzip is not used), and everything is delivered, in order, and unparked
  // once delivered.
  compressor.answer();
  stored.push(courier.store('dev/1', 2, ENDPOINT, undefined, last, Date.now(), true));
  await Promise.all(stored);
  assert.equal(await courier.whenEmpty(2000), true);
  assert.deepEqual(page.posted.map((chunk) => chunk.seq), [0, 1, 2]);
  assert.deepEqual([...page.items.keys()], []);
});

test("a chunk handed over in parts is stored whole, and a closing tab's is compressed once", async (t) => {
  const page = fakePage();
  t.after(() => page.restore());
  const compressor = heldCompressor();
  const courier = new Courier(compressor);
  // Seq 0 arrives as three parts and the rest it was sealed with.
  const whole = chunkJson(0);
  courier.appendPart('dev/1', 0, whole.subarray(0, 10));
  courier.appendPart('dev/1', 0, whole.subarray(10, 25));
  const stored = [courier.store('dev/1', 0, ENDPOINT, undefined, whole.subarray(25), Date.now(), false)];
  assert.equal(compressor.jobs.length, 1);
  assert.deepEqual(compressor.jobs[0].json, whole, 'the worker gets the whole JSON');
  compressor.answer();
  await stored[0];
  // Seq 1, sealed plain on pagehide: sent at once, compressed once for both
  // the keepalive request and the outbox.
  const last = chunkJson(1);
  courier.appendPart('dev/1', 1, last.subarray(0, 7));
  assert.equal(courier.sendBeforeUnload('dev/1', 1, ENDPOINT, undefined, last.subarray(7), Date.now(), false), true);
  stored.push(courier.store('dev/1', 1, ENDPOINT, undefined, last.subarray(7), Date.now(), false));
  assert.equal(compressor.jobs.length, 0, 'not compressed again in the worker');
  assert.equal(compressor.compressedNow, 1);
  await Promise.all(stored);
  assert.equal(await courier.whenEmpty(2000), true);
  const bySeq = (seq) => page.posted.find((chunk) => chunk.seq === seq);
  assert.deepEqual(bySeq(0), JSON.parse(new TextDecoder().decode(whole)));
  assert.deepEqual(bySeq(1), JSON.parse(new TextDecoder().decode(last)));
  assert.deepEqual([...courier.parts.keys()], [], 'no part is kept once its chunk is stored');
});
