// Where a closing Firefox tab stops rewind's pagehide work. Each trial
// opens tests/fixtures/wire.html in a fresh profile, records, logs a line,
// and lets the page close itself (window.close(), the browser's own close
// path); around rewind's pagehide listener the page notes, in order, when it
// is entered and left, each fetch and each localStorage write (and rewind's
// debug lines), and a page listener that runs after rewind's sends them to
// a local collector with sendBeacon. Prints, per outcome, how many trials
// ended that way, and each lost trial's notes.
//
//   node scripts/close-probe.mjs [trials=40]
//   BUSY=20 node scripts/close-probe.mjs 60   # a page listener before rewind's keeps busy for 20 ms
//
// What it found (Firefox ESR 153, December 5, 80 trials): rewind's listener
// entered and never left, with no exception, in 14 trials; in 6 of them
// before its keepalive request and parked copy, and the line was lost. The
// page's later listeners still ran. With BUSY=20 (40 trials) the busy
// listener was the one ended in all 40, and rewind's work finished in all
// 40: Firefox terminates whichever script is running when the tab's
// teardown reaches it, once. Needs a build.
import http from 'node:http';

import { startStaticServer } from '../tests/support/static-server.mjs';
import { startIngestServer } from '../tests/support/ingest-server.mjs';
import { launchBrowser } from '../tests/support/browser.mjs';

const trials = Number(process.argv[2] ?? 40);
const busyMs = Number(process.env.BUSY ?? 0);
if (!Number.isInteger(trials) || trials < 1 || !(busyMs >= 0)) {
  console.error(`close-probe: trials must be a whole number from 1 and BUSY a number of ms, got '${process.argv[2]}' and '${process.env.BUSY}'`);
  process.exit(2);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const reports = [];
const collector = http.createServer((request, response) => {
  let body = '';
  request.on('data', (part) => (body += part));
  request.on('end', () => {
    try {
      reports.push(JSON.parse(body));
    } catch {
      // A beacon cut short: nothing to keep.
    }
    response.writeHead(204, { 'access-control-allow-origin': '*' }).end();
  });
});
await new Promise((resolve) => collector.listen(0, '127.0.0.1', resolve));
const collectorUrl = `http://127.0.0.1:${collector.address().port}/`;

/** In the page: wraps rewind's pagehide listener, then starts rewind and logs the last line. */
async function recordWithNotes({ endpoint, collectorUrl, trial, busyMs }) {
  const t0 = performance.now();
  const notes = [];
  const note = (what) => notes.push(`${Math.round(performance.now() - t0)} ${what}`);
  const parkedCount = () => Object.keys(localStorage).filter((key) => key.startsWith('rewind:parked:')).length;
  const report = (what) => navigator.sendBeacon(collectorUrl, JSON.stringify({ trial, what, parked: parkedCount(), notes }));
  const pageFetch = window.fetch;
  window.fetch = function (url, init) {
    note(`fetch keepalive=${init?.keepalive}`);
    return pageFetch.apply(this, arguments);
  };
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key) {
    note(`setItem ${key.split(':').slice(0, 2).join(':')}`);
    return setItem.apply(this, arguments);
  };
  for (const level of ['warn', 'log']) {
    const original = console[level];
    console[level] = (...args) => {
      note(args.map(String).join(' ').slice(0, 100));
      original.apply(console, args);
    };
  }
  addEventListener('pagehide', () => {
    if (!busyMs) return;
    const until = performance.now() + busyMs;
    while (performance.now() < until);
    report('busy listener done');
  }, true);
  const addEventListener_ = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (type === 'pagehide') {
      const inner = listener;
      listener = function (event) {
        note('rewind pagehide in');
        try {
          return typeof inner === 'function' ? inner.call(this, event) : inner.handleEvent(event);
        } catch (error) {
          note(`rewind pagehide threw ${error}`);
          throw error;
        } finally {
          note('rewind pagehide out');
        }
      };
    }
    return addEventListener_.call(this, type, listener, options);
  };
  await Rewind.start({ endpoint, flushIntervalMs: 600000, emit: () => {}, debug: true });
  EventTarget.prototype.addEventListener = addEventListener_;
  addEventListener('pagehide', () => report('after rewind'), true);
  await Rewind.whenDelivered(5000);
  Rewind.log('last words');
  return Rewind.getReplayId();
}

const hasLine = (ingest, replayId) =>
  ingest.chunksOf(replayId).some((chunk) => chunk.events.some((event) => event.data?.payload?.message === 'last words'));

const site = await startStaticServer();
const browser = await launchBrowser('firefox');
const outcomes = {};
try {
  for (let trial = 0; trial < trials; trial++) {
    const ingest = await startIngestServer();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${site.origin}/tests/fixtures/wire.html`);
      const replayId = await page.evaluate(recordWithNotes, { endpoint: ingest.endpoint, collectorUrl, trial, busyMs });
      const closed = new Promise((resolve) => page.once('close', resolve));
      await page.evaluate(() => {
        setTimeout(() => window.close(), 0);
      });
      await Promise.race([closed, sleep(10000)]);
      let arrived = false;
      for (let wait = 0; wait < 60 && !arrived; wait++) {
        arrived = hasLine(ingest, replayId);
        if (!arrived) await sleep(50);
      }
      await sleep(200);
      const mine = reports.filter((report) => report.trial === trial);
      const after = mine.find((report) => report.what === 'after rewind');
      // rewind has two pagehide listeners while a chunk waits for its
      // compression (the wasm's and the courier's): each entered must have left.
      const count = (end) => after?.notes.filter((line) => line.endsWith(end)).length;
      const rewindLeft = count('rewind pagehide in') === count('rewind pagehide out');
      const key = [
        arrived ? 'arrived' : 'LOST',
        after ? `rewind's listener ${rewindLeft ? 'returned' : 'ended part way'}, ${after.parked} parked` : 'no report after rewind',
        busyMs ? `busy listener ${mine.some((report) => report.what === 'busy listener done') ? 'finished' : 'ended part way'}` : '',
      ].filter(Boolean).join('; ');
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (!arrived) console.log(`\ntrial ${trial}: ${key}\n  ${(after?.notes ?? []).slice(-8).join('\n  ')}`);
      process.stdout.write(`\r${trial + 1}/${trials}`);
    } finally {
      await context.close().catch(() => {});
      await ingest.close();
    }
  }
} finally {
  await browser.close();
  await site.close();
  collector.close();
}
console.log('\n\n| outcome | trials |\n| --- | --- |');
for (const [key, count] of Object.entries(outcomes)) console.log(`| ${key} | ${count}/${trials} |`);
