// Measures buffer mode's error replays in headless Chromium: over TRIALS
// errors thrown at random moments of a busy page, the look-back each replay
// actually reaches (error time minus its first full snapshot), and the time
// from the error to the chunk that carries it reaching the endpoint. Then
// the buffer's memory on a page that records far more than the cap.
// Prints a summary and writes bench/results/error-replay.json.
// Run with `npm run bench:error-replay` after `npm run build`.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { startStaticServer, repoRoot } from '../tests/support/static-server.mjs';
import { startIngestServer } from '../tests/support/ingest-server.mjs';
import { launchChromium } from '../tests/support/browser.mjs';

const TRIALS = Number(process.env.TRIALS ?? 20);
const BUFFER_MS = Number(process.env.BUFFER_MS ?? 5000);
/** Errors come at a uniformly random moment up to this long after start(). */
const MAX_WAIT_MS = Number(process.env.MAX_WAIT_MS ?? 4 * BUFFER_MS);
const CAP_RUN_MS = Number(process.env.CAP_RUN_MS ?? 60000);
const MAX_BUFFER_BYTES = 262144;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (text) => process.stderr.write(`[bench] ${text}\n`);
const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => sorted(values)[Math.floor(values.length / 2)];

const site = await startStaticServer();
const browser = await launchChromium();
const results = { browser: browser.version(), bufferMs: BUFFER_MS, trials: [] };

async function busyPage(page) {
  await page.goto(`${site.origin}/tests/fixtures/wire.html`);
  await page.evaluate(() => {
    let tick = 0;
    setInterval(() => {
      tick += 1;
      const list = document.getElementById('orders');
      const item = document.createElement('li');
      item.textContent = `#${2000 + tick} order at ${Date.now()}`;
      list.appendChild(item);
      if (list.children.length > 12) list.firstElementChild.remove();
    }, 150);
  });
}

for (let trial = 0; trial < TRIALS; trial++) {
  const ingest = await startIngestServer();
  const context = await browser.newContext();
  const page = await context.newPage();
  await busyPage(page);
  const startedAt = await page.evaluate(async (options) => {
    await Rewind.start(options);
    return Date.now();
  }, { endpoint: ingest.endpoint, mode: 'buffer', bufferMs: BUFFER_MS, flushIntervalMs: 1000 });
  const waitMs = Math.round(Math.random() * MAX_WAIT_MS);
  await sleep(waitMs);
  const errorAt = await page.evaluate(() => {
    const at = Date.now();
    setTimeout(() => { throw new Error(`bench error at ${at}`); }, 0);
    return at;
  });
  const deadline = Date.now() + 15000;
  let arrival;
  while (!arrival && Date.now() < deadline) {
    await sleep(20);
    const replay = [...ingest.replays.values()][0];
    const withError = replay && [...replay.values()].find((chunk) =>
      chunk.events.some((e) => e.type === 6 && e.data.payload?.level === 'error'));
    if (withError) {
      const events = [...replay.values()].sort((a, b) => a.seq - b.seq).flatMap((c) => c.events);
      const request = ingest.requests.find((r) => r.seq === withError.seq);
      arrival = { events, at: request.at };
    }
  }
  if (!arrival) throw new Error(`trial ${trial}: the error's replay never arrived`);
  const snapshot = arrival.events.find((e) => e.type === 2);
  const result = {
    openMs: errorAt - startedAt,
    lookBackMs: errorAt - snapshot.timestamp,
    errorToEndpointMs: arrival.at - errorAt,
  };
  results.trials.push(result);
  progress(`trial ${trial + 1}/${TRIALS}: open ${result.openMs} ms, look-back ${result.lookBackMs} ms, at the endpoint ${result.errorToEndpointMs} ms after the error`);
  await context.close();
  await ingest.close();
}

const longEnough = results.trials.filter((t) => t.openMs >= BUFFER_MS);
const summarize = (values) => ({ min: Math.min(...values), median: median(values), max: Math.max(...values) });
results.lookBackWhenOpenLongEnough = summarize(longEnough.map((t) => t.lookBackMs));
results.lookBackShareOfOpenTimeWhenYoung = summarize(
  results.trials.filter((t) => t.openMs < BUFFER_MS).map((t) => t.lookBackMs / Math.max(1, t.openMs)),
);
results.errorToEndpointMs = summarize(results.trials.map((t) => t.errorToEndpointMs));

// The buffer at its cap: large, poorly compressible changes for CAP_RUN_MS.
{
  const ingest = await startIngestServer();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.origin}/tests/fixtures/wire.html`);
  await page.evaluate(async (options) => {
    await Rewind.start(options);
    const list = document.getElementById('orders');
    setInterval(() => {
      const item = document.createElement('li');
      item.textContent = Array.from({ length: 400 }, () => Math.random().toString(36).slice(2)).join(' ');
      list.appendChild(item);
      if (list.children.length > 20) list.firstElementChild.remove();
    }, 50);
  }, { endpoint: ingest.endpoint, mode: 'buffer', bufferMs: 60000, maxBufferBytes: MAX_BUFFER_BYTES, flushIntervalMs: 1000 });
  const samples = [];
  const end = Date.now() + CAP_RUN_MS;
  while (Date.now() < end) {
    await sleep(500);
    samples.push(await page.evaluate(() => Rewind.memoryUsage()));
  }
  results.cap = {
    maxBufferBytes: MAX_BUFFER_BYTES,
    seconds: CAP_RUN_MS / 1000,
    peakBufferedBytes: Math.max(...samples.map((s) => s.bufferedBytes)),
    lastBufferedBytes: samples.at(-1).bufferedBytes,
    wasmBytes: samples.at(-1).wasmBytes,
    requestsSent: ingest.requests.length,
  };
  await context.close();
  await ingest.close();
}

await browser.close();
await site.close();
const out = path.join(repoRoot, 'bench/results/error-replay.json');
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
const { lookBackWhenOpenLongEnough: l, errorToEndpointMs: e, cap } = results;
console.log(`buffer mode, bufferMs ${BUFFER_MS}, ${TRIALS} errors at random moments (${longEnough.length} after the page was open bufferMs or longer):`);
console.log(`  look-back when open long enough: min ${l.min} ms, median ${l.median} ms, max ${l.max} ms`);
console.log(`  error to endpoint: min ${e.min} ms, median ${e.median} ms, max ${e.max} ms`);
console.log(`  at the cap (${cap.maxBufferBytes} B, ${cap.seconds} s): peak ${cap.peakBufferedBytes} B, last ${cap.lastBufferedBytes} B, wasm memory ${cap.wasmBytes} B, ${cap.requestsSent} requests sent`);
console.log(`written to ${path.relative(process.cwd(), out)}`);
