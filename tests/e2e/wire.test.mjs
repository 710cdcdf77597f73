// Chunks on the wire, in headless Chromium and Firefox and in WebKit
// (WebKitGTK over WebDriver classic, tests/support/webkit.mjs): a local ingest
// endpoint fails, hangs and answers 429/500 on cue; afterwards it must hold
// every seq from 0 to N exactly once, whose events are exactly what was
// recorded and replay in rrweb. Reloads and closed tabs lose nothing.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { startIngestServer } from '../support/ingest-server.mjs';
import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';

const BROWSERS = (process.env.REWIND_BROWSERS ?? 'chromium,firefox,webkit').split(',');

const site = useStaticSite();

/** Every seq from 0 to the highest stored, each once. */
function assertGapless(chunks) {
  assert.ok(chunks.length > 0, 'some chunk arrived');
  assert.deepEqual(
    chunks.map((chunk) => chunk.seq),
    chunks.map((_, index) => index),
    'seqs are 0..N without gaps',
  );
}

/** Whether a stored chunk of `replayId` holds a log() event with `message`. */
function hasLogMessage(ingest, replayId, message) {
  return ingest.chunksOf(replayId).some((c) => c.events.some((e) => e.data?.payload?.message === message));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// How a test closes a tab. Firefox's drivers close a tab abruptly: measured
// with scripts/close-loss.mjs (20 trials each), a tab closed through
// WebDriver BiDi (browsingContext.close) or geckodriver's classic close
// right after logging a line failed to send its keepalive request in 1 to 3
// runs, and lost the line in 1 to 3 (nothing parked, nothing in IndexedDB),
// while the same tab closed by the browser itself (window.close(), the path
// of a user's close button) sent it 20 of 20 times. So in Firefox the page
// closes itself (launchBrowser allows scripts to close windows); in
// Chromium, playwright's close runs the unload handlers as a user's does;
// in WebKit, WebDriver classic's close (DELETE /window) runs pagehide and
// unload too, and both parked-copy scenarios pass there (10 runs of this
// file, see README "Three engines").
// What Firefox does not keep: when the endpoint is down and only the parked
// copy can outlive a closing tab, Firefox ended rewind's pagehide work before
// it parked anything in 1 to 3 of 60 closes, whichever way the tab closed
// (its own window.close() included; the listener was found still on the
// stack with the recording busy while the page's later pagehide listeners
// and unload ran, and no script of the tab ran after). The two scenarios that
// need the parked copy would fail CI now and then, so they run in Chromium
// only; the keepalive scenarios run in both.
const PARKED_COPY_UNRELIABLE = {
  firefox: 'Firefox sometimes ends pagehide work before the chunk is parked (1 to 3 of 60 closes; see the note above closeTab)',
};

/** Firefox ended rewind's pagehide work before it sent or parked anything (closedInFirefox). */
class FirefoxCut extends Error {}

async function closeTab(browserName, page) {
  if (browserName !== 'firefox') {
    await page.close({ runBeforeUnload: true });
    return;
  }
  const closed = new Promise((resolve) => page.once('close', resolve));
  await page.evaluate(() => {
    setTimeout(() => window.close(), 0);
  });
  await Promise.race([closed, sleep(10000)]);
}

for (const browserName of BROWSERS) {
  describe(`wire in ${browserName}`, () => {
    const freshProfile = useFreshPages(useBrowser(browserName));
    let ingest;
    let context;

    /** A fresh profile (empty outbox and storage) and a fresh endpoint. */
    async function freshPage() {
      ingest = await startIngestServer();
      const fresh = await freshProfile();
      context = fresh.context;
      return fresh;
    }

    // Closed whether the test passed or not (after the profile, closed by
    // useFreshPages): a listening server left behind would keep this test
    // file's process alive.
    afterEach(async () => {
      await ingest?.close();
      context = undefined;
      ingest = undefined;
    });

    test('a flaky endpoint gets every chunk exactly once after it recovers', async () => {
      const { page } = await freshPage();
      ingest.failNext('reset', { status: 500 }, { status: 429, retryAfter: 0 }, { hangMs: 1500 }, { status: 503 });
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const recorded = await page.evaluate(async (endpoint) => {
        const emitted = [];
        await Rewind.start({
          endpoint,
          apiKey: 'rk_test_123',
          flushIntervalMs: 150,
          requestTimeoutMs: 500,
          emit: (event) => emitted.push(event),
        });
        for (let step = 0; step < 8; step++) {
          Rewind.log(`step ${step}`, { step });
          if (step % 3 === 2) await Rewind.takeFullSnapshot();
          await new Promise((resolve) => setTimeout(resolve, 120));
        }
        await Rewind.stop();
        const delivered = await Rewind.whenDelivered(30000);
        return { emitted, delivered };
      }, ingest.endpoint);
      assert.equal(recorded.delivered, true, 'the outbox emptied');
      assert.equal(ingest.pendingFaults(), 0, 'every fault was served');

      const [replayId] = ingest.replays.keys();
      assert.equal(ingest.replays.size, 1);
      const chunks = ingest.chunksOf(replayId);
      assertGapless(chunks);
      assert.ok(chunks.length >= 4, `several chunks (${chunks.length})`);
      assert.equal(ingest.conflictingDuplicates, 0, 'a resent chunk is byte-for-byte the same');
      // The concatenated chunks are exactly the recorded events, in order.
      assert.deepEqual(chunks.flatMap((chunk) => chunk.events), recorded.emitted);
      for (const chunk of chunks) {
        assert.equal(chunk.replayId, `${chunk.deviceId}/${chunk.sessionId}`);
        assert.deepEqual(chunk.sdk.name, 'rewind');
        assert.equal(chunk.startTimestamp, Math.min(...chunk.events.map((e) => e.timestamp)));
        assert.equal(chunk.endTimestamp, Math.max(...chunk.events.map((e) => e.timestamp)));
      }
      const posted = ingest.requests.filter((request) => request.seq !== undefined || request.fault);
      for (const request of posted) {
        assert.equal(request.headers['content-encoding'], 'gzip');
        assert.equal(request.headers['content-type'], 'application/json');
        assert.equal(request.headers.authorization, 'Bearer rk_test_123');
      }
      // The first snapshot is flushed at once: chunk 0 holds Meta + FullSnapshot.
      assert.deepEqual(chunks[0].events.map((e) => e.type), [4, 2]);

      // The chunks replay in rrweb's Replayer with no warning.
      await page.goto(`${site.origin}/tests/fixtures/replay.html`);
      const replay = await page.evaluate((events) => {
        const replayer = window.replayEvents(events);
        return {
          warnings: window.replayWarnings,
          heading: replayer.iframe.contentDocument.querySelector('h1')?.textContent,
        };
      }, chunks.flatMap((chunk) => chunk.events));
      assert.deepEqual(replay.warnings, []);
      assert.equal(replay.heading, 'Order history');
    });

    test('a chunk refused with 400 is dropped, not retried, and later chunks still arrive', async () => {
      const { page } = await freshPage();
      ingest.failNext({ status: 400 });
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const delivered = await page.evaluate(async (endpoint) => {
        const warnings = captureConsole('warn');
        await Rewind.start({ endpoint, flushIntervalMs: 100, emit: () => {} });
        Rewind.log('after the refusal');
        await new Promise((resolve) => setTimeout(resolve, 300));
        await Rewind.stop();
        const delivered = await Rewind.whenDelivered(10000);
        warnings.stop();
        return { delivered, warnings: warnings.lines };
      }, ingest.endpoint);
      assert.equal(delivered.delivered, true);
      const refused = ingest.requests.filter((request) => request.fault?.status === 400);
      assert.equal(refused.length, 1);
      const [replayId] = ingest.replays.keys();
      const seqs = ingest.chunksOf(replayId).map((chunk) => chunk.seq);
      assert.ok(!seqs.includes(0), 'seq 0 was refused and not resent');
      assert.ok(seqs.includes(1), 'the next chunk arrived');
      assert.equal(ingest.requests.length, seqs.length + 1, 'no retry of the refused chunk');
      assert.equal(delivered.warnings.filter((w) => w.includes('HTTP 400')).length, 1, 'reported once');
    });

    test('a reload in the same tab continues the replay: same id, seq goes on', async () => {
      const { page } = await freshPage();
      const url = `${site.origin}/tests/fixtures/wire.html?start=1&endpoint=${encodeURIComponent(ingest.endpoint)}`;
      await page.goto(url);
      await page.evaluate(async () => {
        await window.started;
        Rewind.log('before reload');
        await new Promise((resolve) => setTimeout(resolve, 400));
      });
      const firstReplayId = await page.evaluate(() => Rewind.getReplayId());
      await page.reload();
      const secondReplayId = await page.evaluate(async () => {
        await window.started;
        Rewind.log('after reload');
        await Rewind.stop();
        await Rewind.whenDelivered(15000);
        return Rewind.getReplayId() ?? null;
      });
      assert.equal(secondReplayId, null, 'stopped');
      await ingest.waitFor(
        () => hasLogMessage(ingest, firstReplayId, 'after reload'),
        15000,
        'the chunk recorded after the reload',
      );
      assert.deepEqual([...ingest.replays.keys()], [firstReplayId], 'one replay across the reload');
      const chunks = ingest.chunksOf(firstReplayId);
      assertGapless(chunks);
      const messages = chunks.flatMap((c) => c.events).map((e) => e.data?.payload?.message).filter(Boolean);
      assert.deepEqual(messages, ['before reload', 'after reload']);
      const snapshots = chunks.flatMap((c) => c.events).filter((e) => e.type === 2);
      assert.equal(snapshots.length, 2, 'each page load starts with a full snapshot');
    });

    /**
     * Waits for the line `message` of `replayId` from the tab that just
     * closed (pagehide's keepalive request). A browser may end a closing
     * page's requests under heavy load (seen in Chromium in 2 of 20 runs of
     * this file beside busy cores, keepalive never reaching the endpoint);
     * then the chunk parked in localStorage must arrive from the next page
     * load of the site instead: late, never lost. Says which way it came.
     * Throws a FirefoxCut when neither came and the page's own later
     * pagehide listener (markPagehide) saw nothing parked: Firefox ended
     * rewind's pagehide listener part way (see closedInFirefox).
     */
    async function lastWordsArrive(t, replayId, message, what) {
      try {
        await ingest.waitFor(() => hasLogMessage(ingest, replayId, message), 10000, what);
      } catch (error) {
        t.diagnostic(`${what} did not arrive with keepalive (${error.message}); the next page load must deliver it`);
        const next = await context.newPage();
        await next.goto(`${site.origin}/tests/fixtures/wire.html`);
        try {
          await ingest.waitFor(() => hasLogMessage(ingest, replayId, message), 20000, `${what}, from the next page load`);
        } catch (lost) {
          const seen = await next.evaluate(() => localStorage.getItem('rewind-test:pagehide'));
          const parked = seen === null ? null : JSON.parse(seen).parked;
          if (browserName === 'firefox' && !parked) {
            throw new FirefoxCut(`${lost.message}; at the end of pagehide ${seen === null ? 'no later listener ran' : 'nothing was parked'}`);
          }
          throw lost;
        }
      }
      assertGapless(ingest.chunksOf(replayId));
    }

    /**
     * Opens wire.html in `page`, records until the first chunk is delivered,
     * then logs `message`, which only pagehide can send (the flush interval
     * is long), and marks the page's pagehide (markPagehide). The replay id.
     */
    async function recordLastLine(page, message) {
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const replayId = await page.evaluate(
        async ([endpoint, message]) => {
          await Rewind.start({ endpoint, flushIntervalMs: 600000, emit: () => {} });
          await Rewind.whenDelivered(10000);
          Rewind.log(message);
          return Rewind.getReplayId();
        },
        [ingest.endpoint, message],
      );
      await markPagehide(page);
      return replayId;
    }

    // A later pagehide listener of the page itself notes what rewind's
    // listener left parked: rewind parks the closing tab's chunk in any
    // case, so nothing parked there means rewind's listener did not finish.
    function markPagehide(page) {
      return page.evaluate(() => {
        addEventListener('pagehide', () => {
          const parked = Object.keys(localStorage).filter((key) => key.startsWith('rewind:parked:')).length;
          localStorage.setItem('rewind-test:pagehide', JSON.stringify({ parked }));
        }, true);
      });
    }

    /**
     * Runs a closing-tab scenario (`attempt()`, a fresh profile each time).
     * Firefox terminates the script that is running when a closing tab's
     * teardown reaches it, uncatchably, once per close: scripts/close-probe.mjs
     * found rewind's pagehide listener ended part way (no exception, no
     * return) in 14 of 80 self-closed tabs, 6 of them before anything was
     * sent or parked, while a page listener that ran first and kept busy for
     * 20 ms was the one ended in 40 of 40 closes, and rewind's work then
     * finished in all 40. A listener cut inside the wasm cannot be redone (its state is left
     * mid-change), so the scenario is tried again on such a cut, at most
     * twice, saying so; a loss of what rewind did park, or a cut anywhere
     * else, fails at once.
     */
    async function closedInFirefox(t, attempt) {
      for (let tries = 1; ; tries++) {
        try {
          return await attempt();
        } catch (error) {
          if (!(error instanceof FirefoxCut) || tries === 3) throw error;
          t.diagnostic(`try ${tries}: Firefox ended rewind's pagehide listener before it sent or parked the chunk (${error.message}); trying again`);
          await ingest.close();
        }
      }
    }

    test('a closed tab delivers its last chunk with keepalive', async (t) => {
      await closedInFirefox(t, async () => {
        const { page } = await freshPage();
        const replayId = await recordLastLine(page, 'last words');
        await closeTab(browserName, page);
        await lastWordsArrive(t, replayId, 'last words', "the closed tab's last chunk");
      });
    });

    test('a page left for another address delivers its last chunk with keepalive', async (t) => {
      await closedInFirefox(t, async () => {
        const { page } = await freshPage();
        const replayId = await recordLastLine(page, 'leaving');
        // The user follows a link away: pagehide, then the page is gone.
        await page.goto(`${site.origin}/tests/fixtures/replay.html`);
        await lastWordsArrive(t, replayId, 'leaving', 'the last chunk of the page that was left');
      });
    });

    test('chunks a closed tab could not send are delivered by the next page load, without start()', {
      skip: PARKED_COPY_UNRELIABLE[browserName],
    }, async () => {
      const { page } = await freshPage();
      // The endpoint is down when the tab closes (pagehide's keepalive and
      // any retry fail)...
      ingest.failNext(...Array.from({ length: 50 }, () => ({ status: 503, retryAfter: 60 })));
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const replayId = await page.evaluate(async (endpoint) => {
        await Rewind.start({ endpoint, flushIntervalMs: 600000, emit: () => {} });
        Rewind.log('stored for later');
        return Rewind.getReplayId();
      }, ingest.endpoint);
      await sleep(300);
      await closeTab(browserName, page);
      await sleep(300);
      // ...and back up for the next visit, which never calls start().
      ingest.clearFaults();
      const recovered = ingest.requests.length;
      const sinceNext = site.requests.length;
      const next = await context.newPage();
      await next.goto(`${site.origin}/tests/fixtures/wire.html`);
      await ingest.waitFor(
        () => hasLogMessage(ingest, replayId, 'stored for later'),
        30000,
        'the stored chunk, sent by the next page load',
      );
      assert.ok(ingest.requests.length > recovered);
      assertGapless(ingest.chunksOf(replayId));
      // The courier is JS: delivering what earlier loads left costs the
      // page no wasm download or compile.
      // (The server's log too: the packed module is fetched by a worker,
      // which the page's performance entries leave out.)
      const wasmFetched =
        (await next.evaluate(() => performance.getEntriesByType('resource').some((entry) => entry.name.includes('.wasm')))) ||
        site.requests.slice(sinceNext).some((pathname) => pathname.includes('rewind_bg.wasm'));
      assert.equal(wasmFetched, false, 'the next page load fetched the wasm only to deliver');
    });

    // The cause of a fresh-clone failure of the test above: the outbox counted
    // a write as stored at its request's success event, before the
    // transaction committed, and removed the parked copy then; a tab torn
    // down in between lost the chunk. Here the page lives on, so the
    // in-between is made certain: every write succeeds, then is undone.
    test('a closing tab whose outbox write never commits keeps its chunk parked for the next load', async () => {
      const { page } = await freshPage();
      ingest.failNext(...Array.from({ length: 50 }, () => ({ status: 503, retryAfter: 60 })));
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const replayId = await page.evaluate(async (endpoint) => {
        await Rewind.start({ endpoint, flushIntervalMs: 600000, emit: () => {} });
        return Rewind.getReplayId();
      }, ingest.endpoint);
      // Chunk 0 is stored (the courier read it from the outbox to send it).
      await ingest.waitFor(() => ingest.requests.length > 0, 10000, 'the first chunk');
      await page.evaluate(async () => {
        // Awaited: the bundle runs its calls in order, a microtask later,
        // and the line must be in the chunk the pagehide below seals (else
        // only the real pagehide of the close would park it, which Firefox
        // sometimes cuts short: the flake this test once had there).
        await Rewind.log('parked, never committed');
        // What a tab torn down right after the write's success event, before
        // its transaction committed, leaves: the write undone. Every outbox
        // write from now on succeeds, then its transaction is aborted.
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (...args) {
          const request = put.apply(this, args);
          request.addEventListener('success', () => request.transaction.abort());
          return request;
        };
        // The tab starts closing: rewind seals and parks the line, then
        // writes it to the outbox, whose write is undone.
        window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
        return new Promise((resolve) => setTimeout(resolve, 300));
      });
      await closeTab(browserName, page);
      ingest.clearFaults();
      const next = await context.newPage();
      await next.goto(`${site.origin}/tests/fixtures/wire.html`);
      await ingest.waitFor(
        () => hasLogMessage(ingest, replayId, 'parked, never committed'),
        20000,
        'the parked chunk, sent by the next page load',
      );
      assertGapless(ingest.chunksOf(replayId));
    });

    test('another open tab of the site delivers what a closing tab parked', {
      skip: PARKED_COPY_UNRELIABLE[browserName],
    }, async () => {
      const { page } = await freshPage();
      // A second tab of the site: rewind loaded, never started.
      const other = await context.newPage();
      await other.goto(`${site.origin}/tests/fixtures/wire.html`);
      assert.equal(await other.evaluate(() => Rewind.whenDelivered(10000)), true, 'its courier is up, idle');
      // The first chunk is refused with Retry-After: 60, so the closing tab
      // has an older chunk waiting and cannot send its last one itself.
      ingest.failNext({ status: 503, retryAfter: 60 });
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const replayId = await page.evaluate(async (endpoint) => {
        const logs = captureConsole('log');
        await Rewind.start({ endpoint, flushIntervalMs: 600000, debug: true, emit: () => {} });
        Rewind.log('handed over');
        // Until the refusal has been handled, chunk 0 is in flight, and a
        // closing tab rightly sends its last chunk beside it.
        for (let i = 0; i < 200 && !logs.lines.some((line) => line.includes('retry in')); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        logs.stop();
        return Rewind.getReplayId();
      }, ingest.endpoint);
      assert.equal(ingest.requests.length, 1, 'the first chunk was refused');
      await closeTab(browserName, page);
      await ingest.waitFor(
        () => hasLogMessage(ingest, replayId, 'handed over'),
        20000,
        'the parked chunk, delivered by the other tab',
      );
      assertGapless(ingest.chunksOf(replayId));
    });

    test('an idle session rotates into a new replay that starts at seq 0 with a full snapshot', async () => {
      const { page } = await freshPage();
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const ids = await page.evaluate(async (endpoint) => {
        await Rewind.start({ endpoint, flushIntervalMs: 200, sessionIdleTimeoutMs: 1000, emit: () => {} });
        const first = Rewind.getReplayId();
        Rewind.log('in the first session');
        // No user activity for longer than the idle timeout; the page itself
        // scrolls a live feed meanwhile (a script, scroll anchoring or a list
        // that shrinks under the scroll position): not the user, so it keeps
        // no session alive.
        const feed = document.createElement('div');
        feed.style.cssText = 'height: 50px; overflow: auto';
        feed.innerHTML = '<div style="height: 2000px">feed</div>';
        document.body.append(feed);
        let scrolls = 0;
        feed.addEventListener('scroll', () => (scrolls += 1));
        const scrolling = setInterval(() => (feed.scrollTop = (feed.scrollTop + 37) % 1500), 50);
        await new Promise((resolve) => setTimeout(resolve, 1700));
        clearInterval(scrolling);
        if (scrolls < 10) throw new Error(`the feed scrolled only ${scrolls} times`);
        const second = Rewind.getReplayId();
        Rewind.log('in the second session');
        await Rewind.stop();
        await Rewind.whenDelivered(10000);
        return { first, second };
      }, ingest.endpoint);
      assert.notEqual(ids.second, ids.first);
      assert.equal(ids.second.split('/')[0], ids.first.split('/')[0], 'the same device');
      const first = ingest.chunksOf(ids.first);
      const second = ingest.chunksOf(ids.second);
      assertGapless(first);
      assertGapless(second);
      assert.deepEqual(second[0].events.map((e) => e.type), [4, 2], 'the new replay opens with Meta + FullSnapshot');
      const messages = (chunks) => chunks.flatMap((c) => c.events).map((e) => e.data?.payload?.message).filter(Boolean);
      assert.deepEqual(messages(first), ['in the first session']);
      assert.deepEqual(messages(second), ['in the second session']);
    });

    test('without IndexedDB the outbox lives in memory and chunks are still delivered', async () => {
      const { page, errors } = await freshPage();
      ingest.failNext('reset', { status: 500 });
      // The page makes reading indexedDB throw before rewind loads.
      await page.goto(`${site.origin}/tests/fixtures/wire.html?denyIndexedDb=1`);
      const result = await page.evaluate(async (endpoint) => {
        const logs = captureConsole('log');
        await Rewind.start({ endpoint, flushIntervalMs: 100, requestTimeoutMs: 500, debug: true, emit: () => {} });
        Rewind.log('kept in memory');
        await new Promise((resolve) => setTimeout(resolve, 300));
        await Rewind.stop();
        const delivered = await Rewind.whenDelivered(15000);
        logs.stop();
        return { delivered, logs: logs.lines };
      }, ingest.endpoint);
      assert.equal(result.delivered, true);
      assert.ok(result.logs.some((line) => line.includes('outbox kept in memory')), result.logs.join('\n'));
      const [replayId] = ingest.replays.keys();
      assertGapless(ingest.chunksOf(replayId));
      assert.ok(hasLogMessage(ingest, replayId, 'kept in memory'));
      // Chromium logs the injected 500 itself; anything else is an error.
      assert.deepEqual(errors.filter((e) => !e.includes('Failed to load resource')), []);
    });

    // Chunks are sealed plain and compressed in a worker that runs the
    // page's compiled module (js/compressor.js), which also sends the ones
    // too large for keepalive; a page whose CSP forbids workers gets them
    // compressed and sent on the main thread instead.
    for (const noWorkers of [false, true]) {
      test(
        noWorkers
          ? 'a page whose Content-Security-Policy forbids workers gets its chunks compressed and sent on the main thread, all of them'
          : 'chunks are compressed in a worker, those too large for keepalive are sent from it, and all arrive exactly as recorded',
        async () => {
          const { page } = await freshPage();
          await page.goto(`${site.origin}/tests/fixtures/wire.html${noWorkers ? '?noWorkers=1' : ''}`);
          const result = await page.evaluate(async (endpoint) => {
            const logs = captureConsole('log');
            const emitted = [];
            // The bodies the page's main thread POSTs.
            const postedHere = [];
            const pageFetch = window.fetch;
            window.fetch = function (url, init) {
              if (init?.method === 'POST') postedHere.push(init.body.length);
              return pageFetch.apply(this, arguments);
            };
            await Rewind.start({ endpoint, flushIntervalMs: 100, debug: true, emit: (event) => emitted.push(event) });
            // A few hundred kB of JSON across chunks, and a second snapshot.
            const list = document.getElementById('orders');
            for (let batch = 0; batch < 4; batch++) {
              for (let i = 0; i < 1000; i++) {
                const item = document.createElement('li');
                item.textContent = `#${batch}-${i} order of ${(i * 7919) % 1000} cups`;
                list.append(item);
              }
              await new Promise((resolve) => setTimeout(resolve, 120));
            }
            // Text gzip cannot shrink much (a linear congruential stream in
            // base 36): the next chunks' bodies pass keepalive's 60 KiB.
            let state = 12345;
            const noise = document.createElement('p');
            noise.textContent = Array.from({ length: 20000 }, () => {
              state = (state * 1103515245 + 12345) % 2147483648;
              return (state >>> 8).toString(36);
            }).join(' ');
            list.append(noise);
            await new Promise((resolve) => setTimeout(resolve, 120));
            await Rewind.takeFullSnapshot();
            Rewind.log('after the orders');
            await Rewind.stop();
            const delivered = await Rewind.whenDelivered(20000);
            logs.stop();
            return { delivered, emitted, logs: logs.lines, postedHere };
          }, ingest.endpoint);
          assert.equal(result.delivered, true);
          const keepaliveLimit = 60 * 1024;
          const largeBodies = ingest.requests.filter((request) => request.bytes > keepaliveLimit).length;
          assert.ok(largeBodies >= 2, `chunks over keepalive's limit arrived (${largeBodies})`);
          const largeHere = result.postedHere.filter((bytes) => bytes > keepaliveLimit).length;
          // Each arrived once (no fault, no retry), from where it was sent.
          assert.equal(largeHere, noWorkers ? largeBodies : 0, `large bodies POSTed by the main thread: ${result.postedHere.join(' ')}`);
          assert.equal(result.postedHere.length, ingest.requests.length - (noWorkers ? 0 : largeBodies));
          const lines = result.logs.join('\n');
          assert.match(lines, /for the courier's worker to compress/, 'chunks were sealed plain');
          if (noWorkers) {
            assert.match(lines, /compressing chunks on the main thread: /);
          } else {
            assert.match(lines, /compressing chunks in a worker/);
            assert.doesNotMatch(lines, /compressing chunks on the main thread/);
          }
          const [replayId] = ingest.replays.keys();
          // The debug log's lines, written by page.js from what the wasm
          // handed over (tests/e2e/debug-log.test.mjs has every line).
          const id = replayId.replace(/[.|]/g, '\\$&');
          assert.match(lines, new RegExp(`^\\[rewind\\] replay ${id}$`, 'm'));
          assert.match(lines, /^\[rewind\] full snapshot taken: [1-9]\d* nodes in [1-9]\d* slice\(s\)$/m);
          assert.match(lines, new RegExp(`^\\[rewind\\] sealed ${id}#0: [1-9]\\d* events, [1-9]\\d* bytes raw, for the courier's worker to compress$`, 'm'));
          const chunks = ingest.chunksOf(replayId);
          assertGapless(chunks);
          assert.ok(chunks.length >= 4, `several chunks (${chunks.length})`);
          // The ingest server gunzips each body: every event arrived, in order.
          assert.deepEqual(chunks.flatMap((chunk) => chunk.events), result.emitted);
          assert.ok(hasLogMessage(ingest, replayId, 'after the orders'));
          // The second snapshot's chunk is larger than what the wasm holds
          // before it hands a plain chunk's JSON to the courier (256 KiB).
          const largest = Math.max(...chunks.map((chunk) => JSON.stringify(chunk).length));
          assert.ok(largest > 300_000, `a chunk handed over in parts (${largest} B)`);
        },
      );
    }

    test('an outbox over its size cap drops its oldest chunks and says so', async () => {
      const { page } = await freshPage();
      // Down for good during this test: chunks pile up in the outbox.
      ingest.failNext(...Array.from({ length: 50 }, () => ({ status: 503, retryAfter: 60 })));
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const warnings = await page.evaluate(async (endpoint) => {
        const warnings = captureConsole('warn');
        await Rewind.start({ endpoint, flushIntervalMs: 100, maxOutboxBytes: 65536, debug: true, emit: () => {} });
        // Incompressible payloads: about 24 KiB of gzip per chunk.
        for (let i = 0; i < 6; i++) {
          const noise = Array.from(crypto.getRandomValues(new Uint8Array(18000)), (b) => b.toString(36)).join('');
          Rewind.log(`noise ${i}`, noise);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        warnings.stop();
        return warnings.lines;
      }, ingest.endpoint);
      assert.ok(
        warnings.some((line) => /outbox over its caps: dropped \d+ oldest chunks/.test(line)),
        warnings.join('\n'),
      );
    });

    test('identify() names the user in later chunks, flush() sends at once, userIdAsDeviceId moves the replay', async () => {
      const { page } = await freshPage();
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const ids = await page.evaluate(async (endpoint) => {
        await Rewind.start({ endpoint, flushIntervalMs: 600000, userIdAsDeviceId: true, emit: () => {} });
        const anonymous = Rewind.getReplayId();
        const refused = await Rewind.identify('ada/lovelace').then(() => 'accepted', (error) => error.message);
        await Rewind.identify('user-9', { plan: 'pro' });
        Rewind.log('as user-9');
        await Rewind.flush();
        const delivered = await Rewind.whenDelivered(10000);
        return { anonymous, identified: Rewind.getReplayId(), refused, delivered };
      }, ingest.endpoint);
      assert.match(ids.refused, /contains '\/' at position 4/);
      assert.equal(ids.delivered, true, 'flush() sent the chunk without waiting for the interval');
      assert.equal(ids.identified.split('/')[0], 'user-9');
      assert.equal(ids.identified.split('/')[1], ids.anonymous.split('/')[1], 'the same session');
      const chunks = ingest.chunksOf(ids.identified);
      assertGapless(chunks);
      assert.deepEqual(chunks[0].events.slice(0, 2).map((e) => e.type), [4, 2], 'the new replay starts with a snapshot');
      const last = chunks.at(-1);
      assert.deepEqual(last.user, { userId: 'user-9', traits: { plan: 'pro' } });
      assert.ok(last.events.some((e) => e.type === 5 && e.data.tag === 'identify'));
      assert.ok(hasLogMessage(ingest, ids.identified, 'as user-9'));
    });

    test('a session outside sampleRate records and sends nothing', async () => {
      const { page } = await freshPage();
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const result = await page.evaluate(async (endpoint) => {
        const emitted = [];
        await Rewind.start({ endpoint, sampleRate: 0, flushIntervalMs: 100, emit: (e) => emitted.push(e) });
        Rewind.log('not recorded');
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { emitted: emitted.length, replayId: Rewind.getReplayId() };
      }, ingest.endpoint);
      assert.deepEqual(result, { emitted: 0, replayId: null });
      assert.equal(ingest.requests.length, 0);
    });
  });
}
