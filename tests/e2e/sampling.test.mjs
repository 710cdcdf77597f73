// The sampling decision start() makes in JS (js/sampling.js), before the
// wasm is fetched: the same draw as the core's for every id of
// tests/golden/sampling.json (tests/sampling_vectors.rs checks the core
// against the same file), the same session rules, and in real browsers a
// session outside sampleRate that downloads and compiles nothing, while a
// session inside it and a switch into one still get the wasm; what an
// earlier load or another tab left to deliver goes out without it (the
// courier is JS).
import { describe, test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { unitHash, isSessionSampled, decideSampling, TabStorage } from '../../js/sampling.js';
import { startIngestServer } from '../support/ingest-server.mjs';
import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';

const { vectors } = JSON.parse(readFileSync(new URL('../golden/sampling.json', import.meta.url), 'utf8'));
const BROWSERS = (process.env.REWIND_BROWSERS ?? 'chromium,firefox,webkit').split(',');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Storage over a Map, as the page's sessionStorage/localStorage. */
class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
  get length() {
    return this.items.size;
  }
  key(index) {
    return [...this.items.keys()][index] ?? null;
  }
}

describe('the sampling decision in JS', () => {
  beforeEach(() => {
    globalThis.sessionStorage = new MemoryStorage();
    globalThis.localStorage = new MemoryStorage();
  });

  test("draws exactly the core's value for every shared vector", () => {
    assert.ok(vectors.length >= 50);
    for (const { id, draw53 } of vectors) {
      assert.equal(String(unitHash(id) * 2 ** 53), draw53, id);
      // The draw itself as the rate leaves the session out; just above, in.
      const draw = Number(draw53) / 2 ** 53;
      assert.equal(isSessionSampled(id, draw), false, id);
      assert.equal(isSessionSampled(id, (Number(draw53) + 1) / 2 ** 53), true, id);
    }
  });

  test('samples the rate of consecutive generated sessions', () => {
    let sampled = 0;
    for (let ms = 1_700_000_000_000; ms < 1_700_000_020_000; ms += 1) sampled += isSessionSampled(String(ms), 0.25) ? 1 : 0;
    assert.ok(Math.abs(sampled / 20_000 - 0.25) < 0.015, `share ${sampled / 20_000}`);
  });

  test('a supplied session id is decided on, as a number or a string', () => {
    const outside = vectors.find((vector) => Number(vector.draw53) / 2 ** 53 >= 0.5).id;
    const inside = vectors.find((vector) => Number(vector.draw53) / 2 ** 53 < 0.5).id;
    const out = decideSampling({ sampleRate: 0.5, sessionId: outside }, 1000);
    assert.equal(out.sampled, false);
    assert.equal(out.sessionId, outside);
    assert.match(out.deviceId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(localStorage.getItem('rewind:device'), out.deviceId, 'the new device is stored for the wasm to find');
    assert.deepEqual(decideSampling({ sampleRate: 0.5, sessionId: inside }, 1000), { sampled: true });
    const numeric = vectors.find((vector) => /^\d+$/.test(vector.id) && Number(vector.draw53) / 2 ** 53 >= 0.5).id;
    assert.equal(decideSampling({ sampleRate: 0.5, sessionId: Number(numeric) }, 1000).sessionId, numeric);
    assert.equal(decideSampling({ sampleRate: 0.5, sessionId: outside, deviceId: 'user-9' }, 1000).deviceId, 'user-9');
    assert.equal(sessionStorage.length, 0, 'a supplied session is not stored');
  });

  test('a stored session goes on until idle or too long, then a new one is stored', () => {
    const minute = 60_000;
    // Rate 1e-9: every session of this test is outside it.
    const options = { sampleRate: 1e-9, sessionIdleTimeoutMs: 10 * minute, maxSessionDurationMs: 60 * minute };
    sessionStorage.setItem('rewind:session', `1000 1000 ${1000 + 5 * minute}`);
    assert.equal(decideSampling(options, 1000 + 14 * minute).sessionId, '1000', 'active 9 minutes ago: the same session');
    const idle = 1000 + 15 * minute;
    assert.equal(decideSampling(options, idle + 0.7).sessionId, String(idle), 'idle 10 minutes: a new one, named after now');
    assert.equal(sessionStorage.getItem('rewind:session'), `${idle} ${idle} ${idle}`, "stored in the core's format");
    sessionStorage.setItem('rewind:session', `2000 2000 ${2000 + 59 * minute}`);
    assert.equal(decideSampling(options, 2000 + 60 * minute).sessionId, String(2000 + 60 * minute), 'an hour long: a new one');
    for (const garbage of ['', 'x', 'a/b 1 2', '1 2', '1 2 3 4', '1 x 3', '1 inf 2']) {
      sessionStorage.setItem('rewind:session', garbage);
      assert.equal(decideSampling(options, 5000).sessionId, '5000', JSON.stringify(garbage));
    }
  });

  test('buffer mode decides by errorSampleRate', () => {
    assert.deepEqual(decideSampling({ mode: 'buffer', sampleRate: 0, sessionId: 'x' }, 1000), { sampled: true });
    assert.equal(decideSampling({ mode: 'buffer', errorSampleRate: 0, sessionId: 'x' }, 1000).sampled, false);
  });

  test('leaves to the wasm what it would refuse or store differently', () => {
    for (const options of [
      { sampleRate: 2 },
      { sampleRate: '0.5' },
      { sampleRate: 0.5, mode: 'replay' },
      { sampleRate: 0.5, sessionId: 'a/b' },
      { sampleRate: 0.5, sessionId: 1.5 },
      { sampleRate: 0.5, sessionIdleTimeoutMs: 5 },
      { sampleRate: 1e-9, sessionId: 'x', deviceId: 'bad device' },
      'not options',
    ]) {
      assert.equal(decideSampling(options, 1000), null, JSON.stringify(options));
    }
    delete globalThis.sessionStorage;
    assert.equal(decideSampling({ sampleRate: 0.5 }, 1000), null, 'no sessionStorage: the wasm would name another session');
    assert.deepEqual(decideSampling({}, 1000), { sampled: true }, 'rate 1 needs no storage');
  });
});

/** A Storage whose every read and write throws, as blocked storage does. */
class RefusingStorage {
  getItem() {
    throw new Error('SecurityError: storage is blocked');
  }
  setItem() {
    throw new Error('QuotaExceededError: storage is full');
  }
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("the tab's storage, as the wasm reads and writes it", () => {
  beforeEach(() => {
    globalThis.sessionStorage = new MemoryStorage();
    globalThis.localStorage = new MemoryStorage();
  });

  test('a new device id is a random version-4 UUID, stored and kept', () => {
    const first = new TabStorage().deviceId();
    assert.match(first, UUID_V4);
    assert.equal(localStorage.getItem('rewind:device'), first);
    assert.equal(new TabStorage().deviceId(), first, 'the next page load finds it');
    localStorage.items.clear();
    assert.notEqual(new TabStorage().deviceId(), first, 'another device draws another id');
  });

  test('a stored device id the core would refuse is replaced', () => {
    localStorage.setItem('rewind:device', 'not a valid/id');
    const id = new TabStorage().deviceId();
    assert.match(id, UUID_V4);
    assert.equal(localStorage.getItem('rewind:device'), id);
    localStorage.setItem('rewind:device', 'user@example.com');
    assert.equal(new TabStorage().deviceId(), 'user@example.com');
  });

  test("each replay's next seq round-trips and reads as Rust's u64 parse did", () => {
    const tab = new TabStorage();
    assert.equal(tab.nextSeq('d/s'), 0, 'a new replay');
    tab.saveNextSeq('d/s', 7);
    assert.equal(sessionStorage.getItem('rewind:seq:d/s'), '7');
    assert.equal(new TabStorage().nextSeq('d/s'), 7);
    assert.equal(tab.nextSeq('d/other'), 0, 'per replay');
    for (const [text, seq] of [['+12', 12], ['12a', 0], ['-1', 0], ['', 0], ['1.5', 0]]) {
      sessionStorage.setItem('rewind:seq:d/s', text);
      assert.equal(tab.nextSeq('d/s'), seq, JSON.stringify(text));
    }
  });

  test('the session text round-trips', () => {
    const tab = new TabStorage();
    assert.equal(tab.session(), undefined);
    tab.saveSession('1700000000000 1700000000000 1700000005000');
    assert.equal(new TabStorage().session(), '1700000000000 1700000000000 1700000005000');
  });

  test('blocked or missing storage never throws: ids live as long as the page', () => {
    globalThis.localStorage = new RefusingStorage();
    globalThis.sessionStorage = new RefusingStorage();
    const refused = new TabStorage();
    assert.match(refused.deviceId(), UUID_V4);
    assert.equal(refused.session(), undefined);
    assert.equal(refused.nextSeq('d/s'), 0);
    refused.saveSession('1 1 1');
    refused.saveNextSeq('d/s', 3);
    delete globalThis.localStorage;
    delete globalThis.sessionStorage;
    const missing = new TabStorage();
    assert.match(missing.deviceId(), UUID_V4);
    assert.equal(missing.session(), undefined);
    assert.equal(missing.nextSeq('d/s'), 0);
    missing.saveNextSeq('d/s', 3);
  });
});

const site = useStaticSite();
const outsideHalf = vectors.find((vector) => Number(vector.draw53) / 2 ** 53 >= 0.5).id;
const insideHalf = vectors.find((vector) => Number(vector.draw53) / 2 ** 53 < 0.5).id;

/** In the page: whether it fetched the wasm, and whether rewind's database exists. */
function wasmState() {
  return (async () => ({
    wasmFetched: performance.getEntriesByType('resource').some((entry) => entry.name.includes('.wasm')),
    database: typeof indexedDB.databases === 'function' ? (await indexedDB.databases()).some((db) => db.name === 'rewind') : null,
  }))();
}

/**
 * wasmState() of `page`, with the server's view: whether any page or worker
 * asked for the module (packed or plain) since `since` requests. The
 * script-tag bundle fetches the packed module in a worker (js/unpack.js),
 * which the page's own performance entries leave out.
 */
async function moduleState(page, since) {
  const state = await page.evaluate(wasmState);
  const requested = site.requests.slice(since).some((pathname) => pathname.includes('rewind_bg.wasm'));
  return { ...state, wasmFetched: state.wasmFetched || requested };
}

for (const browserName of BROWSERS) {
  describe(`sampling before the wasm, in ${browserName}`, () => {
    const freshProfile = useFreshPages(useBrowser(browserName));

    test('a session outside sampleRate fetches no wasm, sends nothing, and keeps its ids', async () => {
      const ingest = await startIngestServer();
      const since = site.requests.length;
      try {
        const { page } = await freshProfile();
        await page.goto(`${site.origin}/tests/fixtures/wire.html`);
        const result = await page.evaluate(
          async ([endpoint, sessionId]) => {
            const emitted = [];
            Rewind.identify('user-1');
            await Rewind.start({ endpoint, sampleRate: 0.5, sessionId, flushIntervalMs: 100, emit: (e) => emitted.push(e) });
            Rewind.log('not recorded');
            await Rewind.flush();
            let identifyError = null;
            await Rewind.identify('').catch((error) => {
              identifyError = error.message;
            });
            await new Promise((resolve) => setTimeout(resolve, 400));
            return {
              emitted: emitted.length,
              replayId: Rewind.getReplayId(),
              sessionId: await Rewind.getSessionId(),
              recording: Rewind.isRecording(),
              identifyError,
              attached: await Rewind.attachedCounts(),
              delivered: await Rewind.whenDelivered(1000),
            };
          },
          [ingest.endpoint, outsideHalf],
        );
        // The page's load event has passed, with nothing to deliver: the
        // wasm was not fetched for that either.
        await sleep(300);
        const state = await moduleState(page, since);
        assert.deepEqual(result, {
          emitted: 0,
          replayId: null,
          sessionId: outsideHalf,
          recording: true,
          identifyError: 'rewind identify(userId): the user id must be a string of 1 to 256 characters, got 0 characters',
          // Only the listener for chunks other tabs park.
          attached: { listeners: 1, observers: 0, timers: 0, hooks: 0 },
          delivered: true,
        });
        assert.equal(state.wasmFetched, false, 'the wasm was not fetched');
        if (state.database !== null) assert.equal(state.database, false, 'no IndexedDB database was created');
        assert.equal(ingest.requests.length, 0);
      } finally {
        await ingest.close();
      }
    });

    test('a generated session outside the rate stays outside on reload; a switch into a sampled session records it', async () => {
      const ingest = await startIngestServer();
      const since = site.requests.length;
      try {
        const { page } = await freshProfile();
        const url = `${site.origin}/tests/fixtures/wire.html`;
        const startOutside = (endpoint) =>
          (async () => {
            await Rewind.start({ endpoint, sampleRate: 1e-9, flushIntervalMs: 100 });
            return { sessionId: await Rewind.getSessionId(), stored: sessionStorage.getItem('rewind:session'), replayId: Rewind.getReplayId() };
          })();
        await page.goto(url);
        const first = await page.evaluate(startOutside, ingest.endpoint);
        assert.match(first.sessionId, /^\d{13}$/);
        assert.ok(first.stored.startsWith(`${first.sessionId} `), `stored: ${first.stored}`);
        assert.equal(first.replayId, null);
        await page.goto(url);
        const second = await page.evaluate(startOutside, ingest.endpoint);
        assert.equal(second.sessionId, first.sessionId, 'the reload continues the session');
        assert.equal((await moduleState(page, since)).wasmFetched, false);

        const switched = await page.evaluate(async (sessionId) => {
          await Rewind.setSessionId(sessionId);
          Rewind.log('after the switch');
          await Rewind.flush();
          return { replayId: Rewind.getReplayId(), sessionId: await Rewind.getSessionId() };
        }, 'another-session');
        // At rate 1e-9 the new session is outside too: its id is taken,
        // nothing records.
        assert.equal(switched.replayId, null);
        assert.equal(switched.sessionId, 'another-session');

        // At rate 0.5, from an id outside to one inside: recording begins,
        // in a replay of its own from seq 0.
        await page.goto(url);
        const moved = await page.evaluate(
          async ([endpoint, outside, inside]) => {
            await Rewind.start({ endpoint, sampleRate: 0.5, sessionId: outside, flushIntervalMs: 100 });
            const before = Rewind.getReplayId();
            await Rewind.setSessionId(inside);
            Rewind.log('after the switch');
            await Rewind.flush();
            return { before, after: Rewind.getReplayId() };
          },
          [ingest.endpoint, outsideHalf, insideHalf],
        );
        assert.equal(moved.before, null);
        assert.ok(moved.after?.endsWith(`/${insideHalf}`), `replay ${moved.after}`);
        assert.equal((await moduleState(page, since)).wasmFetched, true, 'the switch loaded the wasm');
        await ingest.waitFor(
          () => ingest.chunksOf(moved.after).some((chunk) => chunk.events.some((e) => e.data?.payload?.message === 'after the switch')),
          15000,
          "the switched replay's chunk",
        );
        const chunks = ingest.chunksOf(moved.after);
        assert.equal(chunks[0].seq, 0);
        assert.ok(chunks[0].events.some((event) => event.type === 2), 'it opens with a full snapshot');
      } finally {
        await ingest.close();
      }
    });

    test('a tab outside the rate delivers a chunk another tab parks, without loading the wasm', async () => {
      const ingest = await startIngestServer();
      const since = site.requests.length;
      try {
        const { page, context } = await freshProfile();
        const url = `${site.origin}/tests/fixtures/wire.html`;
        await page.goto(url);
        // (An endpoint of its own, as start() requires of every session;
        // the parked chunk names the one it goes to.)
        await page.evaluate(async ([sessionId, endpoint]) => {
          await Rewind.start({ endpoint, sampleRate: 0.5, sessionId });
        }, [outsideHalf, `${site.origin}/not-this-one`]);
        await sleep(300);
        assert.equal((await moduleState(page, since)).wasmFetched, false);
        // What a closing tab leaves when its delivery did not finish: its
        // last chunk parked in localStorage (js/courier.js's format).
        const chunk = { replayId: 'parked-device/s1', seq: 0, events: [{ type: 5, data: { tag: 'log', payload: { message: 'parked by another tab' } }, timestamp: Date.now() }] };
        const parked = ['rewind-parked-1', chunk.replayId, 0, ingest.endpoint, '', Date.now(), gzipSync(JSON.stringify(chunk)).toString('base64')].join('\n');
        const other = await context.newPage();
        await other.goto(url);
        await other.evaluate((text) => localStorage.setItem('rewind:parked:parked-device/s1#0', text), parked);
        await ingest.waitFor(() => ingest.chunksOf(chunk.replayId).length === 1, 15000, 'the parked chunk, delivered by the tab outside the rate');
        assert.equal((await moduleState(page, since)).wasmFetched, false, 'the courier is JS: delivering loads no wasm');
        const left = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('rewind:parked:')));
        assert.deepEqual(left, [], 'the parked copy is removed once delivered');
      } finally {
        await ingest.close();
      }
    });

    test('a page outside the rate still delivers what an earlier load left in the outbox', async () => {
      const ingest = await startIngestServer();
      try {
        const { page } = await freshProfile();
        const url = `${site.origin}/tests/fixtures/wire.html`;
        // The endpoint is down while the first page records...
        ingest.failNext(...Array.from({ length: 50 }, () => ({ status: 503, retryAfter: 60 })));
        await page.goto(url);
        const replayId = await page.evaluate(async (endpoint) => {
          await Rewind.start({ endpoint, flushIntervalMs: 600000 });
          Rewind.log('left in the outbox');
          await Rewind.flush();
          const replayId = Rewind.getReplayId();
          // Stopped, so leaving the page parks nothing; and no parked copy:
          // the chunk is in the IndexedDB outbox only.
          await Rewind.stop();
          for (const key of Object.keys(localStorage)) if (key.startsWith('rewind:parked:')) localStorage.removeItem(key);
          return replayId;
        }, ingest.endpoint);
        await ingest.waitFor(() => ingest.requests.length > 0, 10000, 'a refused attempt');
        ingest.clearFaults();
        // ...and up when the next page, outside the rate, loads.
        const sinceNext = site.requests.length;
        await page.goto(url);
        await page.evaluate(
          async ([endpoint, sessionId]) => {
            await Rewind.start({ endpoint, sampleRate: 0.5, sessionId });
          },
          [ingest.endpoint, outsideHalf],
        );
        await ingest.waitFor(
          () => ingest.chunksOf(replayId).some((chunk) => chunk.events.some((e) => e.data?.payload?.message === 'left in the outbox')),
          30000,
          "the earlier load's chunk",
        );
        assert.equal(await page.evaluate(() => Rewind.getReplayId()), null);
        assert.equal((await moduleState(page, sinceNext)).wasmFetched, false, 'the courier is JS: delivering loads no wasm');
      } finally {
        await ingest.close();
      }
    });
  });
}
