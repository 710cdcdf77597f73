// Measures the wire in headless Chromium: what compression costs the page
// (ms of main-thread time per MiB of event JSON) and what a busy page sends
// (gzip bytes per minute, compression ratio). Prints a table and writes
// bench/results/wire.json. Run with `npm run bench:wire` after `npm run build`.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { startStaticServer, repoRoot } from '../tests/support/static-server.mjs';
import { startIngestServer } from '../tests/support/ingest-server.mjs';
import { launchChromium } from '../tests/support/browser.mjs';

const RUNS = Number(process.env.RUNS ?? 7);
const BUSY_SECONDS = Number(process.env.BUSY_SECONDS ?? 60);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const progress = (text) => process.stderr.write(`[bench] ${text}\n`);

const site = await startStaticServer();
const ingest = await startIngestServer();
const browser = await launchChromium();
const page = await browser.newPage();
const results = { browser: browser.version(), runs: RUNS };

// 1. Compression cost: the same snapshots taken with an endpoint (events
// streamed into the gzip chunk) and without (emit only), alternating runs.
await page.goto(`${site.origin}/tests/fixtures/wire.html`);
const raw = await page.evaluate(async () => {
  const main = document.createElement('main');
  for (let i = 0; i < 3000; i++) {
    const card = document.createElement('article');
    card.className = 'card product';
    card.dataset.sku = `sku-${i}`;
    card.innerHTML = `<h2>Product ${i}</h2><p class="desc">A fine product number ${i}, in stock.</p><span class="price">${(i * 1.37).toFixed(2)} EUR</span><button type="button">Add</button>`;
    main.append(card);
  }
  document.body.append(main);
  let bytes = 0;
  await Rewind.start({ emit: (event) => (bytes += JSON.stringify(event).length), flushIntervalMs: 600000 });
  await Rewind.takeFullSnapshot();
  await Rewind.stop();
  return { bytesPerSnapshot: bytes / 2, nodes: document.getElementsByTagName('*').length };
});
progress(`snapshot of ${raw.nodes} elements: ${(raw.bytesPerSnapshot / 1048576).toFixed(2)} MiB of JSON`);
const SNAPSHOTS = 4;
const timings = { withEndpoint: [], emitOnly: [] };
for (let run = 0; run < RUNS; run++) {
  for (const mode of ['emitOnly', 'withEndpoint']) {
    const ms = await page.evaluate(
      async ({ endpoint, snapshots }) => {
        await Rewind.start({ endpoint: endpoint ?? undefined, emit: () => {}, flushIntervalMs: 600000, maxChunkBytes: 16777216 });
        const start = performance.now();
        for (let i = 0; i < snapshots; i++) await Rewind.takeFullSnapshot();
        const elapsed = performance.now() - start;
        await Rewind.stop();
        return elapsed;
      },
      { endpoint: mode === 'withEndpoint' ? ingest.endpoint : null, snapshots: SNAPSHOTS },
    );
    timings[mode].push(ms);
  }
  progress(`compression run ${run + 1}/${RUNS}`);
}
const mibPerRun = (raw.bytesPerSnapshot * SNAPSHOTS) / 1048576;
results.compression = {
  mibPerRun,
  emitOnlyMedianMs: median(timings.emitOnly),
  withEndpointMedianMs: median(timings.withEndpoint),
  msPerMiB: (median(timings.withEndpoint) - median(timings.emitOnly)) / mibPerRun,
};

// 2. A busy page recorded with default options for BUSY_SECONDS.
const busyIngest = await startIngestServer();
await page.goto(`${site.origin}/bench/busy.html`);
const busy = await page.evaluate(
  async ({ endpoint, seconds }) => {
    let rawBytes = 0;
    let events = 0;
    await Rewind.start({ endpoint, emit: (event) => { rawBytes += JSON.stringify(event).length; events++; } });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    await Rewind.stop();
    await Rewind.whenDelivered(30000);
    return { rawBytes, events };
  },
  { endpoint: busyIngest.endpoint, seconds: BUSY_SECONDS },
);
const gzipBytes = busyIngest.requests.filter((r) => r.seq !== undefined).reduce((sum, r) => sum + r.bytes, 0);
results.busyPage = {
  seconds: BUSY_SECONDS,
  events: busy.events,
  chunks: busyIngest.requests.filter((r) => r.seq !== undefined).length,
  rawBytes: busy.rawBytes,
  gzipBytes,
  gzipBytesPerMinute: (gzipBytes / BUSY_SECONDS) * 60,
  compressionRatio: busy.rawBytes / gzipBytes,
};

await browser.close();
await ingest.close();
await busyIngest.close();
await site.close();

const table = [
  ['browser', results.browser],
  ['compression: MiB of JSON per run', mibPerRun.toFixed(2)],
  ['compression: median ms, emit only', results.compression.emitOnlyMedianMs.toFixed(1)],
  ['compression: median ms, with endpoint', results.compression.withEndpointMedianMs.toFixed(1)],
  ['compression: main-thread ms per MiB', results.compression.msPerMiB.toFixed(1)],
  [`busy page: events in ${BUSY_SECONDS} s`, results.busyPage.events],
  ['busy page: chunks', results.busyPage.chunks],
  ['busy page: gzip bytes per minute', Math.round(results.busyPage.gzipBytesPerMinute)],
  ['busy page: compression ratio (raw / gzip)', results.busyPage.compressionRatio.toFixed(1)],
];
for (const [name, value] of table) console.log(`${name.padEnd(44)} ${value}`);
const out = path.join(repoRoot, 'bench/results');
await mkdir(out, { recursive: true });
await writeFile(path.join(out, 'wire.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`written: bench/results/wire.json`);
