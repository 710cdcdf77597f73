// `npm run bench`: rewind beside rrweb in one headless Chromium session.
// Each scenario runs BENCH_RUNS (default 5) times per recorder (none,
// rrweb + fflate gzip on the main thread, rewind with default options and
// an endpoint), in alternating order, each run in a fresh page. Metrics per
// run: main-thread task and script time (CDP Performance.getMetrics deltas
// over the recorded part only), the longest task (long-task observer),
// time to the first full snapshot, bytes on the wire (gzip) and raw, the JS
// heap after, and rewind's wasm memory. The table shows medians, the
// overhead over no recorder, and rewind / rrweb; bench/results/bench.json
// also has every run and the machine.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import zlib from 'node:zlib';

import { startStaticServer, repoRoot } from '../tests/support/static-server.mjs';
import { launchChromium } from '../tests/support/browser.mjs';
import { drive, openPrepared, startIngest } from './harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ONLY = process.env.BENCH_SCENARIOS?.split(',');
const RECORDERS = ['none', 'rrweb', 'rewind'];
const SCENARIOS = [
  'snapshot-1k', 'snapshot-10k', 'snapshot-50k', 'snapshot-100k',
  'storm-adds-10k', 'storm-attributes-10k', 'storm-moves-5k', 'text-churn',
  'typing', 'scroll-and-mouse', 'react-list',
].filter((name) => !ONLY || ONLY.includes(name));

const ingest = await startIngest();
const { endpoint, wire } = ingest;

const site = await startStaticServer();
const browser = await launchChromium();

async function measure(scenario, recorder) {
  const { context, page } = await openPrepared(browser, site.origin, scenario);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  ingest.reset();
  await page.evaluate(() => { window.longestTask = 0; });
  const before = await metrics();
  await page.evaluate(({ recorder, endpoint }) => window.bench.inTask(() => window.bench.startRecorder(recorder, endpoint)), { recorder, endpoint });
  await drive(page, scenario);
  const stopped = await page.evaluate((recorder) => window.bench.inTask(() => window.bench.stopRecorder(recorder)), recorder);
  const after = await metrics();
  // Long-task entries arrive after their task; give the observer a turn.
  const { longestTask, wasmBytes } = await page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve({
    longestTask: window.longestTask, wasmBytes: window.bench.wasmMemoryBytes(),
  }), 50)));
  await context.close();
  return {
    taskMs: (after.TaskDuration - before.TaskDuration) * 1000,
    scriptMs: (after.ScriptDuration - before.ScriptDuration) * 1000,
    longestTaskMs: longestTask,
    firstSnapshotMs: stopped.firstSnapshotMs,
    gzipBytes: recorder === 'rrweb' ? stopped.rrwebWire.gzip : recorder === 'rewind' ? wire.gzip : 0,
    rawBytes: recorder === 'rrweb' ? stopped.rrwebWire.raw : recorder === 'rewind' ? wire.raw : 0,
    heapMB: after.JSHeapUsedSize / 1024 / 1024,
    wasmMB: wasmBytes / 1024 / 1024,
  };
}

// rrweb's record() plus fflate's gzipSync as a page's webpack build would
// ship them (tree-shaken, minified); returns the bundle's path.
async function bundleRrwebRecorder() {
  const { default: webpack } = await import('webpack');
  const outDir = path.join(repoRoot, 'target/bench-rrweb-bundle');
  const stats = await new Promise((resolve, reject) => webpack({
    mode: 'production',
    target: 'web',
    entry: path.join(repoRoot, 'bench/rrweb-bundle/entry.js'),
    output: { path: outDir, filename: 'rrweb-recorder.js' },
    performance: { hints: false },
    devtool: false,
  }, (error, result) => (error ? reject(error) : resolve(result))));
  if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
  return path.join(outDir, 'rrweb-recorder.js');
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

// Scenarios driven by real input (Playwright's keyboard and mouse) carry
// the input pipeline's own noise, as large as the recorders' cost: they
// get twice the runs.
const INPUT_DRIVEN = new Set(['typing', 'scroll-and-mouse']);
const runsOf = (scenario) => (INPUT_DRIVEN.has(scenario) ? 2 * RUNS : RUNS);
const results = {};
const total = SCENARIOS.reduce((sum, scenario) => sum + runsOf(scenario), 0) * RECORDERS.length;
let done = 0;
const started = Date.now();
for (const scenario of SCENARIOS) {
  results[scenario] = Object.fromEntries(RECORDERS.map((r) => [r, []]));
  for (let run = 0; run < runsOf(scenario); run++) {
    // Alternate the order so no recorder always runs first.
    const order = RECORDERS.map((_, i) => RECORDERS[(i + run) % RECORDERS.length]);
    for (const recorder of order) {
      results[scenario][recorder].push(await measure(scenario, recorder));
      done += 1;
      process.stdout.write(`\r[bench] ${done}/${total} runs, ${scenario} (${recorder})            `);
    }
  }
}
process.stdout.write('\n');
const machine = {
  browser: `Chromium ${browser.version()} (headless)`,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
};
await browser.close();
await site.close();
await ingest.close();

const summary = {};
const rows = [];
for (const scenario of SCENARIOS) {
  const pick = (recorder, key) => median(results[scenario][recorder].map((r) => r[key]));
  const baseline = pick('none', 'taskMs');
  const overhead = (recorder) => pick(recorder, 'taskMs') - baseline;
  const scriptOverhead = (recorder) => pick(recorder, 'scriptMs') - pick('none', 'scriptMs');
  const row = {
    scenario,
    rrwebOverheadMs: overhead('rrweb'),
    rewindOverheadMs: overhead('rewind'),
    ratio: overhead('rewind') / overhead('rrweb'),
    rrwebScriptMs: scriptOverhead('rrweb'),
    rewindScriptMs: scriptOverhead('rewind'),
    scriptRatio: scriptOverhead('rewind') / scriptOverhead('rrweb'),
    rrwebLongestTaskMs: pick('rrweb', 'longestTaskMs'),
    rewindLongestTaskMs: pick('rewind', 'longestTaskMs'),
    rrwebFirstSnapshotMs: pick('rrweb', 'firstSnapshotMs'),
    rewindFirstSnapshotMs: pick('rewind', 'firstSnapshotMs'),
    rrwebGzip: pick('rrweb', 'gzipBytes'),
    rewindGzip: pick('rewind', 'gzipBytes'),
    rrwebRaw: pick('rrweb', 'rawBytes'),
    rewindRaw: pick('rewind', 'rawBytes'),
    heapNoneMB: pick('none', 'heapMB'),
    heapRrwebMB: pick('rrweb', 'heapMB'),
    heapRewindMB: pick('rewind', 'heapMB'),
    wasmRewindMB: pick('rewind', 'wasmMB'),
    noneLongestTaskMs: pick('none', 'longestTaskMs'),
  };
  summary[scenario] = row;
  rows.push(row);
}

const f = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
console.log('\nmain-thread task time over no recorder (median ms) and the ratio, script time likewise, longest task (none / rrweb / rewind), first snapshot, bytes (gzip / raw), JS heap after, rewind wasm memory');
console.log(['scenario', 'rrweb ms', 'rewind ms', 'rewind/rrweb', 'script rrweb/rewind ms', 'script ratio', 'longest task ms', 'snap rrweb', 'snap rewind', 'gzip rrweb', 'gzip rewind', 'raw rrweb', 'raw rewind', 'heap none/rrweb/rewind MB', 'wasm MB'].join(' | '));
for (const row of rows) {
  console.log([
    row.scenario, f(row.rrwebOverheadMs), f(row.rewindOverheadMs), f(row.ratio, 2),
    `${f(row.rrwebScriptMs)}/${f(row.rewindScriptMs)}`, f(row.scriptRatio, 2),
    `${f(row.noneLongestTaskMs)}/${f(row.rrwebLongestTaskMs)}/${f(row.rewindLongestTaskMs)}`,
    f(row.rrwebFirstSnapshotMs, 1), f(row.rewindFirstSnapshotMs, 1),
    row.rrwebGzip, row.rewindGzip, row.rrwebRaw, row.rewindRaw,
    `${f(row.heapNoneMB, 1)}/${f(row.heapRrwebMB, 1)}/${f(row.heapRewindMB, 1)}`, f(row.wasmRewindMB, 1),
  ].join(' | '));
}
const gz = async (file) => zlib.gzipSync(await readFile(file), { level: 9 }).length;
const rrwebBundle = await bundleRrwebRecorder();
const bundles = {
  rrwebRecordAndFflateGzip: await gz(rrwebBundle),
  rewindJsGzip: await gz(path.join(repoRoot, 'dist/rewind.js')),
  rewindWasmGzip: await gz(path.join(repoRoot, 'dist/rewind_bg.wasm')),
};
bundles.rewindTotalGzip = bundles.rewindJsGzip + bundles.rewindWasmGzip;
console.log(`\nbundles (gzip -9): rrweb record() + fflate gzipSync, minified ${bundles.rrwebRecordAndFflateGzip} B; ` +
  `rewind ${bundles.rewindJsGzip} B JS + ${bundles.rewindWasmGzip} B wasm = ${bundles.rewindTotalGzip} B`);
console.log(`[bench] ${RUNS} runs per recorder and scenario (${2 * RUNS} for ${[...INPUT_DRIVEN].join(', ')}) in ${Math.round((Date.now() - started) / 1000)} s on ${machine.browser}, ${machine.cores} x ${machine.cpu}, ${machine.memoryGiB} GiB`);
await mkdir(path.join(repoRoot, 'bench/results'), { recursive: true });
await writeFile(path.join(repoRoot, 'bench/results/bench.json'), JSON.stringify({ runs: RUNS, inputDrivenRuns: 2 * RUNS, machine, summary, bundles, raw: results }, null, 2));
console.log('written: bench/results/bench.json');
