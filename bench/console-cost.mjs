// What captureConsole costs a console.log call in headless Chromium, with a
// small object argument, each figure a median over alternating runs:
// - a flood: CALLS calls (default 10,000) in one go, unwrapped and with
//   captureConsole ['log']; past the 20-a-second cap a call is only
//   counted, so this is the cost of a call rewind does not record;
// - recorded calls: batches of 20 (all within the cap, so every one is read,
//   written and compressed into the chunk), one batch a second, first
//   unwrapped, then wrapped in one recording.
// Both are measured twice: over the browser's console.log (what a page
// pays; in a browser driven through the DevTools protocol every console
// message is also sent to the driver, which makes the call itself dear),
// and over a console.log the page replaced by a no-op before rewind
// started (rewind's own part of the cost, without the console's).
// Run with `node bench/console-cost.mjs` after `npm run build`; RUNS
// (default 5) and BATCHES (default 12) change the counts.
import { startStaticServer } from '../tests/support/static-server.mjs';
import { launchChromium } from '../tests/support/browser.mjs';

const CALLS = Number(process.env.CALLS ?? 10000);
const RUNS = Number(process.env.RUNS ?? 5);
const BATCHES = Number(process.env.BATCHES ?? 12);

const site = await startStaticServer();
const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(`${site.origin}/tests/fixtures/wire.html`);
const measure = (noop) =>
  page.evaluate(
  async ({ CALLS, RUNS, BATCHES, noop }) => {
    if (noop) console.log = function () {};
    const calls = (count, from) => {
      const t = performance.now();
      for (let i = 0; i < count; i++) console.log('item', { id: from + i, name: 'tea', tags: ['a', 'b'] });
      return performance.now() - t;
    };
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const start = () => Rewind.start({ emit: () => {}, captureConsole: ['log'], flushIntervalMs: 600000 });
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const flood = { plain: [], wrapped: [] };
    for (let run = 0; run < RUNS; run++) {
      flood.plain.push(calls(CALLS, 0));
      await start();
      await pause(1100);
      flood.wrapped.push(calls(CALLS, 0));
      await Rewind.stop();
    }
    // One recording, as a page has it: a batch a second (each in a new
    // window of the cap), after the same number of batches unwrapped.
    const batch = { plain: [], wrapped: [] };
    for (let run = 0; run < BATCHES; run++) {
      batch.plain.push(calls(20, 0));
      await pause(1100);
    }
    await start();
    for (let run = 0; run < BATCHES; run++) {
      await pause(1100);
      batch.wrapped.push(calls(20, 0));
    }
    await Rewind.stop();
    return {
      flood: { plain: median(flood.plain), wrapped: median(flood.wrapped) },
      batch: { plain: median(batch.plain), wrapped: median(batch.wrapped) },
    };
  },
  { CALLS, RUNS, BATCHES, noop },
);
const us = (ms, count) => ((ms * 1000) / count).toFixed(1);
for (const noop of [false, true]) {
  const { flood, batch } = await measure(noop);
  console.log(noop ? "over a no-op console.log (rewind's own part):" : "over the browser's console.log:");
  console.log(
    `  flood, ${CALLS} calls: ${flood.plain.toFixed(1)} ms unwrapped, ${flood.wrapped.toFixed(1)} ms wrapped ` +
      `(median of ${RUNS}): ${us(flood.plain, CALLS)} -> ${us(flood.wrapped, CALLS)} us a call, ` +
      `+${us(flood.wrapped - flood.plain, CALLS)} us for a call over the cap`,
  );
  console.log(
    `  recorded, batches of 20: ${batch.plain.toFixed(2)} ms unwrapped, ${batch.wrapped.toFixed(2)} ms wrapped ` +
      `(median of ${BATCHES}): ${us(batch.plain, 20)} -> ${us(batch.wrapped, 20)} us a call, ` +
      `+${us(batch.wrapped - batch.plain, 20)} us for a recorded call`,
  );
}
await browser.close();
await site.close();
