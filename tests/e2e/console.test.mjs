// captureConsole in headless Chromium and Firefox, through the script-tag
// bundle (dist/rewind.js): the page's console behaves exactly as without
// rewind (what reaches the browser's console, arguments, `this`, return
// values, console.assert, the page's own wrappers installed before and
// after rewind, and after stop()); the calls are recorded as rrweb/console@1
// events with safely read arguments and the caller's trace; rewind's own
// debug lines never record themselves; an internal error puts the console
// back.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

import { repoRoot, listen } from '../support/static-server.mjs';
import { useStaticSite, useBrowser, useFreshPages } from '../support/harness.mjs';

const BROWSERS = (process.env.REWIND_BROWSERS ?? 'chromium,firefox').split(',');
const PAGES = path.join(repoRoot, 'test-results/console');
const ALL_LEVELS = ['log', 'info', 'warn', 'error', 'debug', 'assert', 'trace'];

const site = useStaticSite();
// Serves /slow.js after SLOW_SCRIPT_MS.
const SLOW_SCRIPT_MS = 3000;
let slowScript;
before(async () => {
  await mkdir(PAGES, { recursive: true });
  slowScript = await listen(
    http.createServer((request, response) => {
      setTimeout(() => {
        response.writeHead(200, { 'Content-Type': 'text/javascript' });
        response.end("console.warn('from the slow script');");
      }, SLOW_SCRIPT_MS);
    }),
  );
});
after(async () => {
  await slowScript?.close();
});

/** Writes a test page and returns its URL. */
async function page(name, html) {
  await writeFile(path.join(PAGES, name), html);
  return `${site.origin}/test-results/console/${name}`;
}

// The page's script: a logging SDK's console wrapper installed before
// rewind, then `exercise()`, which uses the console every way a page does
// and notes what it sees; with `withRewind`, rewind records meanwhile and
// the page wraps console.error again while it records.
const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/dist/rewind.js"></script>
<script>
  window.native = { log: console.log, warn: console.warn, error: console.error, assert: console.assert };
  window.seen = [];
  // A wrapper of the page's, installed before rewind: it sees every call
  // with its this and arguments, and returns a value of its own.
  const beforeRewind = console.warn;
  console.warn = function (...args) {
    seen.push({ self: this, args });
    beforeRewind.apply(this, args);
    return 'from the page wrapper';
  };
  window.pageWarn = console.warn;

  // Made as the page loads, so its stack is the same in every run.
  const badInput = new TypeError('bad input');

  function placeOrder(order) {
    console.warn('low stock', order, document.querySelector('#secret'));
  }

  window.exercise = async (withRewind) => {
    const events = [];
    if (withRewind) await Rewind.start({ emit: (event) => events.push(event), captureConsole: ${JSON.stringify(ALL_LEVELS)} });
    const notes = {};
    const self = { me: 1 };
    const order = { id: 7, items: ['tea'] };
    notes.warnReturns = console.warn.call(self, 'called with a this', order);
    const last = seen[seen.length - 1];
    notes.sameThis = last.self === self;
    notes.sameArguments = last.args.length === 2 && last.args[1] === order;
    placeOrder(order);
    notes.logReturns = console.log('plain', 1, { nested: { deep: true } });
    notes.assertHolds = console.assert(1 < 2, 'never shown');
    notes.assertFails = console.assert(false, 'shown', 3);
    console.info('info'); console.debug('debug'); console.trace('trace');
    // A wrapper of the page's, installed while rewind records.
    const underneath = console.error;
    window.lateError = function (...args) { seen.push({ late: args[0] }); return underneath.apply(this, args) ?? 'late wrapper'; };
    console.error = lateError;
    notes.errorReturns = console.error('through both wrappers', badInput);
    if (withRewind) {
      await Rewind.stop();
      notes.recordedWhileRecording = events.length;
    }
    notes.afterStop = {
      warnIsThePagesWrapper: console.warn === pageWarn,
      logIsNative: console.log === native.log,
      assertIsNative: console.assert === native.assert,
      errorIsTheLateWrapper: console.error === lateError,
      warnReturns: console.warn('after stop'),
      errorReturns: console.error('after stop, through both'),
    };
    notes.recordedAfterStop = events.length - (notes.recordedWhileRecording ?? 0);
    console.error = underneath;
    return { notes, events: events.filter((event) => event.type === 6).map((event) => event.data) };
  };
</script></head>
<body><p id="secret" class="card big">card ends 4242</p></body></html>`;

for (const browserName of BROWSERS) {
  describe(`captureConsole in ${browserName}`, () => {
    const freshPage = useFreshPages(useBrowser(browserName));

    /** Runs `exercise(withRewind)` in a fresh page; also what reached the browser's console. */
    async function exercise(withRewind) {
      const { page: tab, errors } = await freshPage();
      const messages = [];
      tab.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
      await tab.goto(await page('console.html', PAGE));
      const result = await tab.evaluate((withRewind) => window.exercise(withRewind), withRewind);
      // Console events arrive asynchronously in both drivers.
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { ...result, messages, errors };
    }

    test('the console behaves exactly as without rewind, before, during and after recording', async () => {
      const without = await exercise(false);
      const withRewind = await exercise(true);
      assert.deepEqual(withRewind.messages, without.messages, 'the same console output');
      const { recordedWhileRecording, recordedAfterStop, ...notes } = withRewind.notes;
      const { recordedAfterStop: nothing, ...plainNotes } = without.notes;
      assert.equal(nothing, 0);
      assert.deepEqual(notes, plainNotes, 'the same this, arguments and return values');
      assert.deepEqual(notes.afterStop, {
        warnIsThePagesWrapper: true,
        logIsNative: true,
        assertIsNative: true,
        errorIsTheLateWrapper: true,
        warnReturns: 'from the page wrapper',
        errorReturns: 'late wrapper',
      });
      assert.equal(notes.warnReturns, 'from the page wrapper');
      assert.equal(notes.sameThis, true);
      assert.equal(notes.sameArguments, true);
      assert.ok(recordedWhileRecording > 2);
      assert.equal(recordedAfterStop, 0, 'nothing recorded after stop()');
      assert.ok(
        withRewind.messages.some((message) => message.includes('shown 3')) &&
          !withRewind.messages.some((message) => message.includes('never shown')),
        `console.assert prints only when it fails: ${JSON.stringify(withRewind.messages)}`,
      );
    });

    test('the calls are recorded as rrweb/console@1 events with their arguments and the caller', async () => {
      const { events } = await exercise(true);
      assert.ok(events.every((event) => event.plugin === 'rrweb/console@1'));
      const calls = events.map((event) => event.payload);
      assert.deepEqual(
        calls.map((call) => call.level),
        ['warn', 'warn', 'log', 'assert', 'info', 'debug', 'trace', 'error'],
      );
      const parse = (call) => call.payload.map((text) => JSON.parse(text));
      assert.deepEqual(parse(calls[0]), ['called with a this', { id: 7, items: ['tea'] }]);
      // A DOM node by a short description, never its text.
      assert.deepEqual(parse(calls[1]), ['low stock', { id: 7, items: ['tea'] }, '<p#secret.card.big>']);
      assert.ok(!JSON.stringify(events).includes('4242'), 'no node text is recorded');
      assert.match(calls[1].trace[0], /placeOrder/, `the trace starts at the caller: ${calls[1].trace}`);
      assert.ok(!calls[1].trace.some((line) => line.includes('rewind.js')), `no frame of rewind's: ${calls[1].trace}`);
      assert.deepEqual(parse(calls[2]), ['plain', 1, { nested: { deep: true } }]);
      assert.deepEqual(parse(calls[3]), [false, 'shown', 3], 'a failed assert, condition included; one that held is not recorded');
      const [message, error] = parse(calls[7]);
      assert.equal(message, 'through both wrappers');
      assert.match(error, /^TypeError: bad input/, 'an error as name: message, then its stack');
      assert.ok(error.split('\n').length > 1, error);
    });

    test("rewind's own debug lines are never recorded, the page's are", async () => {
      const { page: tab } = await freshPage();
      await tab.goto(await page('debug.html', PAGE));
      const recorded = await tab.evaluate(async () => {
        const events = [];
        const options = { emit: (event) => events.push(event), captureConsole: ['log', 'warn', 'error'], debug: true };
        await Rewind.start(options);
        // Says "[rewind] start() called while recording: ignored" through console.warn.
        await Rewind.start(options);
        console.warn('[rewind] spelled like rewind');
        console.warn('the page speaks');
        await Rewind.stop();
        return events.filter((event) => event.type === 6).map((event) => event.data.payload.payload);
      });
      assert.deepEqual(recorded, [['"the page speaks"']]);
    });

    test('calls made before the first snapshot follow it: a replay opens with its Meta', async () => {
      const { page: tab } = await freshPage();
      // Started while the page is parsed, the snapshot waits for
      // DOMContentLoaded; a slow script holds the parser meanwhile, long
      // enough for the bundle and its wasm to load and wrap the console.
      await tab.goto(
        await page(
          'early.html',
          `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/dist/rewind.js"></script>
<script>
  window.events = [];
  window.started = Rewind.start({ emit: (event) => events.push(event) });
</script></head><body><p>body</p>
<script src="${slowScript.origin}/slow.js"></script>
<script>console.error('still loading');</script></body></html>`,
        ),
      );
      const events = await tab.evaluate(async () => {
        await window.started;
        console.warn('after the snapshot');
        await Rewind.stop();
        return window.events;
      });
      assert.deepEqual(
        events.slice(0, 5).map((event) => event.type),
        [4, 2, 6, 6, 6],
        'Meta, the snapshot, then the calls made before it',
      );
      const logged = events.filter((event) => event.type === 6).map((event) => JSON.parse(event.data.payload.payload[0]));
      assert.deepEqual(logged, ['from the slow script', 'still loading', 'after the snapshot']);
      const times = events.map((event) => event.timestamp);
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in time order');
      assert.equal(events[2].timestamp, events[1].timestamp, 'at the snapshot');
    });

    test('an internal error puts the console back and the page keeps its console', async () => {
      const { page: tab } = await freshPage();
      await tab.goto(await page('poison.html', PAGE));
      const result = await tab.evaluate(async () => {
        await Rewind.start({ emit: () => {}, captureConsole: ['log', 'warn'] });
        const wrapped = console.log !== native.log && console.warn !== pageWarn;
        // A broken polyfill makes a DOM API rewind relies on throw.
        Object.defineProperty(MutationRecord.prototype, 'attributeName', {
          configurable: true,
          get() {
            throw new Error('broken polyfill');
          },
        });
        document.querySelector('#secret').setAttribute('title', 'changed');
        await new Promise((resolve) => setTimeout(resolve, 100));
        return {
          wrapped,
          logIsNative: console.log === native.log,
          warnIsThePagesWrapper: console.warn === pageWarn,
          warnReturns: console.warn('still works'),
          hooks: (await Rewind.attachedCounts()).hooks,
        };
      });
      assert.deepEqual(result, {
        wrapped: true,
        logIsNative: true,
        warnIsThePagesWrapper: true,
        warnReturns: 'from the page wrapper',
        hooks: 0,
      });
    });
  });
}
