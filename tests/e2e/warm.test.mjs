// The wasm warmed in a worker before the first recording (js/warm.js,
// js/warm-worker.js): in Chromium the functions a recording runs are
// compiled in the worker, not on the page's main thread (counted in a
// trace, against a page whose CSP forbids workers); in every engine the
// worker's own recording of its stand-in page never reaches the endpoint,
// it becomes the compression worker (and where the compressor needs one
// before it is done, the compressor's own loads the bundle and only
// serves), and a page where the worker cannot start records as before
// and, with `debug`, says why.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';
import { startIngestServer } from '../support/ingest-server.mjs';

const BROWSERS = (process.env.REWIND_BROWSERS ?? 'chromium,firefox,webkit').split(',');
const site = useStaticSite();

/** Records wire.html (its `query` added) and changes it; resolves with what the page saw. */
async function recordWirePage(page, query) {
  await page.goto(`${site.origin}/tests/fixtures/wire.html?${query}`);
  return page.evaluate(async () => {
    const warnings = window.captureConsole('warn');
    await window.started;
    const list = document.getElementById('orders');
    for (let i = 0; i < 5; i++) {
      const item = document.createElement('li');
      item.textContent = `#20${i} Biscuits`;
      list.append(item);
      list.firstChild.firstChild.data = `#1001 Tea x${i}`;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Rewind.flush();
    warnings.stop();
    return {
      replayId: Rewind.getReplayId(),
      snapshots: window.emitted.filter((event) => event.type === 2).length,
      mutations: window.emitted.filter((event) => event.type === 3 && event.data.source === 0).length,
      warnings: warnings.lines,
    };
  });
}

if (BROWSERS.includes('chromium')) {
  describe('warming the wasm in a worker, in chromium', () => {
    const freshPage = useFreshPages(useBrowser('chromium'));

    /** wasm.CompileLazy events of a cold load and recording of wire.html, by thread. */
    async function compiles(query) {
      const { context, page } = await freshPage();
      const cdp = await context.newCDPSession(page);
      const events = [];
      cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
      const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
      await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['v8.wasm', '__metadata'] }, transferMode: 'ReportEvents' });
      const seen = await recordWirePage(page, query);
      await cdp.send('Tracing.end');
      await complete;
      const threads = new Map(events.filter((event) => event.name === 'thread_name').map((event) => [`${event.pid}:${event.tid}`, event.args.name]));
      const counted = { main: 0, worker: 0, seen };
      for (const event of events) {
        if (event.name !== 'wasm.CompileLazy' || event.ph !== 'X') continue;
        const thread = threads.get(`${event.pid}:${event.tid}`);
        if (thread === 'CrRendererMain') counted.main += 1;
        else if (/Worker/.test(thread ?? '')) counted.worker += 1;
      }
      return counted;
    }

    test('the functions the first recording runs are compiled in the worker, not on the main thread', async () => {
      const ingest = await startIngestServer();
      const endpoint = encodeURIComponent(ingest.endpoint);
      const warmed = await compiles(`start=1&endpoint=${endpoint}`);
      // The same page where a CSP forbids workers: no warm-up.
      const cold = await compiles(`start=1&noWorkers=1&endpoint=${endpoint}`);
      await ingest.close();
      for (const run of [warmed, cold]) {
        assert.equal(run.seen.snapshots, 1);
        assert.ok(run.seen.mutations > 0, JSON.stringify(run.seen));
      }
      assert.ok(cold.main > 150, `without the warm-up the main thread compiled ${cold.main} functions`);
      assert.equal(cold.worker, 0);
      assert.ok(warmed.worker > 150, `the worker compiled ${warmed.worker} functions`);
      assert.ok(warmed.main * 3 < cold.main, `main thread: ${warmed.main} functions compiled after the warm-up, ${cold.main} without`);
    });
  });
}

/**
 * Run before the page's own scripts: counts the workers the page makes
 * (`workersMade`), notes when the first one, the warm-up's, says it is done
 * (`warmUpDone`), and with `delayMs` hands that first worker its module
 * that much later; lists what later workers are sent with the module
 * (`laterModuleMessages`). `addRowsAndFlush()` adds 3,000 list items, well over
 * the 64 KiB of JSON that starts a compression worker, and flushes.
 */
function watchWorkers(delayMs) {
  const PageWorker = window.Worker;
  window.workersMade = 0;
  window.warmUpDone = null;
  // What the page's later workers were sent with the module.
  window.laterModuleMessages = [];
  window.Worker = class extends PageWorker {
    constructor(...args) {
      super(...args);
      window.workersMade += 1;
      this.isFirst = window.workersMade === 1;
      if (this.isFirst) {
        this.addEventListener('message', ({ data }) => {
          // (Its first answer is the unpacked module, js/unpack.js.)
          if (data && data.done && window.warmUpDone === null) window.warmUpDone = performance.now();
        });
      }
    }

    postMessage(...args) {
      if (!this.isFirst && args[0]?.module) window.laterModuleMessages.push({ serve: args[0].serve === true });
      if (this.isFirst && delayMs > 0 && args[0]?.module) setTimeout(() => super.postMessage(...args), delayMs);
      else super.postMessage(...args);
    }
  };
  window.addRowsAndFlush = async () => {
    const list = document.getElementById('orders');
    for (let i = 0; i < 3000; i++) {
      const item = document.createElement('li');
      item.textContent = `#${3000 + i} Shortbread, a tin of twelve`;
      list.append(item);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Rewind.flush();
  };
}

/** `script(arg)` before the page's own: Playwright's page (Chromium) or Puppeteer's (Firefox). */
function beforePageScripts(page, script, arg) {
  return page.addInitScript ? page.addInitScript(script, arg) : page.evaluateOnNewDocument(script, arg);
}

for (const browserName of BROWSERS) {
  describe(`the warm-up worker, in ${browserName}`, () => {
    const freshPage = useFreshPages(useBrowser(browserName));

    test("what the worker records of its stand-in page never reaches the endpoint", async () => {
      const ingest = await startIngestServer();
      try {
        const { page } = await freshPage();
        const seen = await recordWirePage(page, `start=1&endpoint=${encodeURIComponent(ingest.endpoint)}`);
        assert.equal(await page.evaluate(() => Rewind.whenDelivered(5000)), true);
        assert.deepEqual([...ingest.replays.keys()], [seen.replayId]);
        const chunks = [...ingest.replays.get(seen.replayId).values()];
        assert.ok(chunks.length > 0);
        assert.doesNotMatch(JSON.stringify(chunks), /rewind\.invalid|item 299/);
        assert.match(JSON.stringify(chunks), /Biscuits/);
      } finally {
        await ingest.close();
      }
    });

    if (browserName !== 'webkit') {
      // (WebKit's driver runs no script before the page's own.)
      test('the warm-up worker then compresses and sends the chunks: the page starts one worker, not two', async () => {
        const ingest = await startIngestServer();
        try {
          const { page } = await freshPage();
          await beforePageScripts(page, watchWorkers, 0);
          await page.goto(`${site.origin}/tests/fixtures/wire.html?start=1&endpoint=${encodeURIComponent(ingest.endpoint)}`);
          const seen = await page.evaluate(async () => {
            await window.started;
            await window.addRowsAndFlush();
            return { replayId: Rewind.getReplayId(), delivered: await Rewind.whenDelivered(5000), workersMade: window.workersMade };
          });
          assert.equal(seen.delivered, true);
          assert.equal(seen.workersMade, 1);
          const text = JSON.stringify([...ingest.replays.get(seen.replayId).values()]);
          assert.match(text, /#5999 Shortbread/);
        } finally {
          await ingest.close();
        }
      });
    }

    if (browserName !== 'webkit') {
      test('a warm-up done after the wait still becomes the compression worker: recording starts without it, and no second worker starts', async () => {
        const ingest = await startIngestServer();
        try {
          const { page } = await freshPage();
          // The warm-up worker (the page's first) gets the module 900 ms
          // late, so it is done well after start() stopped waiting (400 ms).
          await beforePageScripts(page, watchWorkers, 900);
          await page.goto(`${site.origin}/tests/fixtures/wire.html?endpoint=${encodeURIComponent(ingest.endpoint)}`);
          const seen = await page.evaluate(async (endpoint) => {
            const warnings = window.captureConsole('warn');
            const logs = window.captureConsole('log');
            await Rewind.start({ endpoint, debug: true });
            const startedAt = performance.now();
            const doneBeforeStart = window.warmUpDone !== null;
            // Bounded: the warm-up is done about a second after the module.
            for (let i = 0; i < 100 && window.warmUpDone === null; i++) await new Promise((resolve) => setTimeout(resolve, 50));
            await window.addRowsAndFlush();
            const delivered = await Rewind.whenDelivered(5000);
            warnings.stop();
            logs.stop();
            return {
              replayId: Rewind.getReplayId(),
              delivered,
              doneBeforeStart,
              doneAfterStart: window.warmUpDone !== null && window.warmUpDone > startedAt,
              workersMade: window.workersMade,
              warnings: warnings.lines,
              logs: logs.lines,
            };
          }, ingest.endpoint);
          assert.equal(seen.doneBeforeStart, false, 'start() waited for the slow warm-up');
          assert.ok(seen.warnings.some((line) => /not warmed in a worker: not done after 400 ms/.test(line)), seen.warnings.join('\n'));
          assert.equal(seen.doneAfterStart, true, 'the warm-up worker was ended instead of finishing');
          assert.ok(seen.logs.some((line) => /compressing chunks in a worker/.test(line)), seen.logs.join('\n'));
          assert.equal(seen.workersMade, 1);
          assert.equal(seen.delivered, true);
          const text = JSON.stringify([...ingest.replays.get(seen.replayId).values()]);
          assert.match(text, /#5999 Shortbread/);
        } finally {
          await ingest.close();
        }
      });
    }

    if (browserName !== 'webkit') {
      test("a large chunk before the warm-up is done starts the compressor's own worker, which loads the bundle and only serves", async () => {
        const ingest = await startIngestServer();
        try {
          const { page } = await freshPage();
          // The warm-up worker gets the module 10 s late: the 3,000 rows'
          // chunk (over 64 KiB) comes long before it is done.
          await beforePageScripts(page, watchWorkers, 10000);
          await page.goto(`${site.origin}/tests/fixtures/wire.html?endpoint=${encodeURIComponent(ingest.endpoint)}`);
          const seen = await page.evaluate(async (endpoint) => {
            const logs = window.captureConsole('log');
            await Rewind.start({ endpoint, debug: true });
            await window.addRowsAndFlush();
            const warmUpDone = window.warmUpDone;
            const delivered = await Rewind.whenDelivered(5000);
            logs.stop();
            return {
              replayId: Rewind.getReplayId(),
              delivered,
              warmUpDone,
              workersMade: window.workersMade,
              laterModuleMessages: window.laterModuleMessages,
              logs: logs.lines,
            };
          }, ingest.endpoint);
          assert.equal(seen.warmUpDone, null, 'the warm-up was still under way when the chunk came');
          assert.equal(seen.workersMade, 2);
          assert.deepEqual(seen.laterModuleMessages, [{ serve: true }], 'the second worker is told to serve, not to warm up');
          assert.ok(seen.logs.some((line) => /compressing chunks in a worker/.test(line)), seen.logs.join('\n'));
          assert.ok(!seen.logs.some((line) => /compressing chunks on the main thread/.test(line)), seen.logs.join('\n'));
          assert.equal(seen.delivered, true);
          const text = JSON.stringify([...ingest.replays.get(seen.replayId).values()]);
          assert.match(text, /#5999 Shortbread/);
        } finally {
          await ingest.close();
        }
      });
    }

    test('where a CSP forbids workers, the page records as before and, with debug, says it was not warmed', async () => {
      const { page } = await freshPage();
      await page.goto(`${site.origin}/tests/fixtures/wire.html?noWorkers=1`);
      const seen = await page.evaluate(async () => {
        const warnings = window.captureConsole('warn');
        await Rewind.start({ debug: true, emit: (event) => window.emitted.push(event) });
        warnings.stop();
        return { snapshots: window.emitted.filter((event) => event.type === 2).length, warnings: warnings.lines };
      });
      assert.equal(seen.snapshots, 1);
      assert.ok(seen.warnings.some((line) => /not warmed in a worker/.test(line)), seen.warnings.join('\n'));
    });
  });
}
