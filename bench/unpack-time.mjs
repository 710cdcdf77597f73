// How long the packed module's two unpacking steps take on their first
// runs in Chromium: the decoder (wasm, unpack/) and the join of the code
// section's streams (js/unpack.js's joinCode, JS). In rewind they run in
// its worker, between the fetch and the compile, so they delay the
// recorder's ready and cost the page's main thread nothing; here they run
// on a page, three times each in PAGES fresh pages, from dist/ as built.
//
//   node bench/unpack-time.mjs            (PAGES=3)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot, startStaticServer } from '../tests/support/static-server.mjs';

const PAGES = Number(process.env.PAGES ?? 3);
const folder = path.join(repoRoot, 'test-results/unpack-time');
mkdirSync(folder, { recursive: true });
writeFileSync(
  path.join(folder, 'index.html'),
  `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><script type="module">
import { unpackImage, joinCode } from '/js/unpack.js';
const file = new Uint8Array(await (await fetch('/dist/rewind_bg.wasm.packed')).arrayBuffer());
const length = file[0] + file[1] * 2 ** 8 + file[2] * 2 ** 16 + file[3] * 2 ** 24;
const inflated = new Blob([file.subarray(4, 4 + length)]).stream().pipeThrough(new DecompressionStream('deflate'));
const decoder = new Uint8Array(await new Response(inflated).arrayBuffer());
const runs = [];
for (let run = 0; run < 3; run += 1) {
  const start = performance.now();
  const image = unpackImage(file.subarray(4 + length), decoder).slice();
  const unpacked = performance.now();
  joinCode(image);
  runs.push({ decodeMs: +(unpacked - start).toFixed(1), joinMs: +(performance.now() - unpacked).toFixed(1) });
}
window.runs = runs;
</script></body></html>`,
);
const server = await startStaticServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  for (let page = 0; page < PAGES; page += 1) {
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(`${server.origin}/test-results/unpack-time/index.html`);
    await tab.waitForFunction(() => window.runs, null, { timeout: 30000 });
    console.log(`page ${page + 1}: ${(await tab.evaluate(() => window.runs)).map(({ decodeMs, joinMs }) => `decoder ${decodeMs} ms, join ${joinMs} ms`).join('; ')}`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
