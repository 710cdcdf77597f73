// What captureConsole costs a console.log call in headless Chromium:
// CALLS calls (default 10,000; 20 stays under the 20-a-second cap, so
// every call is recorded) unwrapped and wrapped, alternating, median of 5.
// Run with `node bench/console-cost.mjs` after `npm run build`.
import { startStaticServer } from '../tests/support/static-server.mjs';
import { launchChromium } from '../tests/support/browser.mjs';
const site = await startStaticServer();
const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(`${site.origin}/tests/fixtures/wire.html`);
const CALLS = Number(process.env.CALLS ?? 10000);
const result = await page.evaluate(async (CALLS) => {
  const run = () => { const t = performance.now(); for (let i = 0; i < CALLS; i++) console.log('item', { id: i, name: 'tea', tags: ['a', 'b'] }); return performance.now() - t; };
  const plain = [], wrapped = [];
  for (let r = 0; r < 5; r++) {
    plain.push(run());
    await Rewind.start({ emit: () => {}, captureConsole: ['log'], flushIntervalMs: 600000 });
    wrapped.push(run());
    await Rewind.stop();
  }
  const median = (v) => [...v].sort((a, b) => a - b)[2];
  return { plain: median(plain), wrapped: median(wrapped) };
}, CALLS);
console.log(`${CALLS} console.log calls: ${result.plain.toFixed(1)} ms unwrapped, ${result.wrapped.toFixed(1)} ms with captureConsole ['log'] (median of 5): ${((result.wrapped - result.plain) / CALLS * 1000).toFixed(2)} us more per call`);
await browser.close(); await site.close();
