// The JS face in headless Chromium and Firefox, and WebKit (WebKitGTK under
// Xvfb, tests/support/webkit.mjs): the script-tag snippet
// queues calls until the bundle loads and they run in order; a failed load
// (404, a CSP without 'wasm-unsafe-eval') leaves a quiet no-op; an error in
// the page stays the page's and rewind keeps recording; an internal error
// in rewind stops rewind, not the page; stop() leaves nothing attached.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from '../support/static-server.mjs';
import { useStaticSite, useDemoServer, useBrowser, useFreshPages } from '../support/harness.mjs';

const BROWSERS = (process.env.REWIND_BROWSERS ?? 'chromium,firefox,webkit').split(',');
const PAGES = path.join(repoRoot, 'test-results/loader');

const site = useStaticSite();
const demo = useDemoServer();
let snippet;
before(async () => {
  snippet = await readFile(path.join(repoRoot, 'dist/snippet.min.js'), 'utf8');
  await mkdir(PAGES, { recursive: true });
});

/** The README's snippet, for a bundle at `src` under the global `name`. */
function snippetFor(src, name = 'Rewind') {
  return snippet.trim().replace('"Rewind","/rewind/rewind.js"', `"${name}","${src}"`);
}

/** Writes a test page and returns its URL. */
async function page(name, html) {
  await writeFile(path.join(PAGES, name), html);
  return `${site.origin}/test-results/loader/${name}`;
}

for (const browserName of BROWSERS) {
  describe(`the JS face in ${browserName}`, () => {
    const freshPage = useFreshPages(useBrowser(browserName));

    async function open(url) {
      const { page: tab, errors } = await freshPage();
      await tab.goto(url);
      return { tab, errors };
    }

    test('calls made before the bundle loads run in order, settle, and the snapshot waits for the DOM', async () => {
      const url = await page(
        'queue.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>${snippetFor('/dist/rewind.js')}</script>
<script>
  window.events = [];
  window.order = [];
  const note = (what) => () => order.push(what);
  Rewind.start({ emit: (event) => events.push(event) }).then(note('start'));
  Rewind.log('first').then(note('log first'));
  Rewind.getSessionId((id) => order.push(id ? 'callback with id' : 'callback without id')).then(note('getSessionId'));
  Rewind.identify('user-7', { plan: 'pro' }).then(() => {
    order.push('identify');
    // Made while the queue drains: still after everything queued before.
    Rewind.log('during the drain').then(note('log during'));
  });
  Rewind.log('second').then(note('log second'));
  window.done = Rewind.flush().then(note('flush'));
</script></head>
<body><main id="late-content">parsed after start()</main></body></html>`,
      );
      const { tab, errors } = await open(url);
      const result = await tab.evaluate(async () => {
        await window.done;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { order: window.order, events: window.events, replayId: Rewind.getReplayId() };
      });
      assert.deepEqual(result.order, [
        'start', 'log first', 'callback with id', 'getSessionId', 'identify', 'log second', 'flush', 'log during',
      ]);
      assert.deepEqual(result.events.slice(0, 2).map((e) => e.type), [4, 2]);
      assert.ok(JSON.stringify(result.events[1]).includes('parsed after start()'), 'the snapshot waited for the body');
      const custom = result.events.filter((e) => e.type === 5).map((e) => [e.data.tag, e.data.payload.message ?? e.data.payload.userId]);
      assert.deepEqual(custom, [['log', 'first'], ['identify', 'user-7'], ['log', 'second'], ['log', 'during the drain']]);
      assert.match(result.replayId, /^[^/]+\/\d+$/);
      assert.deepEqual(errors, []);
    });

    test('identify() and log() made before start() apply to the recording that starts', async () => {
      const url = await page(
        'early-calls.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>${snippetFor('/dist/rewind.js')}</script>
<script>
  window.events = [];
  // Queued by the snippet before the bundle loads, and before start().
  Rewind.log('early 0', { n: 0 });
  Rewind.identify('early-user', { plan: 'pro' });
  for (let n = 1; n < 105; n++) Rewind.log('early ' + n);
  window.started = Rewind.start({ emit: (event) => events.push(event), userIdAsDeviceId: true, debug: true })
    .then(() => Rewind.getReplayId());
</script></head>
<body><p>early calls</p></body></html>`,
      );
      const { tab, errors } = await open(url);
      const result = await tab.evaluate(async () => {
        const replayId = await window.started;
        await Rewind.stop();
        // After stop() and before the next start(), a log() is dropped.
        await Rewind.log('after stop');
        await Rewind.start({ emit: (event) => events.push(event) });
        await Rewind.stop();
        return { replayId, events: window.events };
      });
      assert.match(result.replayId, /^early-user\//, 'identify() before start() named the device');
      const types = result.events.map((e) => e.type);
      assert.deepEqual(types.slice(0, 2), [4, 2]);
      const custom = result.events.filter((e) => e.type === 5);
      // Right after the first snapshot, in call order: 100 lines kept, the
      // identify among them where it was called.
      assert.deepEqual(types.slice(2, 2 + 101), Array(101).fill(5));
      assert.deepEqual(custom[0].data, { tag: 'log', payload: { message: 'early 0', data: { n: 0 } } });
      assert.deepEqual(custom[1].data, { tag: 'identify', payload: { userId: 'early-user', traits: { plan: 'pro' } } });
      assert.deepEqual(
        custom.slice(2, 101).map((e) => e.data.payload.message),
        Array.from({ length: 99 }, (_, i) => `early ${i + 1}`),
      );
      assert.equal(custom.length, 101, 'the 5 lines past the first 100 were dropped, and the one after stop()');
      assert.ok(!JSON.stringify(result.events).includes('after stop'));
      assert.deepEqual(errors, []);
    });

    test("before the bundle loads, the snippet's getReplayId() and other synchronous functions return promises of what the loaded ones return", async () => {
      // Two snippets: 'Missing' points at no bundle; 'Rewind', last, is the
      // global the bundle takes over (window.RewindObject).
      const url = await page(
        'direct-calls.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>${snippetFor('/dist/no-such-bundle.js', 'Missing')}</script>
<script>${snippetFor('/dist/rewind.js')}</script>
<script>
  window.beforeStart = Rewind.getReplayId();
  Rewind.start({ emit: () => {} });
  window.queued = {
    replayId: Rewind.getReplayId(),
    recording: Rewind.isRecording(),
    memory: Rewind.memoryUsage(),
    counts: Rewind.attachedCounts(),
  };
  window.allPromises = [window.beforeStart, ...Object.values(window.queued)].every((value) => value instanceof Promise);
  window.missing = Promise.all([Missing.getReplayId(), Missing.isRecording(), Missing.memoryUsage(), Missing.attachedCounts()]);
</script></head><body><p>direct calls</p></body></html>`,
      );
      const { tab, errors } = await open(url);
      const result = await tab.evaluate(async () => {
        const queued = {};
        for (const [key, promise] of Object.entries(window.queued)) queued[key] = await promise;
        const loadedReplayId = Rewind.getReplayId();
        return {
          allPromises: window.allPromises,
          beforeStart: await window.beforeStart,
          queued,
          loaded: {
            replayId: loadedReplayId,
            replayIdType: typeof loadedReplayId,
            recording: Rewind.isRecording(),
            memory: Rewind.memoryUsage(),
            counts: await Rewind.attachedCounts(),
          },
          missing: await window.missing,
        };
      });
      assert.equal(result.allPromises, true, 'the stub returns a promise for each');
      assert.equal(result.beforeStart, null, 'queued before start(): what getReplayId() returns before start()');
      assert.equal(result.loaded.replayIdType, 'string', 'the loaded getReplayId() returns the id itself');
      assert.match(result.loaded.replayId, /^[^/]+\/\d+$/);
      assert.equal(result.queued.replayId, result.loaded.replayId, "the queued getReplayId() resolves to the loaded one's value");
      assert.equal(result.queued.recording, true);
      assert.equal(result.loaded.recording, true);
      assert.ok(result.queued.memory.wasmBytes > 0 && result.queued.memory.wasmBytes <= result.loaded.memory.wasmBytes, JSON.stringify(result));
      assert.ok(result.queued.counts.listeners > 0, JSON.stringify(result.queued.counts));
      assert.equal(result.queued.counts.observers, result.loaded.counts.observers);
      assert.deepEqual(
        result.missing,
        [null, false, { wasmBytes: 0, buffering: false, bufferedBytes: 0 }, { listeners: 0, observers: 0, timers: 0, hooks: 0 }],
        'a bundle that cannot load: what rewind returns without its wasm',
      );
      assert.deepEqual(errors.filter((e) => !/404|Failed to load resource|no-such-bundle/.test(e)), []);
    });

    test('the global name is configurable', async () => {
      const url = await page(
        'named.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>${snippetFor('/dist/rewind.js', 'Recorder')}</script>
<script>window.started = Recorder.start({ emit: () => {} }).then(() => Recorder.getReplayId());</script>
</head><body><p>named</p></body></html>`,
      );
      const { tab } = await open(url);
      const result = await tab.evaluate(async () => ({ replayId: await window.started, rewind: typeof window.Rewind }));
      assert.match(result.replayId, /\//);
      assert.equal(result.rewind, 'undefined');
    });

    test('a bundle that cannot load leaves a quiet no-op; getSessionId says why', async () => {
      const url = await page(
        'missing.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>${snippetFor('/dist/no-such-bundle.js')}</script>
<script>
  // A page that never catches: it must see no rejection.
  Rewind.start({ endpoint: '/ingest' });
  Rewind.log('nobody hears this');
  Rewind.stop();
  window.reason = Rewind.getSessionId().then(() => 'resolved', (error) => error.message);
</script></head><body><button id="own" onclick="this.textContent='still works'">page button</button></body></html>`,
      );
      const { tab, errors } = await open(url);
      const reason = await tab.evaluate(() => window.reason);
      assert.match(reason, /could not load \/dist\/no-such-bundle\.js/);
      await tab.click('#own');
      assert.equal(await tab.evaluate(() => document.querySelector('#own').textContent), 'still works');
      // Chromium logs the 404 itself; anything else would be an error.
      assert.deepEqual(errors.filter((e) => !/404|Failed to load resource|no-such-bundle/.test(e)), []);
    });

    test('a Sentry integration that is not deployed leaves rewind recording without it, and says so', async () => {
      // rewind.js and its wasm, without rewind-sentry.js beside them.
      const lonely = path.join(PAGES, 'lonely');
      await mkdir(lonely, { recursive: true });
      for (const file of ['rewind.js', 'rewind_bg.wasm']) await copyFile(path.join(repoRoot, 'dist', file), path.join(lonely, file));
      const url = await page(
        'lonely-chunks.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>${snippetFor('/test-results/loader/lonely/rewind.js')}</script>
<script>
  window.events = [];
  window.warnings = [];
  const warn = console.warn;
  console.warn = (...args) => { warnings.push(args.join(' ')); warn.apply(console, args); };
  window.started = Rewind.start({ sentry: true, debug: true, emit: (event) => events.push(event) }).then(() => Rewind.getReplayId(), (error) => 'rejected: ' + error.message);
</script></head><body><p>text</p></body></html>`,
      );
      const { tab, errors } = await open(url);
      const replayId = await tab.evaluate(() => window.started);
      assert.match(replayId, /^[^/]+\/\d+$/, 'recording on its own ids');
      assert.ok(await tab.evaluate(() => window.events.some((event) => event.type === 2)), 'a full snapshot');
      // debug: true says which file and what to do.
      const warnings = await tab.evaluate(() => window.warnings);
      assert.ok(
        warnings.some((text) => /could not load its Sentry integration \(\S*\/lonely\/rewind-sentry\.js did not load\): recording without it; deploy rewind-sentry\.js beside rewind\.js/.test(text)),
        `a warning that names the missing file, among: ${JSON.stringify(warnings)}`,
      );
      assert.deepEqual(errors.filter((e) => !/404|Failed to load resource|rewind-sentry/.test(e)), []);
    });

    test('an integration loads beside rewind.js under the nonce rewind.js was allowed by', async () => {
      // A CSP that allows scripts by nonce only: rewind-sentry.js, which
      // rewind.js adds, needs the nonce rewind.js was loaded with. A
      // stand-in Raven shows that the integration ran: it hooks Raven.
      const url = await page(
        'nonce-integration.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<meta http-equiv="Content-Security-Policy" content="script-src 'nonce-n0nce' 'wasm-unsafe-eval'">
<script nonce="n0nce">
  window.Raven = { setDataCallback: (callback) => { window.hooked = typeof callback; } };
  window.events = [];
</script>
<script nonce="n0nce" src="/dist/rewind.js"></script>
<script nonce="n0nce">
  window.started = Rewind.start({ sentry: true, emit: (event) => events.push(event) }).then(() => Rewind.getReplayId(), (error) => 'rejected: ' + error.message);
</script></head><body><p>text</p></body></html>`,
      );
      const { tab } = await open(url);
      assert.match(await tab.evaluate(() => window.started), /^[^/]+\/\d+$/, 'recording');
      assert.equal(await tab.evaluate(() => window.hooked), 'function', 'rewind-sentry.js ran and hooked Raven');
      assert.ok(await tab.evaluate(() => window.events.some((event) => event.type === 2)), 'a full snapshot');
    });

    test("a CSP without 'wasm-unsafe-eval' leaves the page working and rewind quiet", async () => {
      const url = await page(
        'csp.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<meta http-equiv="Content-Security-Policy" content="script-src 'self' 'nonce-t3st'">
<script nonce="t3st">${snippetFor('/dist/rewind.js')}</script>
<script nonce="t3st">
  Rewind.start({ endpoint: '/ingest' });
  Rewind.log('nobody hears this');
  window.reason = Rewind.getSessionId().then(() => 'resolved', (error) => error.message);
  window.replayId = Rewind.getReplayId();
</script></head><body><p id="count">0</p></body></html>`,
      );
      const { tab, errors } = await open(url);
      const result = await tab.evaluate(async () => ({
        reason: await window.reason,
        replayId: await window.replayId,
        recording: Rewind.isRecording(),
      }));
      assert.match(result.reason, /wasm-unsafe-eval/);
      assert.equal(result.replayId, null);
      assert.equal(result.recording, false);
      // The browser reports the CSP violation itself; no rejection or error
      // of rewind's reaches the page.
      assert.deepEqual(errors.filter((e) => !/Content.Security.Policy|CSP|WebAssembly|wasm/i.test(e)), []);
    });

    // Safari in Lockdown Mode (iOS and macOS 13+) runs pages without
    // WebAssembly; so do browsers where it is switched off by policy.
    test('without WebAssembly (Safari in Lockdown Mode) rewind is a quiet no-op and says why', async () => {
      const url = await page(
        'no-wasm.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>delete window.WebAssembly;</script>
<script>${snippetFor('/dist/rewind.js')}</script>
<script>
  // A page that never catches: it must see no rejection.
  window.seen = [];
  window.addEventListener('error', (event) => seen.push(event.message));
  window.addEventListener('unhandledrejection', (event) => seen.push(String(event.reason)));
  Rewind.start({ endpoint: '/ingest' });
  Rewind.log('nobody hears this');
  window.reason = Rewind.getSessionId().then(() => 'resolved', (error) => error.message);
  window.recording = Rewind.isRecording();
</script></head><body><button id="own" onclick="this.textContent='still works'">page button</button></body></html>`,
      );
      const { tab, errors } = await open(url);
      const result = await tab.evaluate(async () => {
        const reason = await window.reason;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { reason, recording: await window.recording, wasm: typeof WebAssembly, seen: window.seen };
      });
      assert.equal(result.wasm, 'undefined', 'the page really has no WebAssembly');
      assert.match(result.reason, /could not load its WebAssembly module/);
      assert.equal(result.recording, false);
      assert.deepEqual(result.seen, [], 'no error or rejection of rewind reached the page');
      await tab.click('#own');
      assert.equal(await tab.evaluate(() => document.querySelector('#own').textContent), 'still works');
      assert.deepEqual(errors, []);
    });

    // WebKit settles an asynchronous WebAssembly compile only once the main
    // thread goes idle, which a page running timers back to back never
    // does. Here the asynchronous compile never settles at all, nor does
    // the packed module's worker ever answer: rewind compiles the plain
    // module on the main thread once its wait runs out (js/index.js,
    // WORKER_START_WAIT_MS, 3 s, for the worker) and starts, with one
    // instance of the module.
    test('an asynchronous compile that never settles: rewind compiles on the main thread and records', async () => {
      const url = await page(
        'stalled-compile.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>
  const never = () => new Promise(() => {});
  WebAssembly.compileStreaming = never;
  WebAssembly.compile = never;
  WebAssembly.instantiateStreaming = never;
  WebAssembly.instantiate = never;
  // Nor does the worker that unpacks the packed module (js/unpack.js).
  window.Worker = class { postMessage() {} terminate() {} };
  window.seen = [];
  window.addEventListener('error', (event) => seen.push(event.message));
  window.addEventListener('unhandledrejection', (event) => seen.push(String(event.reason)));
</script>
<script>${snippetFor('/dist/rewind.js')}</script>
<script>
  window.events = [];
  window.asked = performance.now();
  window.started = Rewind.start({ emit: (event) => events.push(event) }).then(() => performance.now() - window.asked);
</script></head><body><p id="text">compiled late</p></body></html>`,
      );
      const { tab, errors } = await open(url);
      const result = await tab.evaluate(async () => {
        const tookMs = await Promise.race([window.started, new Promise((resolve) => setTimeout(() => resolve(-1), 8000))]);
        return { tookMs, types: window.events.map((e) => e.type), seen: window.seen, replayId: await Rewind.getReplayId() };
      });
      assert.ok(result.tookMs >= 900, `started after ${result.tookMs} ms: the compile waited for the asynchronous one first`);
      assert.deepEqual(result.types.slice(0, 2), [4, 2], 'Meta and a full snapshot');
      assert.match(String(result.replayId), /^[^/]+\/\d+$/);
      assert.deepEqual(result.seen, []);
      assert.deepEqual(errors, []);
    });

    // Safari before 16.4 has no adoptedStyleSheets (nor constructable
    // sheets): rewind's hook for them is not installed, and the rest,
    // shadow roots included, is recorded.
    test('without adoptedStyleSheets (Safari before 16.4) the rest of the page is recorded', async () => {
      const url = await page(
        'no-adopted-sheets.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>
  delete Document.prototype.adoptedStyleSheets;
  delete ShadowRoot.prototype.adoptedStyleSheets;
</script>
<script src="/dist/rewind.js"></script>
<script>
  window.events = [];
  window.started = Rewind.start({ emit: (event) => events.push(event) });
</script></head>
<body><div id="host"></div><style id="sheet">p { color: rgb(1, 2, 3); }</style><p id="text">before</p></body></html>`,
      );
      const { tab, errors } = await open(url);
      const result = await tab.evaluate(async () => {
        await window.started;
        const root = document.querySelector('#host').attachShadow({ mode: 'open' });
        root.innerHTML = '<b>in the shadow</b>';
        document.querySelector('#text').textContent = 'after';
        document.querySelector('#sheet').sheet.insertRule('b { font-weight: 700; }', 1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await Rewind.stop();
        return {
          adopted: 'adoptedStyleSheets' in document,
          hooks: (await Rewind.attachedCounts()).hooks,
          events: JSON.stringify(window.events),
          kinds: window.events.filter((e) => e.type === 3).map((e) => e.data.source),
        };
      });
      assert.equal(result.adopted, false, 'the page really has no adoptedStyleSheets');
      assert.ok(result.events.includes('in the shadow'), 'the shadow root added after the snapshot was recorded');
      assert.ok(result.events.includes('after'), 'the text change was recorded');
      assert.ok(result.kinds.includes(8), 'the CSSOM edit was recorded');
      assert.ok(!result.kinds.includes(15), 'no adoptedStyleSheets event');
      assert.equal(result.hooks, 0, 'stop() took back what was hooked');
      assert.deepEqual(errors, []);
    });

    // Safari before 15.4 has no Object.hasOwn: the bundle, replaying the
    // snippet's queue, once called it there, the page got a TypeError and
    // the queued calls never settled (this test found it).
    test('without Object.hasOwn (Safari before 15.4) the snippet\'s queued calls settle and the page sees no error', async () => {
      const url = await page(
        'no-hasown.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>
  delete Object.hasOwn;
  window.seen = [];
  window.addEventListener('error', (event) => seen.push(event.message));
</script>
<script>${snippetFor('/dist/rewind.js')}</script>
<script>window.started = Rewind.start({ emit: () => {} }).then(() => Rewind.getReplayId());</script>
</head><body><p>old Safari</p></body></html>`,
      );
      const { tab } = await open(url);
      const result = await tab.evaluate(() =>
        Promise.race([window.started, new Promise((resolve) => setTimeout(() => resolve('never settled'), 2000))]).then((replayId) => ({
          replayId,
          seen: window.seen,
        })),
      );
      assert.deepEqual(result.seen, []);
      assert.match(String(result.replayId), /^[^/]+\/\d+$/);
    });

    test("the page's own errors stay the page's, and rewind keeps recording", async () => {
      const url = await page(
        'page-error.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/dist/rewind.js"></script>
<script>
  window.seen = [];
  window.addEventListener('error', (event) => { seen.push(event.message); event.preventDefault(); });
  window.events = [];
  window.started = Rewind.start({ emit: (event) => events.push(event) });
</script></head>
<body><button id="broken">broken</button><p id="after">before</p>
<script>
  document.querySelector('#broken').addEventListener('click', () => {
    document.querySelector('#after').textContent = 'after';
    throw new Error('the page\\'s own bug');
  });
</script></body></html>`,
      );
      const { tab } = await open(url);
      await tab.evaluate(() => window.started);
      await tab.click('#broken');
      const result = await tab.evaluate(async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { seen: window.seen, recording: Rewind.isRecording(), events: window.events };
      });
      assert.equal(result.seen.length, 1);
      assert.match(result.seen[0], /the page's own bug/);
      assert.equal(result.recording, true);
      const sources = result.events.filter((e) => e.type === 3).map((e) => e.data.source);
      assert.ok(sources.includes(2), 'the click was recorded');
      assert.ok(sources.includes(0), 'the text change was recorded');
      const plugin = result.events.find((e) => e.type === 6);
      assert.match(plugin.data.payload.payload[0], /the page's own bug/, 'and the error is in the timeline');

      // Values with no string of their own: a rejection with a number, log
      // data that JSON cannot hold. Recorded by their String() form, and
      // rewind goes on.
      const odd = await tab.evaluate(async () => {
        window.addEventListener('unhandledrejection', (event) => event.preventDefault());
        Promise.reject(42);
        const cyclic = { name: 'loop' };
        cyclic.self = cyclic;
        await Rewind.log('cyclic data', cyclic);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { recording: Rewind.isRecording(), events: window.events };
      });
      assert.equal(odd.recording, true);
      const rejection = odd.events.filter((e) => e.type === 6).map((e) => e.data.payload.payload[0]);
      assert.ok(rejection.some((message) => /Uncaught \(in promise\) 42/.test(message)), JSON.stringify(rejection));
      const log = odd.events.find((e) => e.type === 5 && e.data.payload.message === 'cyclic data');
      assert.equal(log?.data.payload.data, '[object Object]');
    });

    test('an internal error stops rewind, detaches everything, and the page never sees it', async () => {
      const url = await page(
        'poison.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/dist/rewind.js"></script>
<script>
  window.seen = [];
  window.addEventListener('error', (event) => seen.push(event.message));
  window.addEventListener('unhandledrejection', (event) => seen.push(String(event.reason)));
  window.nativeInsertRule = CSSStyleSheet.prototype.insertRule;
  window.started = Rewind.start({ emit: () => {} });
</script></head>
<body><p id="target">x</p><button id="own">0</button>
<script>document.querySelector('#own').addEventListener('click', (e) => { e.target.textContent = String(Number(e.target.textContent) + 1); });</script>
</body></html>`,
      );
      const { tab } = await open(url);
      const result = await tab.evaluate(async () => {
        await window.started;
        const before = await Rewind.attachedCounts();
        const hooked = CSSStyleSheet.prototype.insertRule !== window.nativeInsertRule;
        // A broken polyfill makes a DOM API rewind relies on throw.
        Object.defineProperty(MutationRecord.prototype, 'attributeName', {
          configurable: true,
          get() {
            throw new Error('broken polyfill');
          },
        });
        document.querySelector('#target').setAttribute('title', 'changed');
        await new Promise((resolve) => setTimeout(resolve, 100));
        return {
          before,
          hooked,
          after: await Rewind.attachedCounts(),
          restored: CSSStyleSheet.prototype.insertRule === window.nativeInsertRule,
          seen: window.seen,
        };
      });
      // Hooks: the CSSOM and value hooks, and the console wrapper (captureConsole).
      assert.ok(result.before.listeners > 10 && result.before.observers === 1 && result.before.hooks === 2, JSON.stringify(result.before));
      assert.equal(result.hooked, true);
      assert.deepEqual(result.after, { listeners: 0, observers: 0, timers: 0, hooks: 0 });
      assert.equal(result.restored, true);
      assert.deepEqual(result.seen, [], 'no error or rejection of rewind reached the page');
      await tab.click('#own');
      await tab.click('#own');
      assert.equal(await tab.evaluate(() => document.querySelector('#own').textContent), '2');
    });

    test('the npm package bundled by webpack 5 in www/ records the page', async () => {
      const { tab, errors } = await open(`${demo.origin}/npm.html`);
      // Polled in the page: the two drivers' waitForFunction differ.
      await tab.evaluate(
        () =>
          new Promise((resolve, reject) => {
            const deadline = Date.now() + 10_000;
            const check = () => {
              if (document.querySelector('#replay-id').textContent.includes('/')) resolve();
              else if (Date.now() > deadline) reject(new Error('the npm build never started recording'));
              else setTimeout(check, 20);
            };
            check();
          }),
      );
      const result = await tab.evaluate(async () => {
        await window.npmDemo.flush();
        return {
          types: window.npmDemo.events.map((event) => event.type),
          custom: window.npmDemo.events
            .filter((event) => event.type === 5)
            .map((event) => [event.data.tag, event.data.payload.message ?? event.data.payload.userId]),
        };
      });
      assert.deepEqual(result.types.slice(0, 2), [4, 2]);
      // identify() and log() made before start() (www/npm/main.js), in call
      // order right after the first snapshot, then the line logged after it.
      assert.deepEqual(result.types.slice(2, 4), [5, 5], 'the early calls follow the first snapshot at once');
      assert.deepEqual(result.custom, [
        ['identify', 'npm-user-1'],
        ['log', 'before start from the npm build'],
        ['log', 'started from the npm build'],
      ]);
      assert.deepEqual(errors, []);
    });

    test('stop() removes every listener, observer, timer and hook rewind added', async () => {
      const url = await page(
        'stop.html',
        `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>
  // Count the page's active intervals, whoever set them.
  window.activeIntervals = new Set();
  const setInterval0 = window.setInterval, clearInterval0 = window.clearInterval;
  window.setInterval = function () { const id = setInterval0.apply(this, arguments); activeIntervals.add(id); return id; };
  window.clearInterval = function (id) { activeIntervals.delete(id); return clearInterval0.apply(this, arguments); };
  window.nativeValueSetter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
</script>
<script src="/dist/rewind.js"></script></head>
<body><iframe id="frame" srcdoc="<p>inside</p>"></iframe><div id="host"></div><input id="field"></body></html>`,
      );
      const { tab, errors } = await open(url);
      const result = await tab.evaluate(async () => {
        document.querySelector('#host').attachShadow({ mode: 'open' }).innerHTML = '<b>shadow</b>';
        await new Promise((resolve) => (document.querySelector('#frame').contentDocument.readyState === 'complete' ? resolve() : document.querySelector('#frame').addEventListener('load', resolve)));
        const idle = await Rewind.attachedCounts();
        await Rewind.start({ endpoint: '/ingest', emit: () => {} });
        document.querySelector('#field').value = 'x';
        window.scrollTo(0, 10);
        const recording = await Rewind.attachedCounts();
        const intervalsWhileRecording = activeIntervals.size;
        await Rewind.stop();
        return {
          idle,
          recording,
          intervalsWhileRecording,
          stopped: await Rewind.attachedCounts(),
          intervalsAfter: activeIntervals.size,
          setterRestored: Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set === window.nativeValueSetter,
        };
      });
      // Before start only the courier listens (for chunks other tabs park).
      assert.deepEqual(result.idle, { listeners: 1, observers: 0, timers: 0, hooks: 0 });
      assert.ok(result.recording.listeners > 20, `document, window and frame listeners: ${JSON.stringify(result.recording)}`);
      assert.equal(result.recording.hooks, 3, 'the page and its frame, and the console wrapper');
      assert.equal(result.intervalsWhileRecording, 1, 'the flush timer');
      assert.deepEqual(result.stopped, result.idle, 'back to only the courier');
      assert.equal(result.intervalsAfter, 0);
      assert.equal(result.setterRestored, true);
      assert.deepEqual(errors.filter((e) => !/Failed to load resource|404|ingest/.test(e)), []);
    });
  });
}
