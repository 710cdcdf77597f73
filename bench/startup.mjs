// Time from the script-tag snippet to recording, in headless Chromium: the
// demo app page loaded with the README's snippet, from the snippet's first
// line to the first full snapshot, median of 10 loads (each in a fresh
// context, so the bundle and wasm are fetched and compiled every time).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { startStaticServer, repoRoot } from '../tests/support/static-server.mjs';
import { launchChromium } from '../tests/support/browser.mjs';

const RUNS = 10;
const snippet = (await readFile(path.join(repoRoot, 'dist/snippet.min.js'), 'utf8'))
  .trim()
  .replace('"/rewind/rewind.js"', '"/dist/rewind.js"');
const app = await readFile(path.join(repoRoot, 'www/public/app.html'), 'utf8');
// The demo app with the snippet at the top of its <head> instead of however
// it loads rewind today.
const page = app
  .replace(/<script[^>]*rewind[^>]*><\/script>/g, '')
  .replace(
    '<head>',
    `<head><base href="/www/public/"><script>window.t0 = performance.now();${snippet}
Rewind.start({ emit: (event) => { if (event.type === 2 && !window.t1) window.t1 = performance.now(); } });</script>`,
  );
const dir = path.join(repoRoot, 'test-results/bench');
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, 'startup.html'), page);
// The app's relative assets resolve from www/public.
const server = await startStaticServer();
const browser = await launchChromium();
const samples = [];
for (let run = 0; run < RUNS; run++) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`${server.origin}/test-results/bench/startup.html`);
  await tab.waitForFunction(() => window.t1 !== undefined, null, { timeout: 10_000 });
  samples.push(await tab.evaluate(() => ({ recording: window.t1 - window.t0, domContentLoaded: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd })));
  await context.close();
}
await browser.close();
await server.close();
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const result = {
  runs: RUNS,
  snippetToFirstSnapshotMs: median(samples.map((s) => s.recording)),
  domContentLoadedMs: median(samples.map((s) => s.domContentLoaded)),
};
console.log(JSON.stringify(result, null, 2));
